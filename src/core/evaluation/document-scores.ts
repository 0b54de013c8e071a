import type { EntityKind, EntityType } from '../text/types.js';
import { prf, type Prf } from './evaluation.js';

/**
 * Scores of entities found in whole documents against their annotations, by character offsets (the way a
 * record is read): strict (same type, same offsets) and partial (same type, overlapping; one to one) per type
 * and micro, and per kind; the kind accuracy of the entities found; and the errors, each with its document.
 */
export interface ScoredEntity {
  type: EntityType;
  kind?: EntityKind;
  start: number;
  end: number;
}

export interface ScoredDocument {
  id: string;
  text: string;
  gold: readonly ScoredEntity[];
  predicted: readonly ScoredEntity[];
  /** Spans the scoring leaves out: a prediction overlapping one is neither right nor wrong (e.g. Chia's procedures). */
  unscored?: readonly { start: number; end: number }[];
}

export interface DocumentScoringRules {
  /**
   * Kinds not scored as their type: gold entities of these kinds are left out, and so are predictions of these
   * kinds (MACCROBAT's disease score counts diagnoses, not symptoms). A prediction of another kind on such a gold
   * entity still counts as spurious.
   */
  unscoredKinds?: readonly EntityKind[];
}

export interface TypeScores {
  disease: Prf;
  treatment: Prf;
  micro: Prf;
}

export interface KindAccuracy {
  /** Predicted entities matching a gold entity exactly whose gold has a kind. */
  support: number;
  correct: number;
  accuracy: number;
  /** gold kind → predicted kind (`none` when the prediction has none) → count. */
  confusion: Record<string, Record<string, number>>;
}

export interface DocumentError {
  document: string;
  kind: 'missed' | 'spurious' | 'boundary' | 'type';
  gold?: ScoredEntity & { text: string };
  predicted?: ScoredEntity & { text: string };
}

export interface DocumentReport {
  documents: number;
  strict: TypeScores;
  partial: TypeScores;
  /** By kind, strict, for the kinds the gold annotates (a prediction without that kind is a miss of that kind). */
  byKind: Partial<Record<EntityKind, Prf>>;
  kindAccuracy: { disease: KindAccuracy; treatment: KindAccuracy };
  errors: DocumentError[];
}

const TYPES: readonly EntityType[] = ['disease', 'treatment'];
const KINDS: readonly EntityKind[] = ['diagnosis', 'symptom', 'drug', 'procedure'];

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;
const same = (a: ScoredEntity, b: ScoredEntity): boolean => a.type === b.type && a.start === b.start && a.end === b.end;

interface Counts {
  gold: number;
  predicted: number;
  strict: number;
  partial: number;
}

/** One-to-one overlap matches of the same type, greedily in text order. */
function partialMatches(gold: readonly ScoredEntity[], predicted: readonly ScoredEntity[]): number {
  const used = new Set<number>();
  let matched = 0;
  for (const g of gold) {
    const k = predicted.findIndex((p, i) => !used.has(i) && p.type === g.type && overlaps(p, g));
    if (k >= 0) {
      used.add(k);
      matched++;
    }
  }
  return matched;
}

function emptyKindAccuracy(): KindAccuracy {
  return { support: 0, correct: 0, accuracy: 0, confusion: {} };
}

export function scoreDocuments(documents: readonly ScoredDocument[], rules: DocumentScoringRules = {}): DocumentReport {
  const unscoredKinds = new Set(rules.unscoredKinds ?? []);
  const counts = Object.fromEntries(TYPES.map((t) => [t, { gold: 0, predicted: 0, strict: 0, partial: 0 }])) as Record<EntityType, Counts>;
  const kindCounts = new Map<EntityKind, { gold: number; predicted: number; strict: number }>(KINDS.map((k) => [k, { gold: 0, predicted: 0, strict: 0 }]));
  const kindAccuracy = { disease: emptyKindAccuracy(), treatment: emptyKindAccuracy() };
  const errors: DocumentError[] = [];
  for (const document of documents) {
    const isUnscored = (e: ScoredEntity) => (document.unscored ?? []).some((u) => overlaps(u, e));
    // Kind accuracy reads every prediction matching a gold entity, before the unscored kinds are set aside.
    for (const p of document.predicted) {
      const g = document.gold.find((candidate) => same(candidate, p));
      if (!g?.kind) continue;
      const table = kindAccuracy[g.type];
      table.support++;
      if (p.kind === g.kind) table.correct++;
      const row = (table.confusion[g.kind] ??= {});
      row[p.kind ?? 'none'] = (row[p.kind ?? 'none'] ?? 0) + 1;
    }
    const gold = document.gold.filter((g) => !(g.kind && unscoredKinds.has(g.kind)));
    const predicted = document.predicted.filter((p) => !(p.kind && unscoredKinds.has(p.kind)) && !isUnscored(p));
    const textOf = (e: ScoredEntity) => ({ ...e, text: document.text.slice(e.start, e.end) });
    for (const type of TYPES) {
      const g = gold.filter((e) => e.type === type);
      const p = predicted.filter((e) => e.type === type);
      const c = counts[type];
      c.gold += g.length;
      c.predicted += p.length;
      c.strict += p.filter((e) => g.some((x) => same(x, e))).length;
      c.partial += partialMatches(g, p);
    }
    for (const kind of KINDS) {
      const g = gold.filter((e) => e.kind === kind);
      if (g.length === 0 && !document.gold.some((e) => e.kind === kind)) continue;
      const p = predicted.filter((e) => e.kind === kind);
      const c = kindCounts.get(kind) as { gold: number; predicted: number; strict: number };
      c.gold += g.length;
      c.predicted += p.length;
      c.strict += p.filter((e) => g.some((x) => same(x, e) && x.kind === e.kind)).length;
    }
    for (const g of gold) {
      if (predicted.some((p) => same(p, g))) continue;
      const near = predicted.find((p) => overlaps(p, g));
      if (!near) errors.push({ document: document.id, kind: 'missed', gold: textOf(g) });
      else if (near.type !== g.type && near.start === g.start && near.end === g.end) errors.push({ document: document.id, kind: 'type', gold: textOf(g), predicted: textOf(near) });
      else errors.push({ document: document.id, kind: 'boundary', gold: textOf(g), predicted: textOf(near) });
    }
    for (const p of predicted) {
      if (!gold.some((g) => overlaps(g, p))) errors.push({ document: document.id, kind: 'spurious', predicted: textOf(p) });
    }
  }
  const scores = (pick: (c: Counts) => number): TypeScores => {
    const d = counts.disease;
    const t = counts.treatment;
    return {
      disease: prf(pick(d), d.predicted, d.gold),
      treatment: prf(pick(t), t.predicted, t.gold),
      micro: prf(pick(d) + pick(t), d.predicted + t.predicted, d.gold + t.gold),
    };
  };
  const byKind: DocumentReport['byKind'] = {};
  for (const [kind, c] of kindCounts) if (c.gold > 0) byKind[kind] = prf(c.strict, c.predicted, c.gold);
  for (const table of Object.values(kindAccuracy)) table.accuracy = table.support === 0 ? 0 : table.correct / table.support;
  return { documents: documents.length, strict: scores((c) => c.strict), partial: scores((c) => c.partial), byKind, kindAccuracy, errors };
}

const pct = (x: number): string => x.toFixed(3);

/** A document report as a table: strict and partial P/R/F1 per type and micro, by kind, and kind accuracy. */
export function formatDocumentReport(report: DocumentReport): string {
  const row = (name: string, p: Prf) => `${name.padEnd(20)} ${pct(p.precision)}  ${pct(p.recall)}  ${pct(p.f1)}  ${String(p.support).padStart(7)}`;
  const lines = [`${report.documents} documents`, `${'strict'.padEnd(20)} P      R      F1     support`];
  for (const type of ['disease', 'treatment', 'micro'] as const) lines.push(row(`  ${type}`, report.strict[type]));
  lines.push('partial (overlap)');
  for (const type of ['disease', 'treatment', 'micro'] as const) lines.push(row(`  ${type}`, report.partial[type]));
  const kinds = Object.entries(report.byKind);
  if (kinds.length > 0) {
    lines.push('by kind (strict)');
    for (const [kind, p] of kinds) lines.push(row(`  ${kind}`, p as Prf));
  }
  for (const type of ['disease', 'treatment'] as const) {
    const k = report.kindAccuracy[type];
    if (k.support > 0) lines.push(`kind accuracy, ${type}: ${pct(k.accuracy)} (${k.correct} of ${k.support} entities found)`);
  }
  return lines.join('\n');
}

/** The first `limit` errors of each kind, with the words of each side. */
export function formatDocumentErrors(report: DocumentReport, limit: number): string {
  const lines: string[] = [];
  for (const kind of ['missed', 'boundary', 'spurious', 'type'] as const) {
    const errors = report.errors.filter((e) => e.kind === kind);
    if (errors.length === 0) continue;
    lines.push(`${kind} (${errors.length})`);
    for (const error of errors.slice(0, limit)) {
      const gold = error.gold ? `${error.gold.type}${error.gold.kind ? `/${error.gold.kind}` : ''} "${error.gold.text}"` : '';
      const predicted = error.predicted ? `${error.predicted.type}${error.predicted.kind ? `/${error.predicted.kind}` : ''} "${error.predicted.text}"` : '';
      lines.push(`  ${error.document}: ${[gold && `gold ${gold}`, predicted && `predicted ${predicted}`].filter(Boolean).join(' → ')}`);
    }
  }
  return lines.join('\n');
}
