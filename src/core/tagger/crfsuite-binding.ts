import { createRequire } from 'node:module';
import { NerError } from '../../errors.js';

/**
 * The only module that touches the `crfsuite` native binding. Training goes through it; tagging in
 * production does not (see crf-tagger.ts), because the binding segfaults on a bad model file, aborts when
 * tagging with a tagger that failed to open, and silently stringifies non-string features.
 */

// The binding is CommonJS and its .d.ts is wrong about tag() (it returns the labels), so it is typed here.
export interface BindingTrainer {
  append(xseq: string[][], yseq: string[], group?: number): void;
  set_params(params: Record<string, string>): void;
  train(modelPath: string): number;
}
export interface BindingTagger {
  open(modelPath: string): boolean;
  tag(xseq: string[][]): string[];
  get_labels(): string[];
  close(): boolean;
}
export interface Binding {
  Trainer: new (options?: { debug?: boolean }) => BindingTrainer;
  Tagger: new () => BindingTagger;
}

let binding: Binding | undefined;
/** The raw binding, for code that must compare against CRFsuite itself (tests); everything else uses the functions below. */
export function loadBinding(): Binding {
  binding ??= createRequire(import.meta.url)('crfsuite') as Binding;
  return binding;
}

/** Added to the bias weight of the labels of each entity type (D: disease, T: treatment). */
export interface EntityBias {
  D: number;
  T: number;
}

/** L-BFGS with elastic-net regularisation: the parameters we search over and record in model cards. */
export interface TrainingParameters {
  c1: number;
  c2: number;
  maxIterations: number;
  /** Generate transition/state features for label pairs never seen in training. */
  possibleTransitions: boolean;
  possibleStates: boolean;
  /**
   * Added after training to the `bias` attribute's weight of every entity label (a recall bias: the CRF's
   * precision runs well above its recall). Chosen by cross-validation; written into the model file.
   */
  entityBias: EntityBias;
}

export const DEFAULT_TRAINING_PARAMETERS: TrainingParameters = {
  c1: 0.05,
  c2: 0.1,
  maxIterations: 150,
  possibleTransitions: true,
  possibleStates: false,
  entityBias: { D: 0, T: 0 },
};

export interface TrainingSequence {
  attributes: string[][];
  labels: string[];
}

export interface TrainingProgress {
  iteration: number;
  maxIterations: number;
  loss: number | undefined;
}

function assertStrings(sequence: TrainingSequence, index: number): void {
  if (sequence.attributes.length !== sequence.labels.length) {
    throw new NerError('NER_ERR_TRAINING_FAILED', `sequence ${index}: ${sequence.attributes.length} items but ${sequence.labels.length} labels`);
  }
  for (const item of sequence.attributes) {
    for (const attribute of item) {
      // The binding would coerce a non-string silently into "undefined" or "[object Object]".
      if (typeof attribute !== 'string') throw new NerError('NER_ERR_TRAINING_FAILED', `sequence ${index}: a non-string attribute`);
    }
  }
}

/**
 * Reads CRFsuite's training log (which the binding, given `log: true`, writes straight to file descriptor 1)
 * one line at a time; returns the progress a line reports, if any.
 */
export function createTrainingLogParser(maxIterations: number): (line: string) => TrainingProgress | undefined {
  let loss: number | undefined;
  return (line) => {
    const lossMatch = /^Loss: ([\d.eE+-]+)/.exec(line);
    if (lossMatch) loss = Number(lossMatch[1]);
    const iteration = /^\*{5} Iteration #(\d+) \*{5}/.exec(line);
    return iteration ? { iteration: Number(iteration[1]), maxIterations, loss } : undefined;
  };
}

/**
 * Trains a first-order CRF and writes CRFsuite's model file to modelPath. Blocks the thread while it runs;
 * with `log`, CRFsuite prints its progress on stdout (run it in a child process and parse that).
 */
export function trainCrf(
  sequences: Iterable<TrainingSequence>,
  parameters: TrainingParameters,
  modelPath: string,
  options: { log?: boolean } = {},
): void {
  const { Trainer } = loadBinding();
  const trainer = new Trainer({ debug: options.log ?? false });
  let count = 0;
  for (const sequence of sequences) {
    assertStrings(sequence, count);
    if (sequence.labels.length > 0) trainer.append(sequence.attributes, sequence.labels, 0);
    count++;
  }
  if (count === 0) throw new NerError('NER_ERR_TRAINING_FAILED', 'no training sequences');
  trainer.set_params({
    c1: String(parameters.c1),
    c2: String(parameters.c2),
    max_iterations: String(parameters.maxIterations),
    'feature.possible_transitions': parameters.possibleTransitions ? '1' : '0',
    'feature.possible_states': parameters.possibleStates ? '1' : '0',
  });
  const status = trainer.train(modelPath);
  // CRFsuite returns LBFGSERR_MAXIMUMITERATION (-997) when it stops at max_iterations: a normal end.
  if (status !== 0 && status !== -997 && status !== 1 && status !== 2) {
    throw new NerError('NER_ERR_TRAINING_FAILED', `CRFsuite training ended with status ${status}`);
  }
}

/**
 * CRFsuite's own tagger, for checking that our tagger reproduces it. Only call it on a model file that
 * has been verified (checksum and parse): the binding crashes the process on anything else.
 */
export function referenceTagger(verifiedModelPath: string): { tag(xseq: string[][]): string[]; close(): void } {
  const { Tagger } = loadBinding();
  const tagger = new Tagger();
  if (!tagger.open(verifiedModelPath)) throw new NerError('NER_ERR_MODEL_FORMAT', `CRFsuite could not open ${verifiedModelPath}`);
  return {
    tag: (xseq) => (xseq.length === 0 ? [] : tagger.tag(xseq)),
    close: () => void tagger.close(),
  };
}
