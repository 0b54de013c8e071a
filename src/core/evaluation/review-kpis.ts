import type { OffsetEntity } from '../text/annotated-sentences.js';
import type { EntityType } from '../text/types.js';

/** One stored review: the model's entities (before), the reviewer's (after), the time it took. */
export interface ReviewSample {
  before: readonly OffsetEntity[];
  after: readonly OffsetEntity[];
  seconds: number;
  changed: boolean;
}

export interface TypeScore {
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Model entities matched exactly (type, start, end) by a reviewer entity. */
  truePositives: number;
  /** Entities the model found (before). */
  predicted: number;
  /** Entities the reviewers kept or added (after). */
  reviewed: number;
}

export interface ReviewKpis {
  reviews: number;
  /** Precision and recall of the model against the reviewers, exact span and type. */
  perType: Record<EntityType, TypeScore>;
  micro: TypeScore;
  /** Share of reviews accepted without change (null when there are none). */
  acceptedWithoutChange: number | null;
  /** Seconds per reviewed note. */
  reviewSeconds: { mean: number | null; median: number | null };
}

const TYPES: readonly EntityType[] = ['disease', 'treatment'];

function score(truePositives: number, predicted: number, reviewed: number): TypeScore {
  const precision = predicted > 0 ? truePositives / predicted : null;
  const recall = reviewed > 0 ? truePositives / reviewed : null;
  const f1 = precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null;
  return { precision, recall, f1, truePositives, predicted, reviewed };
}

const key = (e: OffsetEntity): string => `${e.type}:${e.start}:${e.end}`;

/** The review KPIs of the case study, from the reviews' before / after entity lists. */
export function reviewKpis(samples: readonly ReviewSample[]): ReviewKpis {
  const counts = new Map<EntityType, { tp: number; predicted: number; reviewed: number }>(TYPES.map((t) => [t, { tp: 0, predicted: 0, reviewed: 0 }]));
  for (const sample of samples) {
    const after = new Set(sample.after.map(key));
    for (const e of new Map(sample.before.map((b) => [key(b), b])).values()) {
      const c = counts.get(e.type);
      if (!c) continue;
      c.predicted += 1;
      if (after.has(key(e))) c.tp += 1;
    }
    for (const e of new Map(sample.after.map((a) => [key(a), a])).values()) {
      const c = counts.get(e.type);
      if (c) c.reviewed += 1;
    }
  }
  const perType = Object.fromEntries(TYPES.map((t) => {
    const c = counts.get(t) ?? { tp: 0, predicted: 0, reviewed: 0 };
    return [t, score(c.tp, c.predicted, c.reviewed)];
  })) as Record<EntityType, TypeScore>;
  const total = [...counts.values()].reduce((a, c) => ({ tp: a.tp + c.tp, predicted: a.predicted + c.predicted, reviewed: a.reviewed + c.reviewed }), { tp: 0, predicted: 0, reviewed: 0 });
  const seconds = samples.map((s) => s.seconds).sort((a, b) => a - b);
  const middle = Math.floor(seconds.length / 2);
  const median = seconds.length === 0 ? null : seconds.length % 2 === 1 ? (seconds[middle] as number) : ((seconds[middle - 1] as number) + (seconds[middle] as number)) / 2;
  return {
    reviews: samples.length,
    perType,
    micro: score(total.tp, total.predicted, total.reviewed),
    acceptedWithoutChange: samples.length > 0 ? samples.filter((s) => !s.changed).length / samples.length : null,
    reviewSeconds: { mean: seconds.length > 0 ? seconds.reduce((a, b) => a + b, 0) / seconds.length : null, median },
  };
}

/** Whether two entity lists differ as sets of (type, start, end). */
export function entitiesDiffer(before: readonly OffsetEntity[], after: readonly OffsetEntity[]): boolean {
  const a = new Set(before.map(key));
  const b = new Set(after.map(key));
  return a.size !== b.size || [...a].some((k) => !b.has(k));
}
