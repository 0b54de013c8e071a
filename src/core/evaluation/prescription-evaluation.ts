import type { Assertion, ConceptCode, Dosage, Entity, EntityKind, EntityType, ExtractionRecord, Pair, Quantity } from '../text/types.js';
import type { IndicationKnowledge } from '../clinical/indications.js';
import { isNoteStyleText } from '../clinical/note-lexicon.js';
import { notePairs } from '../clinical/relations.js';
import { noteSections } from '../clinical/sections.js';
import { splitSentences } from '../text/tokenizer.js';

/**
 * Scores extraction on annotated prescriptions (corpus/prescriptions): spans, kinds, ICD-10-CM categories,
 * generics, brands, each dosage field and pairs. Pure: the caller extracts.
 */

export type GoldDosage = Omit<Dosage, 'text' | 'start' | 'end'>;

export interface GoldEntity {
  type: EntityType;
  kind: EntityKind;
  start: number;
  end: number;
  assertion: Assertion;
  /** A diagnosis's ICD-10-CM category (its first three characters). */
  icd10cm?: string;
  /** A drug's ingredients, generic names. */
  generic?: string[];
  /** The drug is named by a brand. */
  brand?: boolean;
  /** What the note states of how the drug is taken (only the fields it states). */
  dosage?: GoldDosage;
}

export interface PrescriptionNote {
  id: string;
  split: 'dev' | 'test';
  text: string;
  entities: GoldEntity[];
  /** The diagnosis–treatment pairs the note states, by their texts (lower case). */
  pairs: { disease: string; treatment: string }[];
}

export const DOSAGE_FIELDS = ['dose', 'frequency', 'duration', 'asNeeded', 'route', 'form'] as const;
export type DosageField = (typeof DOSAGE_FIELDS)[number];

export interface FieldScore {
  /** Drugs found whose gold states the field. */
  stated: number;
  /** Of those, the extraction gives the same value. */
  right: number;
  /** Drugs found whose gold does not state the field and the extraction gives one anyway. */
  spurious: number;
  /** Drugs found whose gold does not state the field. */
  unstated: number;
  accuracy: number;
}

export interface Prf {
  gold: number;
  predicted: number;
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Rate {
  total: number;
  right: number;
  accuracy: number;
}

export interface PrescriptionReport {
  notes: number;
  spans: Record<EntityType | 'all', Prf>;
  kind: Rate;
  icdCategory: Rate;
  generic: Rate;
  brands: { mentions: number; found: number; mapped: number; foundRate: number; mappedRate: number };
  dosage: Record<DosageField, FieldScore>;
  pairs: Prf;
  /** The pairs the rules give the annotated entities (options.pairsOfGold), when asked. */
  pairsOfGoldEntities?: Prf;
  /** Brand spans the extraction added (confidence of the brand pass) that match a gold span exactly. */
  brandSpans: { predicted: number; exact: number; precision: number };
  errors: string[];
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);

function prf(gold: number, predicted: number, correct: number): Prf {
  const precision = ratio(correct, predicted);
  const recall = ratio(correct, gold);
  return { gold, predicted, correct, precision, recall, f1: precision + recall === 0 ? 0 : Math.round(((2 * precision * recall) / (precision + recall)) * 1000) / 1000 };
}

/** Names one drug goes by in the US and elsewhere: scored as one. */
const GENERIC_ALIASES: Readonly<Record<string, string>> = {
  acetaminophen: 'paracetamol', albuterol: 'salbutamol', levalbuterol: 'levosalbutamol', 'clavulanate': 'clavulanic acid', 'clavulanate potassium': 'clavulanic acid',
  'amoxycillin': 'amoxicillin', 'chlorpheniramine': 'chlorphenamine', 'beclomethasone': 'beclometasone', 'vitamin d3': 'cholecalciferol',
  'glyceryl trinitrate': 'nitroglycerin', lignocaine: 'lidocaine', adrenaline: 'epinephrine', noradrenaline: 'norepinephrine',
  frusemide: 'furosemide', colecalciferol: 'cholecalciferol', rifampin: 'rifampicin', glyburide: 'glibenclamide', cyclosporine: 'ciclosporin',
  meperidine: 'pethidine', 'alendronic acid': 'alendronate', 'zoledronic acid': 'zoledronate', macrogol: 'polyethylene glycol',
  cephalexin: 'cefalexin', cephazolin: 'cefazolin', sulphamethoxazole: 'sulfamethoxazole', sulphasalazine: 'sulfasalazine',
};

export function normaliseGeneric(name: string): string {
  const lower = name.toLowerCase().replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
  return GENERIC_ALIASES[lower] ?? lower;
}

const sameGenerics = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => {
  if (!a || !b) return false;
  const x = [...new Set(a.map(normaliseGeneric))].sort();
  const y = [...new Set(b.map(normaliseGeneric))].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

const DAYS: Readonly<Record<string, number>> = { min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365 };

/** Times per day of a FHIR timing. */
export function perDay(timing: Dosage['timing']): number | undefined {
  if (!timing) return undefined;
  const days = DAYS[timing.periodUnit];
  return days === undefined ? undefined : timing.frequency / (timing.period * days);
}

const durationDays = (q: Quantity | undefined): number | undefined => (q && DAYS[q.unit] !== undefined ? q.value * (DAYS[q.unit] as number) : undefined);
const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(a));

function fieldValue(field: DosageField, dosage: GoldDosage | undefined): unknown {
  if (!dosage) return undefined;
  switch (field) {
    case 'dose':
      return dosage.doseQuantity;
    case 'frequency':
      return perDay(dosage.timing);
    case 'duration':
      return durationDays(dosage.boundsDuration);
    case 'asNeeded':
      return dosage.asNeeded === true ? true : undefined;
    case 'route':
      return dosage.route;
    case 'form':
      return dosage.form;
  }
}

function sameValue(field: DosageField, gold: unknown, predicted: unknown): boolean {
  if (gold === undefined || predicted === undefined) return false;
  if (field === 'dose') {
    const g = gold as Quantity;
    const p = predicted as Quantity;
    return close(g.value, p.value) && g.unit === p.unit;
  }
  if (typeof gold === 'number') return close(gold, predicted as number);
  return gold === predicted;
}

/** The predicted entity of the gold's type that overlaps it most. */
function bestMatch(gold: GoldEntity, predicted: readonly Entity[]): Entity | undefined {
  let best: Entity | undefined;
  let bestOverlap = 0;
  for (const p of predicted) {
    if (p.type !== gold.type) continue;
    const overlap = Math.min(p.end, gold.end) - Math.max(p.start, gold.start);
    if (overlap > bestOverlap) {
      best = p;
      bestOverlap = overlap;
    }
  }
  return best;
}

const icdCategory = (codes: readonly ConceptCode[] | undefined): string | undefined => codes?.find((c) => c.system === 'ICD-10-CM')?.code.slice(0, 3).toUpperCase();

export interface PrescriptionEvaluationOptions {
  /** The confidence the brand pass gives the spans it adds (brands.ts), to score those spans alone. */
  brandSpanConfidence?: number;
  /**
   * The pairs the rules give a note's annotated entities (goldEntityPairs): scored beside the record's, they part
   * the pair rules' errors from the tagger's.
   */
  pairsOfGold?: (note: PrescriptionNote) => Pair[];
}

/**
 * The pairs the pair rules (clinical/relations.ts) give a note's annotated entities, with their kinds,
 * assertions, ICD-10-CM categories and generics, as extract() would give its own: what the rules do when the
 * tagger is right.
 */
export function goldEntityPairs(note: PrescriptionNote, indications?: IndicationKnowledge): Pair[] {
  const sentences = splitSentences(note.text);
  const entities: Entity[] = note.entities.map((e) => ({
    type: e.type,
    kind: e.kind,
    text: note.text.slice(e.start, e.end),
    start: e.start,
    end: e.end,
    assertion: e.assertion,
    confidence: 1,
    ...(e.icd10cm ? { codes: [{ system: 'ICD-10-CM', code: e.icd10cm, display: note.text.slice(e.start, e.end), score: 1 }] } : {}),
    // The sets write a multi-word generic with underscores ("alendronic_acid").
    ...(e.generic ? { generic: e.generic.map((g) => g.replace(/_/g, ' ')) } : {}),
  }));
  const bySentence = sentences.map((s) => entities.filter((e) => e.start >= s.start && e.start < s.end));
  const lineByLine = isNoteStyleText(sentences.map((s) => s.tokens.map((t) => t.text)));
  return notePairs({ text: note.text, sentences }, bySentence, { lineByLine, sections: noteSections(note.text), ...(indications ? { indications } : {}) });
}

export function evaluatePrescriptions(
  notes: readonly PrescriptionNote[],
  extractNote: (note: PrescriptionNote) => ExtractionRecord,
  options: PrescriptionEvaluationOptions = {},
): PrescriptionReport {
  const spanCounts = { disease: [0, 0, 0], treatment: [0, 0, 0] } as Record<EntityType, [number, number, number]>;
  const kind = { total: 0, right: 0 };
  const icd = { total: 0, right: 0 };
  const generic = { total: 0, right: 0 };
  const brands = { mentions: 0, found: 0, mapped: 0 };
  const dosage = Object.fromEntries(DOSAGE_FIELDS.map((f) => [f, { stated: 0, right: 0, spurious: 0, unstated: 0 }])) as Record<DosageField, Omit<FieldScore, 'accuracy'>>;
  const pairs = { gold: 0, predicted: 0, correct: 0 };
  const pairsOfGold = { gold: 0, predicted: 0, correct: 0 };
  const brandSpans = { predicted: 0, exact: 0 };
  const errors: string[] = [];
  for (const note of notes) {
    const record = extractNote(note);
    const predicted = record.entities;
    for (const type of ['disease', 'treatment'] as const) {
      const gold = note.entities.filter((e) => e.type === type);
      const pred = predicted.filter((e) => e.type === type);
      const goldKeys = new Set(gold.map((e) => `${e.start}:${e.end}`));
      const counts = spanCounts[type];
      counts[0] += gold.length;
      counts[1] += pred.length;
      counts[2] += pred.filter((e) => goldKeys.has(`${e.start}:${e.end}`)).length;
    }
    const goldKeys = new Set(note.entities.map((e) => `${e.type}:${e.start}:${e.end}`));
    if (options.brandSpanConfidence !== undefined) {
      for (const p of predicted) {
        if (p.type !== 'treatment' || p.confidence !== options.brandSpanConfidence) continue;
        brandSpans.predicted++;
        if (goldKeys.has(`treatment:${p.start}:${p.end}`)) brandSpans.exact++;
      }
    }
    for (const gold of note.entities) {
      const match = bestMatch(gold, predicted);
      const surface = note.text.slice(gold.start, gold.end);
      if (gold.brand) {
        brands.mentions++;
        if (match) brands.found++;
        if (match && sameGenerics(match.generic, gold.generic)) brands.mapped++;
        else errors.push(`${note.id}: brand "${surface}" ${match ? `mapped to ${JSON.stringify(match.generic ?? null)}` : 'not found'}`);
      }
      if (!match) continue;
      kind.total++;
      if (match.kind === gold.kind) kind.right++;
      else errors.push(`${note.id}: kind of "${surface}": gold ${gold.kind}, got ${match.kind ?? null}`);
      if (gold.icd10cm) {
        icd.total++;
        const category = icdCategory(match.codes);
        if (category === gold.icd10cm.toUpperCase()) icd.right++;
        else errors.push(`${note.id}: ICD-10-CM category of "${surface}": gold ${gold.icd10cm}, got ${category ?? null}`);
      }
      if (gold.kind === 'drug' && gold.generic) {
        generic.total++;
        if (sameGenerics(match.generic, gold.generic)) generic.right++;
        else if (!gold.brand) errors.push(`${note.id}: generic of "${surface}": gold ${JSON.stringify(gold.generic)}, got ${JSON.stringify(match.generic ?? null)}`);
      }
      if (gold.kind !== 'drug') continue;
      for (const field of DOSAGE_FIELDS) {
        const g = fieldValue(field, gold.dosage);
        const p = fieldValue(field, match.dosage);
        const score = dosage[field];
        if (g !== undefined) {
          score.stated++;
          if (sameValue(field, g, p)) score.right++;
          else errors.push(`${note.id}: ${field} of "${surface}": gold ${JSON.stringify(g)}, got ${JSON.stringify(p ?? null)}`);
        } else {
          score.unstated++;
          if (p !== undefined) {
            score.spurious++;
            errors.push(`${note.id}: ${field} of "${surface}": spurious ${JSON.stringify(p)}`);
          }
        }
      }
    }
    const key = (p: { disease: string; treatment: string }): string => `${p.disease.toLowerCase()}\u0000${p.treatment.toLowerCase()}`;
    const goldPairs = new Set(note.pairs.map(key));
    const predPairs = new Set(record.pairs.map(key));
    pairs.gold += goldPairs.size;
    pairs.predicted += predPairs.size;
    pairs.correct += [...predPairs].filter((p) => goldPairs.has(p)).length;
    if (options.pairsOfGold) {
      const ruled = new Set(options.pairsOfGold(note).map(key));
      pairsOfGold.gold += goldPairs.size;
      pairsOfGold.predicted += ruled.size;
      pairsOfGold.correct += [...ruled].filter((p) => goldPairs.has(p)).length;
    }
    const shown = (p: string): string => `"${p.replace('\u0000', '" — "')}"`;
    for (const p of goldPairs) if (!predPairs.has(p)) errors.push(`${note.id}: pair ${shown(p)} missed`);
    for (const pair of record.pairs) {
      const p = key(pair);
      if (!goldPairs.has(p)) errors.push(`${note.id}: pair ${shown(p)} spurious (${pair.evidence ?? 'no evidence'})`);
    }
  }
  const spans = {
    disease: prf(...spanCounts.disease),
    treatment: prf(...spanCounts.treatment),
    all: prf(spanCounts.disease[0] + spanCounts.treatment[0], spanCounts.disease[1] + spanCounts.treatment[1], spanCounts.disease[2] + spanCounts.treatment[2]),
  };
  const rate = (r: { total: number; right: number }): Rate => ({ ...r, accuracy: ratio(r.right, r.total) });
  return {
    notes: notes.length,
    spans,
    kind: rate(kind),
    icdCategory: rate(icd),
    generic: rate(generic),
    brands: { ...brands, foundRate: ratio(brands.found, brands.mentions), mappedRate: ratio(brands.mapped, brands.mentions) },
    dosage: Object.fromEntries(DOSAGE_FIELDS.map((f) => [f, { ...dosage[f], accuracy: ratio(dosage[f].right, dosage[f].stated) }])) as Record<DosageField, FieldScore>,
    pairs: prf(pairs.gold, pairs.predicted, pairs.correct),
    ...(options.pairsOfGold ? { pairsOfGoldEntities: prf(pairsOfGold.gold, pairsOfGold.predicted, pairsOfGold.correct) } : {}),
    brandSpans: { ...brandSpans, precision: ratio(brandSpans.exact, brandSpans.predicted) },
    errors,
  };
}

const f3 = (x: number): string => x.toFixed(3);

export function formatPrescriptionReport(report: PrescriptionReport): string {
  const lines: string[] = [];
  lines.push('spans (strict)   gold  predicted  correct  precision  recall     F1');
  for (const type of ['disease', 'treatment', 'all'] as const) {
    const s = report.spans[type];
    lines.push(`${type.padEnd(15)} ${String(s.gold).padStart(5)} ${String(s.predicted).padStart(10)} ${String(s.correct).padStart(8)} ${f3(s.precision).padStart(10)} ${f3(s.recall).padStart(7)} ${f3(s.f1).padStart(6)}`);
  }
  lines.push('', 'field (entities found)   total  right  accuracy');
  const rate = (name: string, r: Rate): string => `${name.padEnd(24)} ${String(r.total).padStart(6)} ${String(r.right).padStart(6)} ${f3(r.accuracy).padStart(9)}`;
  lines.push(rate('kind', report.kind), rate('ICD-10-CM category', report.icdCategory), rate('generic (drugs)', report.generic));
  const b = report.brands;
  lines.push(`${'brands found'.padEnd(24)} ${String(b.mentions).padStart(6)} ${String(b.found).padStart(6)} ${f3(b.foundRate).padStart(9)}`);
  lines.push(`${'brands found and mapped'.padEnd(24)} ${String(b.mentions).padStart(6)} ${String(b.mapped).padStart(6)} ${f3(b.mappedRate).padStart(9)}`);
  lines.push('', 'dosage field (drugs found)  stated  right  accuracy  unstated  spurious');
  for (const field of DOSAGE_FIELDS) {
    const d = report.dosage[field];
    lines.push(`${field.padEnd(26)} ${String(d.stated).padStart(7)} ${String(d.right).padStart(6)} ${f3(d.accuracy).padStart(9)} ${String(d.unstated).padStart(9)} ${String(d.spurious).padStart(9)}`);
  }
  const p = report.pairs;
  lines.push('', `pairs: gold ${p.gold}, predicted ${p.predicted}, correct ${p.correct}, precision ${f3(p.precision)}, recall ${f3(p.recall)}, F1 ${f3(p.f1)}`);
  const g = report.pairsOfGoldEntities;
  if (g) lines.push(`pairs the rules give the annotated entities: predicted ${g.predicted}, correct ${g.correct}, precision ${f3(g.precision)}, recall ${f3(g.recall)}, F1 ${f3(g.f1)}`);
  if (report.brandSpans.predicted > 0) lines.push(`brand spans added by the brand pass: ${report.brandSpans.predicted}, exactly right ${report.brandSpans.exact} (precision ${f3(report.brandSpans.precision)})`);
  return lines.join('\n');
}
