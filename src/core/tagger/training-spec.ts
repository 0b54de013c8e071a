import type { TrainingParameters } from './crfsuite-binding.js';
import type { LabelEncoding } from './label-codec.js';
import type { SpanDecoding } from './span-decoding.js';

/** What a training run is defined by, besides its data: recorded in the model card and in runs. */
export interface TrainingSpec {
  templates: string[];
  /** Span repairs applied after decoding (see clinical/span-rules.ts); part of the model, recorded in its card. */
  spanRules: string[];
  labelEncoding: LabelEncoding;
  parameters: TrainingParameters;
  /** How the model decodes spans (span-decoding.ts); absent: Viterbi. Part of the model, recorded in its card. */
  decoding?: SpanDecoding;
}
