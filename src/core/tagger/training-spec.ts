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
  /**
   * The corpora trained on (their mappings' names, corpus/mappings/), each sentence under its corpus's domain;
   * absent: the BeHealthy train split alone, without domains.
   */
  corpora?: string[];
  /**
   * Feature augmentation (domains.ts): the domains a sentence of each domain is learned under (its annotation
   * policy's group, then its own), e.g. { "case-reports": ["every-mention", "case-reports"] }. A model is served
   * for one of these keys: its list is what the weights are folded with.
   */
  domains?: Record<string, string[]>;
  /** The key of `domains` a note is tagged with when nothing chooses another (the every-mention policy of notes). */
  servingDomain?: string;
  /**
   * The domain whose sentences the relevance classifiers and the train-spans lexicon learn from: they model its
   * annotation policy (which sentences are labelled at all, which names). Absent: every sentence.
   */
  learnedFrom?: string;
  /** Span rules a domain applies after `spanRules` (e.g. the guideline's rules in the every-mention domains). */
  domainSpanRules?: Record<string, string[]>;
}

