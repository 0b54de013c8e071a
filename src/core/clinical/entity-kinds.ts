import type { Gazetteer } from '../tagger/gazetteer.js';
import { logisticProbability, logit, trainLogistic, type LogisticModel, type LogisticOptions } from '../tagger/logistic-regression.js';
import { splitSentences } from '../text/tokenizer.js';
import type { EnrichedNote, Entity, EntityKind, EntityType } from '../text/types.js';
import { DIAGNOSIS_ABBREVIATIONS, PRESENTING_COMPLAINTS } from './note-lexicon.js';
import { headerAt } from './sections.js';
import { noteSections, sectionAt, sectionKindAt, type NoteSection } from './sections.js';

/**
 * The kind of each entity the tagger finds: a disease is a diagnosis or a symptom, a treatment a drug or a
 * procedure. The CRF finds spans under every corpus's policy, but only case reports annotate these kinds, so a
 * logistic regression per type decides them after tagging, from the span's words, their endings and shapes,
 * the words around it and what the vocabularies say of it. It is learned with the tagger (from the corpora whose
 * mappings give kinds) and shipped with it.
 */
export interface KindClassifier {
  /** P(symptom) for a disease, P(procedure) for a treatment. */
  disease: LogisticModel;
  treatment: LogisticModel;
}

/** The kind a classifier's probability stands for, per type. */
const SECOND: Record<EntityType, EntityKind> = { disease: 'symptom', treatment: 'procedure' };
const FIRST: Record<EntityType, EntityKind> = { disease: 'diagnosis', treatment: 'drug' };

export const KIND_TRAINING_OPTIONS: LogisticOptions = { epochs: 15, learningRate: 0.1, l2: 1e-4, seed: 1 };

const WORD = /[\p{L}\p{N}]+/gu;
const CONTEXT_CHARS = 40;

function words(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []) as string[];
}

/** Features of the entity text[start, end): its words, last word, endings, length, vocabulary matches and context. */
export function kindFeatures(text: string, start: number, end: number, gazetteer: Gazetteer | null): string[] {
  return [...spanFeatures(text.slice(start, end), gazetteer), ...contextFeatures(text, start, end)];
}

const BEFORE_WORDS = 3;
const AFTER_WORDS = 2;
/** The feature names of the context's positions: b1 is the word just before the entity, a1 the word just after. */
const CONTEXT_POSITIONS = ['b1', 'b2', 'b3', 'a1', 'a2'] as const;

const contextBefore = (text: string, start: number): string[] => {
  const from = Math.max(0, start - CONTEXT_CHARS);
  return isAscii(text, from, start) ? asciiWords(text, from, start, BEFORE_WORDS, true) : words(text.slice(from, start)).slice(-BEFORE_WORDS);
};
const contextAfter = (text: string, end: number): string[] => {
  const to = Math.min(text.length, end + CONTEXT_CHARS);
  return isAscii(text, end, to) ? asciiWords(text, end, to, AFTER_WORDS, false) : words(text.slice(end, to)).slice(0, AFTER_WORDS);
};

function isAscii(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

const isAsciiWordChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * words(text.slice(from, to)), the last `count` (fromEnd) or the first, for ASCII text: a scan instead of a
 * Unicode pattern over a slice, as kinds run for every entity.
 */
function asciiWords(text: string, from: number, to: number, count: number, fromEnd: boolean): string[] {
  const found: string[] = [];
  if (fromEnd) {
    for (let i = to - 1; i >= from && found.length < count; ) {
      if (!isAsciiWordChar(text.charCodeAt(i))) {
        i--;
        continue;
      }
      const end = i + 1;
      while (i >= from && isAsciiWordChar(text.charCodeAt(i))) i--;
      found.unshift(text.slice(i + 1, end).toLowerCase());
    }
    return found;
  }
  for (let i = from; i < to && found.length < count; ) {
    if (!isAsciiWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < to && isAsciiWordChar(text.charCodeAt(i))) i++;
    found.push(text.slice(start, i).toLowerCase());
  }
  return found;
}

/** The three words before the entity and the two after it, within 40 characters. */
function contextFeatures(text: string, start: number, end: number): string[] {
  const before = contextBefore(text, start);
  const after = contextAfter(text, end);
  const features: string[] = [];
  before.forEach((word, i) => features.push(`b${before.length - i}=${word}`));
  after.forEach((word, i) => features.push(`a${i + 1}=${word}`));
  return features;
}

/** A model's context weights by position (CONTEXT_POSITIONS) and word: a mention is weighed without building feature names. */
function contextWeights(model: LogisticModel): Map<string, number>[] {
  const tables = CONTEXT_POSITIONS.map(() => new Map<string, number>());
  for (const [feature, weight] of model.weights) {
    const position = CONTEXT_POSITIONS.indexOf(feature.slice(0, 2) as (typeof CONTEXT_POSITIONS)[number]);
    if (position >= 0 && feature.charCodeAt(2) === 61) (tables[position] as Map<string, number>).set(feature.slice(3), weight);
  }
  return tables;
}

/**
 * What a serving enricher remembers of a span's text (the same names recur across notes): its own features'
 * share of the logit per type, which is the logit's running sum before the context's features are added.
 */
const MAX_REMEMBERED_SPANS = 20_000;

interface RememberedSpan {
  own: readonly string[];
  logit: Partial<Record<EntityType, number>>;
}

function spanFeatures(span: string, gazetteer: Gazetteer | null): string[] {
  const inside = words(span);
  const last = inside[inside.length - 1] ?? '';
  const features = ['bias', `span=${span.toLowerCase()}`, `first=${inside[0] ?? ''}`, `last=${last}`, `last4=${last.slice(-4)}`, `last5=${last.slice(-5)}`, `n=${Math.min(inside.length, 4)}`];
  for (const word of inside) features.push(`w=${word}`, `s3=${word.slice(-3)}`, `s4=${word.slice(-4)}`, `p4=${word.slice(0, 4)}`);
  if (/^[A-Z0-9]{2,6}$/.test(span)) features.push('abbreviation');
  if (gazetteer) {
    const tokens = splitSentences(span).flatMap((s) => s.tokens.map((t) => t.text.toLowerCase()));
    for (const match of gazetteer.matchSpans(tokens)) {
      features.push(`lexicon=${match.kind}`);
      if (match.start === 0 && match.end === tokens.length) features.push(`lexicon-whole=${match.kind}`);
    }
  }
  return features;
}

export interface KindExample {
  type: EntityType;
  kind: EntityKind;
  features: readonly string[];
}

export function trainKindClassifier(examples: readonly KindExample[], options: LogisticOptions = KIND_TRAINING_OPTIONS): KindClassifier {
  const train = (type: EntityType) =>
    trainLogistic(examples.filter((e) => e.type === type).map((e) => ({ features: e.features, y: e.kind === SECOND[type] ? 1 : 0 })), options);
  return { disease: train('disease'), treatment: train('treatment') };
}

export function entityKind(classifier: KindClassifier, type: EntityType, features: readonly string[]): EntityKind {
  return logisticProbability(classifier[type], features) >= 0.5 ? SECOND[type] : FIRST[type];
}

/** The record step that gives each entity its kind. */
export function kindEnricher(classifier: KindClassifier, gazetteer: Gazetteer | null): { name: string; apply(note: { text: string }, entities: Entity[]): void } {
  const memo = new Map<string, RememberedSpan>();
  const context = { disease: contextWeights(classifier.disease), treatment: contextWeights(classifier.treatment) };
  return {
    name: 'kinds',
    apply: ({ text }, entities) => {
      for (const entity of entities) {
        if (entity.type === 'disease' && underDiagnosisHeading(text, entity.start)) {
          entity.kind = 'diagnosis';
          continue;
        }
        if (entity.type === 'disease' && COMPLAINTS.has(entity.text.toLowerCase())) {
          entity.kind = 'symptom';
          continue;
        }
        // "UTI", "HTN", "CKD": an abbreviation notes write for a diagnosis, wherever it stands.
        if (entity.type === 'disease' && DIAGNOSIS_SHORTHAND.has(entity.text.toLowerCase())) {
          entity.kind = 'diagnosis';
          continue;
        }
        if (entity.type === 'treatment' && isProcedureName(entity.text)) {
          entity.kind = 'procedure';
          continue;
        }
        if (entity.type === 'treatment' && DOSE_FORM_BEFORE.test(text.slice(Math.max(0, entity.start - 12), entity.start))) {
          entity.kind = 'drug';
          continue;
        }
        const span = text.slice(entity.start, entity.end);
        let remembered = memo.get(span);
        if (remembered === undefined) {
          if (memo.size >= MAX_REMEMBERED_SPANS) memo.clear();
          remembered = { own: spanFeatures(span, gazetteer), logit: {} };
          memo.set(span, remembered);
        }
        const model = classifier[entity.type];
        // The same sum, in the same order, as logit() over kindFeatures: the span's features, then the context's.
        let z = (remembered.logit[entity.type] ??= logit(model, remembered.own));
        const weights = context[entity.type];
        const before = contextBefore(text, entity.start);
        const after = contextAfter(text, entity.end);
        for (let i = 0; i < before.length; i++) z += (weights[before.length - 1 - i] as Map<string, number>).get(before[i] as string) ?? 0;
        for (let i = 0; i < after.length; i++) z += (weights[BEFORE_WORDS + i] as Map<string, number>).get(after[i] as string) ?? 0;
        entity.kind = 1 / (1 + Math.exp(-z)) >= 0.5 ? SECOND[entity.type] : FIRST[entity.type];
      }
    },
  };
}

/**
 * Procedures by name: operations by their endings, and the therapies and operations notes write in shorthand,
 * which the classifier, taught by case reports' longer names, reads as drugs ("PTCA", "LSCS", "Physiotherapy").
 */
const PROCEDURE_NAMES: ReadonlySet<string> = new Set([
  'physiotherapy', 'physical therapy', 'occupational therapy', 'speech therapy', 'cbt', 'cognitive behavioural therapy', 'cognitive behavioral therapy',
  'psychotherapy', 'counselling', 'counseling', 'ect', 'dialysis', 'hemodialysis', 'haemodialysis', 'peritoneal dialysis', 'radiotherapy',
  'radiation therapy', 'cpap', 'bipap', 'pci', 'ptca', 'cabg', 'lscs', 'c-section', 'caesarean section', 'cesarean section', 'tka', 'tkr', 'tha',
  'thr', 'orif', 'turp', 'i&d', 'i & d', 'incision and drainage', 'd&c', 'suturing', 'dressing', 'sitz bath', 'epley manoeuvre',
  "epley's manoeuvre", 'epley maneuver', 'ear syringing', 'cast', 'plaster cast', 'splint', 'splinting', 'traction', 'phototherapy', 'cryotherapy',
  'ablation', 'cardioversion', 'transfusion', 'blood transfusion', 'angioplasty', 'stenting', 'wound irrigation', 'primary closure',
  'root canal treatment', 'pulpectomy', 'catheter ablation',
  // anaesthesia is given as a procedure (FHIR Procedure), not a medication: "ANESTHESIA: General", "IV sedation"
  'anesthesia', 'anaesthesia', 'general anesthesia', 'general anaesthesia', 'local anesthesia', 'local anaesthesia',
  'spinal anesthesia', 'spinal anaesthesia', 'regional anesthesia', 'regional anaesthesia', 'epidural anesthesia',
  'epidural anaesthesia', 'monitored anesthesia care', 'general endotracheal anesthesia', 'sedation', 'conscious sedation',
  'iv sedation', 'moderate sedation', 'intubation', 'endotracheal intubation', 'mechanical ventilation', 'ventilation',
]);
/** A dose form written before a name ("Tab Nodosis", "Inj. erythropoietin"): the name is a drug's. */
const DOSE_FORM_BEFORE = /(?:^|[^\p{L}])(?:tab|tabs|tablet|cap|caps|capsule|syp|syr|syrup|inj|injection|susp|oint|gtt)\.?\s+$/iu;
const PROCEDURE_ENDING = /(?:ectomy|otomy|ostomy|plasty|pexy|tripsy|rrhaphy)$/;

export function isProcedureName(name: string): boolean {
  const lower = name.toLowerCase();
  return PROCEDURE_NAMES.has(lower) || PROCEDURE_ENDING.test(lower);
}

/**
 * A heading that says what follows is a diagnosis, earlier on the entity's line: "Dx: typhoid", "Diagnosis -
 * dengue", "Impression: CAP", "A/P: ...". Case reports, which taught the classifier, rarely write notes this
 * way, and the writer has already said the kind.
 */
const DIAGNOSIS_HEADING = /(?:^|[^\p{L}])(?:dx|ddx|diagnos[ie]s|final diagnosis|impression|imp|assessment|a\/p)\s*[:\-–]/iu;
const LINE_LOOKBACK = 200;

export function underDiagnosisHeading(text: string, start: number): boolean {
  let from = start;
  let separator = false;
  // The line's start, no further back than the lookback; a heading needs its separator.
  for (const limit = Math.max(0, start - LINE_LOOKBACK); from > limit; from--) {
    const c = text.charCodeAt(from - 1);
    if (c === 10) break;
    if (c === 58 || c === 45 || c === 8211) separator = true;
  }
  if (separator) {
    const before = text.slice(from, start);
    const heading = DIAGNOSIS_HEADING.exec(before);
    // "Dx: likely otitis media. Sent amoxicillin … PRN fever": the heading's sentence has ended.
    if (heading) return !SENTENCE_BREAK.test(before.slice(heading.index + heading[0].length));
  }
  return from > 0 && LIST_ITEM.test(text.slice(from, start)) && listUnderDiagnosisHeading(text, from);
}

/** A sentence's end inside a line: a word's full stop before a capitalised word (not a list's "1. "). */
const SENTENCE_BREAK = /[a-z)]\.\s+[A-Z]/;

/** A numbered or bulleted item's start ("2. ", "- "), up to the entity. */
const LIST_ITEM = /^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]/;
/** A line that holds a header and nothing after it: "Diagnoses:", "Impression -". */
const HEADER_ALONE = /^[^:\-–]*[:\-–]?[ \t]*$/;
const MAX_LIST_ITEMS_ABOVE = 20;

/** The list item starting at `lineStart` belongs to a list under a diagnosis heading ("Diagnoses:\n1. AF\n2. Hypertension"). */
function listUnderDiagnosisHeading(text: string, lineStart: number): boolean {
  let end = lineStart - 1;
  for (let k = 0; k < MAX_LIST_ITEMS_ABOVE && end >= 0; k++) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    const indent = line.length - line.trimStart().length;
    if (headerAt(line, indent) === 'dx' && HEADER_ALONE.test(line)) return true;
    if (!LIST_ITEM.test(line)) return false;
    end = start - 1;
  }
  return false;
}

/** On the line of the section's header, a sentence has ended between the header and `at` ("Dx: AOM. Motrin PRN fever"). */
function headerSentenceEnded(text: string, sections: readonly NoteSection[], at: number): boolean {
  const header = sectionAt(sections, at);
  if (!header) return false;
  const between = text.slice(header.start, at);
  return !between.includes('\n') && SENTENCE_BREAK.test(between);
}

/** ICD-10-CM categories outside chapter R whose codes name a complaint (insomnia, tinnitus, dyspepsia, joint or back pain), not a diagnosis. */
export const COMPLAINT_CATEGORIES: ReadonlySet<string> = new Set(['G47', 'H92', 'H93', 'K30', 'K59', 'L29', 'M25', 'M54', 'M79']);
const COMPLAINTS: ReadonlySet<string> = new Set(PRESENTING_COMPLAINTS);
const DIAGNOSIS_SHORTHAND: ReadonlySet<string> = new Set(DIAGNOSIS_ABBREVIATIONS);

/** A presenting complaint by its name ("toothache", "body ache"): a symptom, whatever its code's chapter. */
export function isComplaintName(text: string): boolean {
  return COMPLAINTS.has(text.toLowerCase());
}
/** How surely a name must be coded for its code to decide its kind. */
const MIN_KIND_CODE_SCORE = 0.9;

/**
 * The record step after concept codes, in notes written in note style only: a disease typed a symptom whose
 * name codes, surely, to a disease (not chapter R, not a complaint) is a diagnosis: a prescription's
 * "hypertension" or "cholelithiasis" names what is treated. The classifier learned kinds from case reports,
 * which file many diseases as signs; those are left as it says. The other way, a disease typed a diagnosis
 * whose name codes surely to chapter R (symptoms and signs) is a symptom ("Dolo 650 SOS for fever"), but under
 * a diagnosis header, where the note makes it the diagnosis ("Dx: fever").
 */
export function noteKindsFromCodes(isNoteStyleNote: (note: EnrichedNote) => boolean): { name: string; apply(note: EnrichedNote, entities: Entity[]): void } {
  return {
    name: 'note-kinds-from-codes',
    apply: (note, entities) => {
      if (!entities.some((e) => e.type === 'disease') || !(note.noteStyle ?? isNoteStyleNote(note))) return;
      let sections: readonly NoteSection[] | undefined;
      for (const entity of entities) {
        if (entity.type !== 'disease') continue;
        // A complaint is a symptom whatever its words code to ("sore throat" is pharyngitis's index entry), but where a diagnosis heading makes it the diagnosis.
        if (COMPLAINTS.has(entity.text.toLowerCase())) {
          if (!underDiagnosisHeading(note.text, entity.start)) entity.kind = 'symptom';
          continue;
        }
        const icd = entity.codes?.find((code) => code.system === 'ICD-10-CM');
        if (!icd || icd.score < MIN_KIND_CODE_SCORE) continue;
        const sign = icd.code.startsWith('R');
        if (entity.kind === 'symptom' && !sign && !COMPLAINT_CATEGORIES.has(icd.code.slice(0, 3).toUpperCase())) entity.kind = 'diagnosis';
        else if (entity.kind === 'diagnosis' && sign) {
          sections ??= noteSections(note.text);
          if (sectionKindAt(sections, entity.start) !== 'dx' || headerSentenceEnded(note.text, sections, entity.start)) entity.kind = 'symptom';
        }
      }
    },
  };
}
