import type { EntityBias } from '../core/tagger/crfsuite-binding.js';
import { meanAndSd, type MeanSd } from '../core/evaluation/evaluation.js';
import { DEFAULT_TEMPLATES } from '../core/tagger/feature-templates.js';
import { formatDecoding } from '../core/tagger/span-decoding.js';
import type { CrossValidationResult } from './cross-validate.js';
import type { TrainingSpec } from '../core/tagger/training-spec.js';
import type { TrainModelVersionResult } from './train-model-version.js';
import { specOfCard, type ModelCard } from '../registry/model-card.js';
import { RUN_SCHEMA_VERSION, type PairedDelta, type Run, type RunCrossValidation, type RunData, type RunEnvironment, type RunKind, type RunParameters } from '../registry/runs.js';

/** Pure builders of runs from training results, and the comparison of two runs (no I/O here). */

export function runParameters(spec: TrainingSpec, entityBiasMode: RunParameters['entityBiasMode']): RunParameters {
  const p = spec.parameters;
  return {
    c1: p.c1,
    c2: p.c2,
    iterations: p.maxIterations,
    labelEncoding: spec.labelEncoding,
    entityBias: { ...p.entityBias },
    entityBiasMode,
    spanRules: [...spec.spanRules],
    decoding: formatDecoding(spec.decoding),
    possibleTransitions: p.possibleTransitions,
    possibleStates: p.possibleStates,
  };
}

function sameBias(a: EntityBias, b: EntityBias): boolean {
  return a.D === b.D && a.T === b.T;
}

/** A cross-validation result as a run holds it: every fold scored at the chosen entity bias, and the means. */
export function runCrossValidation(cv: CrossValidationResult, seed: number, foldSeconds?: ReadonlyMap<number, number>): RunCrossValidation {
  const index = Math.max(0, cv.entityBiasSearch.findIndex((s) => sameBias(s.entityBias, cv.entityBias)));
  return {
    folds: cv.folds.length,
    seed,
    perFold: cv.folds.map((f) => {
      const at = f.byEntityBias[index] ?? f.byEntityBias[0];
      if (!at) throw new Error(`fold ${f.fold} holds no score`);
      return { fold: f.fold, seconds: foldSeconds?.get(f.fold) ?? f.seconds, strict: at.report.strict, partial: at.report.partial, token: at.report.token };
    }),
    mean: cv.mean,
    entityBiasSearch: cv.entityBiasSearch.map((s) => ({ entityBias: { ...s.entityBias }, strictMicroF1: { ...s.strictMicroF1 } })),
  };
}

export function runDataOfCard(card: Pick<ModelCard, 'data'>): RunData {
  const { corpus, split, sentences, tokens, files, sha256 } = card.data;
  return { corpus, split, sentences, tokens, files: files.map((f) => ({ path: f.path, sha256: f.sha256 })), sha256 };
}

export interface TrainRunInput {
  id: string;
  kind?: RunKind;
  name?: string;
  startedAt: Date;
  finishedAt: Date;
  parentId?: string | null;
  result: TrainModelVersionResult;
  /** 'auto' when cross-validation chose the entity bias. */
  entityBiasMode: RunParameters['entityBiasMode'];
  environment: RunEnvironment;
  details?: Record<string, unknown>;
}

/** The run of a `trainModelVersion` call (behealthy train, tune --train-best; a retraining with kind 'retrain'). */
export function trainRun(input: TrainRunInput): Run {
  const { card, crossValidation } = input.result;
  const spec = specOfCard(card);
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    id: input.id,
    kind: input.kind ?? 'train',
    status: 'completed',
    name: input.name ?? `model ${card.version}`,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationSeconds: (input.finishedAt.getTime() - input.startedAt.getTime()) / 1000,
    parentId: input.parentId ?? null,
    parameters: runParameters(spec, input.entityBiasMode),
    templates: [...card.templates],
    data: runDataOfCard(card),
    crossValidation: crossValidation && card.metrics.crossValidation ? runCrossValidation(crossValidation, card.metrics.crossValidation.seed) : null,
    test: card.metrics.test,
    modelVersion: card.version,
    gitCommit: card.gitCommit,
    environment: input.environment,
    ...(input.details ? { details: input.details } : {}),
  };
}

/**
 * A short name of a template list: "default" (the shipped set of feature-templates.ts), "default+x-y" for a
 * few changes from it, the names themselves for a short list, else "custom".
 */
export function templateSetName(templates: readonly string[], reference: readonly string[] = DEFAULT_TEMPLATES): string {
  const added = templates.filter((t) => !reference.includes(t));
  const removed = reference.filter((t) => !templates.includes(t));
  if (added.length === 0 && removed.length === 0) return 'default';
  if (added.length + removed.length <= 3) return `default${removed.map((t) => `-${t}`).join('')}${added.map((t) => `+${t}`).join('')}`;
  if (templates.length <= 4) return templates.join(',');
  return 'custom';
}

/** Whether two cross-validations scored the same folds (same count and seed; same data when both say). */
export function sameFolds(a: RunCrossValidation, b: RunCrossValidation, dataA?: RunData | null, dataB?: RunData | null): boolean {
  return a.folds === b.folds && a.seed === b.seed && a.perFold.length === b.perFold.length && (!dataA || !dataB || dataA.sha256 === dataB.sha256);
}

/** Fold by fold, b's strict micro F1 minus a's: mean ± sd of the differences and how many folds b improves. */
export function pairedDelta(a: RunCrossValidation, b: RunCrossValidation): PairedDelta | null {
  if (a.folds !== b.folds || a.seed !== b.seed || a.perFold.length !== b.perFold.length || a.perFold.length === 0) return null;
  const byFold = new Map(a.perFold.map((f) => [f.fold, f.strict.micro.f1]));
  const deltas: number[] = [];
  for (const f of b.perFold) {
    const base = byFold.get(f.fold);
    if (base === undefined) return null;
    deltas.push(f.strict.micro.f1 - base);
  }
  const { mean, sd } = meanAndSd(deltas);
  return { mean, sd, better: deltas.filter((d) => d > 0).length, folds: deltas.length };
}

// ---------------------------------------------------------------------------------------------
// Comparison

export interface ParameterDifference {
  name: string;
  a: string;
  b: string;
}

/** One F1 of two runs side by side: b − a in `delta`. */
export interface ScoreComparison<Score> {
  level: 'strict' | 'partial' | 'token';
  type: 'disease' | 'treatment' | 'micro' | 'weighted';
  a: Score | null;
  b: Score | null;
  delta: number | null;
}

/** Cross-validation F1, mean ± sd over the folds. */
export type MetricComparison = ScoreComparison<MeanSd>;
/** Test-split F1. */
export type TestComparison = ScoreComparison<number>;

export interface RunComparison {
  a: Run;
  b: Run;
  differences: ParameterDifference[];
  templatesAdded: string[];
  templatesRemoved: string[];
  crossValidation: MetricComparison[];
  /** b − a fold by fold, when both scored the same folds. */
  paired: PairedDelta | null;
  test: TestComparison[];
}

const bias = (p: RunParameters): string => `D ${p.entityBias.D} / T ${p.entityBias.T} (${p.entityBiasMode})`;

export function compareRuns(a: Run, b: Run): RunComparison {
  const differences: ParameterDifference[] = [];
  const differ = (name: string, x: string, y: string): void => {
    if (x !== y) differences.push({ name, a: x, b: y });
  };
  const pa = a.parameters;
  const pb = b.parameters;
  differ('kind', a.kind, b.kind);
  differ('c1', String(pa.c1), String(pb.c1));
  differ('c2', String(pa.c2), String(pb.c2));
  differ('iterations', String(pa.iterations), String(pb.iterations));
  differ('label encoding', pa.labelEncoding, pb.labelEncoding);
  differ('entity bias', bias(pa), bias(pb));
  differ('span rules', pa.spanRules.join(',') || 'none', pb.spanRules.join(',') || 'none');
  differ('decoding', pa.decoding ?? 'viterbi', pb.decoding ?? 'viterbi');
  differ('possible transitions', String(pa.possibleTransitions), String(pb.possibleTransitions));
  differ('possible states', String(pa.possibleStates), String(pb.possibleStates));
  const added = b.templates.filter((t) => !a.templates.includes(t));
  const removed = a.templates.filter((t) => !b.templates.includes(t));
  if (added.length === 0 && removed.length === 0) differ('template order', a.templates.join(','), b.templates.join(','));
  differ('folds / seed', a.crossValidation ? `${a.crossValidation.folds} / ${a.crossValidation.seed}` : 'none', b.crossValidation ? `${b.crossValidation.folds} / ${b.crossValidation.seed}` : 'none');
  differ('data sha256', a.data?.sha256 ?? 'unknown', b.data?.sha256 ?? 'unknown');
  differ('git commit', a.gitCommit ?? 'unknown', b.gitCommit ?? 'unknown');
  differ('crfsuite', a.environment.crfsuite, b.environment.crfsuite);
  differ('node', a.environment.node, b.environment.node);
  differ('model version', a.modelVersion ?? 'none', b.modelVersion ?? 'none');

  const rows: { level: 'strict' | 'partial'; type: 'disease' | 'treatment' | 'micro' }[] = (['strict', 'partial'] as const).flatMap((level) =>
    (['disease', 'treatment', 'micro'] as const).map((type) => ({ level, type })),
  );
  const cvA = a.crossValidation?.mean;
  const cvB = b.crossValidation?.mean;
  const delta = (x: number | undefined, y: number | undefined): number | null => (x === undefined || y === undefined ? null : y - x);
  const crossValidation: MetricComparison[] = [
    ...rows.map(({ level, type }) => {
      const x = cvA?.[level][type].f1 ?? null;
      const y = cvB?.[level][type].f1 ?? null;
      return { level, type, a: x, b: y, delta: delta(x?.mean, y?.mean) };
    }),
    { level: 'token', type: 'weighted', a: cvA?.token.weighted.f1 ?? null, b: cvB?.token.weighted.f1 ?? null, delta: delta(cvA?.token.weighted.f1.mean, cvB?.token.weighted.f1.mean) },
  ];
  const test: TestComparison[] =
    a.test || b.test
      ? [
          ...rows.map(({ level, type }) => {
            const x = a.test?.[level][type].f1;
            const y = b.test?.[level][type].f1;
            return { level, type, a: x ?? null, b: y ?? null, delta: delta(x, y) };
          }),
          { level: 'token', type: 'weighted', a: a.test?.token.weighted.f1 ?? null, b: b.test?.token.weighted.f1 ?? null, delta: delta(a.test?.token.weighted.f1, b.test?.token.weighted.f1) },
        ]
      : [];
  const paired = a.crossValidation && b.crossValidation && sameFolds(a.crossValidation, b.crossValidation, a.data, b.data) ? pairedDelta(a.crossValidation, b.crossValidation) : null;
  return { a, b, differences, templatesAdded: added, templatesRemoved: removed, crossValidation, paired, test };
}
