import { NerError } from '../../errors.js';
import type { Gazetteer, GazetteerKind } from '../tagger/gazetteer.js';
import type { SpanType, TokenSpan } from '../tagger/label-codec.js';
import { assertionCueAt } from './assertion.js';

/**
 * Span repairs applied after decoding, in a declared order: the annotation conventions of the corpus that a
 * first-order CRF breaks now and then. In the train split's 2,406 gold spans no parenthesis is left
 * unmatched, no span starts or ends with punctuation or a conjunction, and a parenthesised abbreviation right
 * after an entity belongs to it 76 times out of 80 (the other 4 are not abbreviations).
 * Each rule keeps spans ordered and non-overlapping. The rules after the first three enforce the product's
 * annotation guideline (docs/annotation-guideline.md); a model's card lists the rules it runs.
 */
export interface SpanRule {
  name: string;
  description: string;
  /** Repairs the spans it is given: no spans in, none out. */
  apply(tokens: readonly string[], spans: readonly TokenSpan[], model: SpanRuleModel): TokenSpan[];
}

/** What a span rule may consult of the model whose spans it repairs. */
export interface SpanRuleModel {
  /** The model's vocabulary of disease and drug names; without one, rules judge names by their head words alone. */
  readonly lexicon?: Gazetteer | undefined;
}

const NO_MODEL: SpanRuleModel = {};

const EDGE_WORDS = new Set([',', ';', ':', '.', 'and', 'or', 'with', 'of', 'in', 'for', '(', '-', '/']);

function isFree(spans: readonly TokenSpan[], self: number, start: number, end: number): boolean {
  return spans.every((s, i) => i === self || s.end <= start || s.start >= end);
}

function depth(tokens: readonly string[], span: TokenSpan): number {
  let open = 0;
  for (let i = span.start; i < span.end; i++) {
    if (tokens[i] === '(') open++;
    else if (tokens[i] === ')') open--;
  }
  return open;
}

// ---------------------------------------------------------------------------------------------------
// Names: what the guideline's rules need to know of a phrase (docs/annotation-guideline.md).

const LEXICON_KIND: Record<SpanType, GazetteerKind> = { D: 'disease', T: 'drug' };

/**
 * Head words and endings that make a phrase a name of its type when it ends (or, after a conjunction, starts)
 * with one: "heart failure", "chest pain", "radiation therapy", "appendectomy". The lexicon lacks most
 * symptoms and every procedure, so these carry the cases it cannot; modifiers ("renal", "left", "acute") are
 * never heads, which is what keeps "renal and hepatic diseases" one entity.
 */
const HEADS: Record<SpanType, { words: ReadonlySet<string>; endings: readonly string[] }> = {
  D: {
    words: new Set([
      'disease', 'disorder', 'syndrome', 'failure', 'cancer', 'infection', 'injury', 'fracture', 'insufficiency',
      'deficiency', 'pain', 'ache', 'ulcer', 'tumor', 'tumour', 'neoplasm', 'malignancy', 'abscess', 'edema', 'oedema',
      'effusion', 'bleeding', 'seizure', 'attack', 'stroke', 'embolism', 'infarction', 'aneurysm', 'dysfunction',
      'malformation', 'defect', 'palsy', 'fever', 'rash', 'cough', 'arrhythmia', 'fibrillation', 'flutter', 'tachycardia',
      'bradycardia', 'hypertension', 'hypotension', 'obstruction', 'perforation', 'dislocation', 'sprain', 'rupture',
      'dementia', 'depression', 'anxiety', 'asthma', 'sepsis', 'shock', 'vomiting', 'nausea', 'diarrhea', 'diarrhoea',
      'dyspnea', 'dyspnoea', 'fatigue', 'weakness', 'swelling', 'delirium', 'dependence', 'abuse', 'poisoning',
      'toxicity', 'allergy', 'intolerance', 'regurgitation', 'murmur', 'thrombus', 'jaundice', 'headache', 'chills', 'pneumonia',
      'metastasis', 'metastases',
    ]),
    endings: ['itis', 'osis', 'oma', 'ema', 'emia', 'aemia', 'pathy', 'algia', 'plegia', 'paresis', 'trophy', 'megaly', 'penia', 'rrhea', 'rrhoea', 'rrhage', 'plasia', 'iasis', 'uria'],
  },
  T: {
    words: new Set([
      'surgery', 'resection', 'repair', 'transplant', 'transplantation', 'replacement', 'bypass', 'graft', 'grafting',
      'ablation', 'dialysis', 'radiation', 'irradiation', 'ventilation', 'intubation', 'transfusion', 'infusion',
      'excision', 'amputation', 'drainage', 'debridement', 'fixation', 'stenting', 'catheterization', 'catheterisation',
      'embolization', 'embolisation', 'implantation', 'reconstruction', 'lavage', 'ligation', 'cardioversion', 'biopsy',
      'rehabilitation', 'vaccination', 'vaccine', 'prophylaxis', 'anticoagulation', 'decompression', 'supplementation', 'therapy',
      // drug classes
      'inhibitor', 'blocker', 'agonist', 'antagonist', 'diuretic', 'antibiotic', 'steroid', 'corticosteroid', 'statin', 'analgesic',
      'sulfonylurea', 'biguanide', 'insulin', 'opioid', 'nsaid', 'antidepressant', 'antipsychotic', 'anticonvulsant', 'antiepileptic',
      'bronchodilator', 'antihistamine', 'antiplatelet', 'anticoagulant', 'antiviral', 'antifungal', 'vasopressor', 'benzodiazepine',
    ]),
    endings: ['ectomy', 'otomy', 'ostomy', 'plasty', 'pexy', 'rrhaphy', 'therapy', 'scopy', 'tripsy', 'desis'],
  },
};

/** Words with a head's ending that name no condition. */
const NOT_HEADS: ReadonlySet<string> = new Set(['diagnosis', 'prognosis', 'diagnoses', 'prognoses']);

function isHead(word: string, type: SpanType): boolean {
  const lower = word.toLowerCase();
  if (NOT_HEADS.has(lower)) return false;
  const heads = HEADS[type];
  const singular = lower.length > 4 && lower.endsWith('s') && !lower.endsWith('ss') && !lower.endsWith('is') ? lower.slice(0, -1) : lower;
  if (heads.words.has(lower) || heads.words.has(singular)) return true;
  return heads.endings.some((ending) => singular.length >= ending.length + 3 && singular.endsWith(ending));
}

/** Length of the longest lexicon name of `kind` starting at lower[from] and ending by `to` (0: none). */
function lexiconNameAt(model: SpanRuleModel, lower: readonly string[], from: number, to: number, kind: GazetteerKind): number {
  if (!model.lexicon || to <= from) return 0;
  const [first] = model.lexicon.matchSpans(lower.slice(from, to));
  return first !== undefined && first.start === 0 && first.kind === kind ? first.end : 0;
}

function isLexiconName(model: SpanRuleModel, lower: readonly string[], from: number, to: number, type: SpanType): boolean {
  return lexiconNameAt(model, lower, from, to, LEXICON_KIND[type]) === to - from;
}

/** Whether tokens[from, to) ends with a name of `type`: a lexicon name ending at `to`, or a head word last. */
function endsWithName(model: SpanRuleModel, tokens: readonly string[], lower: readonly string[], from: number, to: number, type: SpanType): boolean {
  if (to <= from) return false;
  if (isHead(tokens[to - 1] as string, type)) return true;
  for (let k = from; k < to; k++) if (isLexiconName(model, lower, k, to, type)) return true;
  return false;
}

/** Whether tokens[from, to) starts with a name of `type` ("cellulitis of the nasal tip") or ends with one. */
function holdsName(model: SpanRuleModel, tokens: readonly string[], lower: readonly string[], from: number, to: number, type: SpanType): boolean {
  if (to <= from) return false;
  if (isHead(tokens[from] as string, type) || lexiconNameAt(model, lower, from, to, LEXICON_KIND[type]) > 0) return true;
  return endsWithName(model, tokens, lower, from, to, type);
}

/**
 * Names with a conjunction inside that are one entity, as the tokenizer splits them: the lexicon has none of
 * these, and a rule that knows names by their heads would cut most of them. Fixed-dose combinations written
 * with a slash are here; two drugs given together or as alternatives ("sulfonylurea/metformin") are not.
 */
const ONE_NAMES: readonly (readonly string[])[] = [
  'hand , foot and mouth disease', 'hand , foot , and mouth disease', 'head and neck cancer', 'ear , nose and throat',
  'dilation and curettage', 'dilatation and curettage', 'd & c', 'hiv / aids', 'incision and drainage', 'i & d',
  'mixed anxiety and depressive disorder', 'mixed anxiety and depression',
  ...[
    ['amoxicillin', 'clavulanate'], ['amoxicillin', 'clavulanic acid'], ['amoxycillin', 'clavulanate'], ['ampicillin', 'sulbactam'],
    ['piperacillin', 'tazobactam'], ['pip', 'tazo'], ['ticarcillin', 'clavulanate'], ['imipenem', 'cilastatin'],
    ['ceftazidime', 'avibactam'], ['ceftolozane', 'tazobactam'], ['trimethoprim', 'sulfamethoxazole'], ['trimethoprim', 'sulphamethoxazole'],
    ['tmp', 'smx'], ['carbidopa', 'levodopa'], ['lopinavir', 'ritonavir'], ['tipranavir', 'ritonavir'], ['darunavir', 'ritonavir'],
    ['atazanavir', 'ritonavir'], ['darunavir', 'cobicistat'], ['emtricitabine', 'tenofovir'], ['abacavir', 'lamivudine'],
    ['sacubitril', 'valsartan'], ['fluticasone', 'salmeterol'], ['budesonide', 'formoterol'], ['ipratropium', 'albuterol'],
    ['ipratropium', 'salbutamol'], ['hydrocodone', 'acetaminophen'], ['oxycodone', 'acetaminophen'], ['tramadol', 'acetaminophen'],
    ['tramadol', 'paracetamol'], ['ezetimibe', 'simvastatin'], ['drospirenone', 'ethinylestradiol'], ['drospirenone', 'ethinyl estradiol'],
    ['tegafur', 'uracil'], ['lidocaine', 'prilocaine'],
  ].flatMap(([a, b]) => [`${a} / ${b}`, `${b} / ${a}`]),
].map((name) => name.split(' '));

/** The one-entity name that covers lower[at] and lies within [from, to), if any: its [start, end). */
function oneNameAround(lower: readonly string[], at: number, from: number, to: number): [number, number] | null {
  for (const name of ONE_NAMES) {
    for (let offset = name.indexOf(lower[at] as string); offset >= 0; offset = name.indexOf(lower[at] as string, offset + 1)) {
      const start = at - offset;
      if (start >= from && start + name.length <= to && name.every((word, k) => lower[start + k] === word)) return [start, start + name.length];
    }
  }
  return null;
}

/**
 * Conjunctions and list separators between two names, longest first at each position: "X and Y", "X, Y",
 * "X followed by Y", "X/Y". Not "with": it joins a name to what qualifies it ("ulcer with perforation").
 */
const COORDINATORS: readonly (readonly string[])[] = [
  [',', 'and'], [',', 'or'], ['as', 'well', 'as'], ['followed', 'by'], ['and'], ['or'], ['and/or'], ['nor'], ['/'], [','], ['&'], ['plus'], ['versus'], ['vs'], ['vs.'],
];

/** Length of the coordinator at lower[at] that leaves a word before `end`, or 0. */
function coordinatorAt(lower: readonly string[], at: number, end: number): number {
  for (const phrase of COORDINATORS) {
    if (at + phrase.length >= end) continue;
    if (phrase.every((word, k) => lower[at + k] === word)) return phrase.length;
  }
  return 0;
}

/** Heads that are no name alone: after a conjunction they share a modifier ("autoimmune disease or syndrome"). */
const GENERIC_HEADS: ReadonlySet<string> = new Set([
  'disease', 'diseases', 'disorder', 'disorders', 'syndrome', 'syndromes', 'condition', 'conditions', 'illness', 'failure',
  'insufficiency', 'deficiency', 'dysfunction', 'injury', 'injuries', 'defect', 'defects', 'malformation', 'lesion', 'lesions',
  'problem', 'problems', 'complication', 'complications', 'symptom', 'symptoms', 'therapy', 'therapies', 'treatment',
  'treatments', 'medication', 'medications', 'drug', 'drugs', 'agent', 'agents', 'procedure', 'procedures',
]);

/** A letter, number or roman numeral that starts a conjunct elides its name: "hepatitis B or C", "type 1 or 2 diabetes". */
const ELLIPTIC_START = /^(?:[a-z]|\d+|[ivx]+)$/;

/** Whether tokens[from, to) can be one of the names a coordinator joins (the left one ends with it, the right one holds it). */
function isConjunct(model: SpanRuleModel, tokens: readonly string[], lower: readonly string[], from: number, to: number, type: SpanType, side: 'left' | 'right'): boolean {
  if (to <= from || (to - from === 1 && GENERIC_HEADS.has(lower[from] as string))) return false;
  if (side === 'left') return endsWithName(model, tokens, lower, from, to, type);
  return !ELLIPTIC_START.test(lower[from] as string) && holdsName(model, tokens, lower, from, to, type);
}

/**
 * A span split at each coordinator between two names: the part before it (since the last cut) must end
 * with a name and the part after it (up to the next coordinator) must hold one. "type 2 diabetes mellitus
 * and hypertension" is cut; "renal and hepatic diseases", "hand, foot and mouth disease" are not.
 */
function splitCoordination(tokens: readonly string[], lower: readonly string[], span: TokenSpan, model: SpanRuleModel): TokenSpan[] {
  const { type, start, end } = span;
  if (end - start < 3 || isLexiconName(model, lower, start, end, type)) return [span];
  const coordinators: [number, number][] = [];
  for (let i = start + 1; i < end - 1; i++) {
    const oneName = oneNameAround(lower, i, start, end);
    if (oneName) {
      i = oneName[1] - 1;
      continue;
    }
    const length = coordinatorAt(lower, i, end);
    if (length > 0) {
      coordinators.push([i, length]);
      i += length - 1;
    }
  }
  if (coordinators.length === 0) return [span];
  const parts: TokenSpan[] = [];
  let from = start;
  coordinators.forEach(([at, length], c) => {
    const next = coordinators[c + 1]?.[0] ?? end;
    if (isConjunct(model, tokens, lower, from, at, type, 'left') && isConjunct(model, tokens, lower, at + length, next, type, 'right')) {
      parts.push({ type, start: from, end: at });
      from = at + length;
    }
  });
  parts.push({ type, start: from, end });
  return parts;
}

/** What a cut may leave bare at a span's edge: punctuation, conjunctions, prepositions, determiners. */
const CUT_EDGE_WORDS: ReadonlySet<string> = new Set([...EDGE_WORDS, 'a', 'an', 'the', 'any', 'some']);

/** [start, end) without bare words at its edges; a parenthesis goes only with its partner ("PGF ( lymphoma )"). */
function bareEdgesTrimmed(lower: readonly string[], start: number, end: number): [number, number] {
  for (let changed = true; changed && end > start; ) {
    changed = false;
    const first = lower[start] as string;
    const last = lower[end - 1] as string;
    if (first === '(' && last === ')' && end - start > 2) {
      start++;
      end--;
      changed = true;
    } else if (first !== '(' && CUT_EDGE_WORDS.has(first)) {
      start++;
      changed = true;
    } else if (CUT_EDGE_WORDS.has(last) || (last === ')' && !lower.slice(start, end - 1).includes('('))) {
      end--;
      changed = true;
    }
  }
  return [start, end];
}

/**
 * A span without the assertion cues at its edges: a trigger of the assertion lexicon (assertion-triggers.ts)
 * that reaches forward at its start ("Suspected", "no evidence of", "h/o"), one that reaches backward at its
 * end ("ruled out", "resolved"), and the punctuation and conjunctions a cut leaves bare. A cue that begins a
 * lexicon name stays ("childhood absence epilepsy"), and a span that is nothing but cues is left alone.
 */
function trimAssertionCues(tokens: readonly string[], lower: readonly string[], span: TokenSpan, model: SpanRuleModel): TokenSpan {
  let { start, end } = span;
  for (let cut = true; cut; ) {
    cut = false;
    const lead = assertionCueAt(tokens, start, end);
    if (lead && lead.forward && start + lead.length < end && lexiconNameAt(model, lower, start, end, LEXICON_KIND[span.type]) <= lead.length) {
      start += lead.length;
      cut = true;
    }
    // Left to right, as the assertion step reads: a cue inside a longer phrase ("gram negative") is not one.
    for (let i = start + 1; i < end; ) {
      const cue = assertionCueAt(tokens, i, end);
      if (!cue) {
        i += 1;
      } else if (cue.backward && i + cue.length === end) {
        end = i;
        cut = true;
      } else {
        i += cue.length;
      }
    }
    if (cut) [start, end] = bareEdgesTrimmed(lower, start, end);
  }
  return end > start ? { ...span, start, end } : span;
}

/**
 * Spans of one type that together are one name, merged: adjacent ones that make a lexicon name ("sodium" +
 * "valproate"), a fixed-dose combination around a slash ("budesonide" / "formoterol"), and a listed name with a
 * conjunction inside ("mixed anxiety" and "depressive disorder").
 */
function joinSplitNames(lower: readonly string[], spans: readonly TokenSpan[], model: SpanRuleModel): TokenSpan[] {
  const joined: TokenSpan[] = [];
  for (const span of spans) {
    const previous = joined[joined.length - 1];
    const gap = previous ? span.start - previous.end : -1;
    const oneName =
      previous !== undefined &&
      previous.type === span.type &&
      ((gap === 0 && isLexiconName(model, lower, previous.start, span.end, span.type)) ||
        (gap === 1 && lower[previous.end] === '/' && isOneNameExactly(lower, previous.start, span.end)) ||
        (gap >= 1 && gap <= 2 && isOneNameExactly(lower, previous.start, span.end)));
    if (previous && oneName) joined[joined.length - 1] = { ...previous, end: span.end };
    else if (previous && previous.type === 'D' && inPregnancyAfter(lower, previous.end) === span.end && span.start >= previous.end) joined[joined.length - 1] = { ...previous, end: span.end };
    else joined.push({ ...span });
  }
  // "Anaemia in pregnancy", "UTI in pregnancy": a condition of pregnancy is one name (ICD-10-CM chapter O).
  return joined.map((span) => {
    const end = span.type === 'D' ? inPregnancyAfter(lower, span.end) : -1;
    return end > 0 ? { ...span, end } : span;
  });
}

/** Where "in pregnancy" (or "of pregnancy") right after a span ends, or -1. */
function inPregnancyAfter(lower: readonly string[], at: number): number {
  return (lower[at] === 'in' || lower[at] === 'of') && (lower[at + 1] === 'pregnancy' || lower[at + 1] === 'pregnancies') ? at + 2 : -1;
}

function isOneNameExactly(lower: readonly string[], start: number, end: number): boolean {
  const found = oneNameAround(lower, start, start, end);
  return found !== null && found[0] === start && found[1] === end;
}

/** Words that say how a condition began, never part of its name: "acute onset", "sudden-onset", "new onset of". */
const ONSET_WORDS: ReadonlySet<string> = new Set(['acute', 'sudden', 'new', 'recent', 'gradual', 'insidious', 'abrupt', 'rapid']);
/** Onset words that say so alone ("sudden pain", "gradual weakness"), unless a name goes on with the next word. */
const ONSET_ALONE: ReadonlySet<string> = new Set(['sudden', 'gradual', 'insidious', 'abrupt']);
/** Words after "sudden" in names the vocabularies may lack: sudden cardiac death, sudden infant death syndrome, sudden sensorineural hearing loss. */
const NAME_AFTER_ONSET: ReadonlySet<string> = new Set(['cardiac', 'death', 'infant', 'unexpected', 'unexplained', 'sensorineural', 'arrhythmic']);
/** Words that frame a condition rather than name it: "signs of alcohol withdrawal", "symptoms of hypoglycaemia". */
const FRAMING_WORDS: ReadonlySet<string> = new Set(['signs', 'symptoms', 'features', 'episodes', 'episode', 'bouts']);

/**
 * Tokens of an onset or framing phrase at lower[at] ("acute onset of", "sudden-onset", "onset of", "sudden",
 * "signs of"), 0 when none.
 */
function onsetPhraseAt(lower: readonly string[], at: number): number {
  let k = at;
  const word = lower[k] ?? '';
  const dash = word.indexOf('-');
  if (dash > 0 && word.slice(dash + 1) === 'onset' && ONSET_WORDS.has(word.slice(0, dash))) k += 1;
  else if (ONSET_WORDS.has(word) && lower[k + 1] === 'onset') k += 2;
  else if (word === 'onset' && lower[k + 1] === 'of') k += 1;
  else if (ONSET_ALONE.has(word)) return NAME_AFTER_ONSET.has(lower[k + 1] ?? '') ? 0 : 1;
  else if (FRAMING_WORDS.has(word) && lower[k + 1] === 'of') return 2;
  else return 0;
  if (lower[k] === 'of') k += 1;
  return k - at;
}

/** Words that say how a known condition goes, never part of its name: "acute exacerbation of asthma", "COPD exacerbation", "uncomplicated cystitis". */
const EXACERBATIONS: ReadonlySet<string> = new Set(['exacerbation', 'exacerbations', 'flare', 'flares', 'flare-up', 'flare-ups']);
const COURSE_WORDS: ReadonlySet<string> = new Set(['uncomplicated']);
/** "an acute exacerbation", "severe exacerbation": the exacerbation of a condition the span does not name, left whole. */
const NOT_NAMES_BEFORE_EXACERBATION: ReadonlySet<string> = new Set([...ONSET_WORDS, 'a', 'an', 'the', 'mild', 'moderate', 'severe', 'recurrent', 'frequent', 'current', 'recent']);

/** Tokens of a course phrase at lower[at] ("acute exacerbation of", "exacerbation of", "flare of", "uncomplicated"), 0 when none. */
function coursePhraseAt(lower: readonly string[], at: number): number {
  if (COURSE_WORDS.has(lower[at] ?? '')) return 1;
  const k = lower[at] === 'acute' ? at + 1 : at;
  return EXACERBATIONS.has(lower[k] ?? '') && lower[k + 1] === 'of' ? k + 2 - at : 0;
}

/** A disease span without the onset or course phrase it starts with, nor the exacerbation it ends with, unless a lexicon name covers it. */
function trimOnset(lower: readonly string[], span: TokenSpan, model: SpanRuleModel): TokenSpan {
  if (span.type !== 'D') return span;
  const length = onsetPhraseAt(lower, span.start) || coursePhraseAt(lower, span.start);
  if (length > 0 && span.start + length < span.end && lexiconNameAt(model, lower, span.start, span.end, 'disease') <= length) return { ...span, start: span.start + length };
  if (
    span.end - span.start >= 2 &&
    EXACERBATIONS.has(lower[span.end - 1] as string) &&
    !NOT_NAMES_BEFORE_EXACERBATION.has(lower[span.end - 2] as string) &&
    lexiconNameAt(model, lower, span.start, span.end, 'disease') < span.end - span.start
  ) {
    // "Acute asthma exacerbation": the acute is the exacerbation's, unless the lexicon names the rest with it.
    const end = span.end - 1;
    const acuteOfExacerbation = lower[span.start] === 'acute' && end - span.start >= 2 && !isLexiconName(model, lower, span.start, end, 'D');
    return { ...span, start: acuteOfExacerbation ? span.start + 1 : span.start, end };
  }
  return span;
}

/** "Acute exacerbation" taken apart from the name it is of ("Acute exacerbation | of | bronchial asthma"): the name is the entity. */
function isCourseBeforeName(lower: readonly string[], span: TokenSpan, next: TokenSpan | undefined): boolean {
  return span.type === 'D' && next?.type === 'D' && next.start === span.end + 1 && coursePhraseAt(lower, span.start) === span.end + 1 - span.start;
}

/** Words before a condition's name that are not of it ("exacerbation of his asthma"). */
const DETERMINERS: ReadonlySet<string> = new Set(['his', 'her', 'their', 'the', 'a', 'an', 'known', 'underlying', 'pre-existing']);
/** Words that end a condition's name written after "exacerbation of" ("… asthma with hypoxia", "… COPD due to …"). */
const NAME_ENDS: ReadonlySet<string> = new Set(['with', 'and', 'or', 'due', 'secondary', 'since', 'for', 'on', 'in', 'x', 'likely', 'probably', 'requiring', 'after', 'from']);
const MAX_NAME_AFTER_COURSE = 5;

/**
 * "Acute exacerbation" taken without the name it is of, which the tagger did not find ("Acute exacerbation | of
 * reactive airway disease"): the words after "of" up to punctuation or a joining word, at most five, are the entity.
 */
function courseOntoName(lower: readonly string[], span: TokenSpan, spans: readonly TokenSpan[]): TokenSpan {
  if (span.type !== 'D' || coursePhraseAt(lower, span.start) !== span.end + 1 - span.start) return span;
  let start = span.end + 1;
  while (DETERMINERS.has(lower[start] ?? '')) start++;
  let end = start;
  while (end < lower.length && end - start < MAX_NAME_AFTER_COURSE && /^[a-z0-9][a-z0-9'/-]*$/.test(lower[end] as string) && !NAME_ENDS.has(lower[end] as string)) end++;
  if (end === start || end - start === MAX_NAME_AFTER_COURSE || spans.some((other) => other !== span && other.start < end && other.end > start)) return span;
  return { ...span, start, end };
}

/** Laterality and "over" that start a body site written after a condition ("cellulitis left leg", "plaques over elbows"). */
const SITE_STARTS: ReadonlySet<string> = new Set(['left', 'right', 'bilateral', 'bilaterally', 'both', 'lt', 'rt', 'over']);
/** Lesion shapes between a condition and its site, which go with the site ("psoriasis plaques over elbows"). */
const LESION_SHAPES: ReadonlySet<string> = new Set(['plaque', 'plaques', 'patch', 'patches', 'papule', 'papules', 'macule', 'macules', 'nodule', 'nodules', 'vesicle', 'vesicles', 'lesion', 'lesions']);

/**
 * A disease span cut before a body site that follows a complete name: at a laterality word or "over", when
 * the part before it ends with a name (lesion shapes aside) and the part from it holds none. Sites before
 * the name are part of it ("left bundle branch block"), so a span that starts with one is not touched.
 */
function trimTrailingSite(tokens: readonly string[], lower: readonly string[], span: TokenSpan, model: SpanRuleModel): TokenSpan {
  if (span.type !== 'D') return span;
  for (let k = span.start + 1; k < span.end - 1; k++) {
    if (!SITE_STARTS.has(lower[k] as string)) continue;
    if (holdsName(model, tokens, lower, k + 1, span.end, 'D')) return span;
    let nameEnd = k;
    while (nameEnd > span.start + 1 && LESION_SHAPES.has(lower[nameEnd - 1] as string)) nameEnd--;
    // A short word before the site is as likely a unit or an abbreviation as a name ("3 cm right renal mass").
    const named = (lower[nameEnd - 1] as string).length >= 4 && endsWithName(model, tokens, lower, span.start, nameEnd, 'D');
    return named ? { ...span, end: nameEnd } : span;
  }
  return span;
}

/** Laterality written before a site and a disease name: "Lt ureteric calculus", "B/L knee OA", "right lower lobe pneumonia". */
const LEADING_LATERALITY: ReadonlySet<string> = new Set(['left', 'right', 'bilateral', 'b/l', 'bil', 'lt', 'rt', 'lt.', 'rt.']);
/** Most site words between the laterality and the name ("lower lobe"). */
const MAX_SITE_WORDS = 2;
const SITE_WORD = /^[a-z][a-z-]{2,}$/;
/** Words that end a site before a name: a verb, a preposition or a determiner is no part of one. */
const NOT_SITE_WORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'with', 'of', 'in', 'for', 'the', 'a', 'an', 'his', 'her', 'their', 'on', 'at', 'to', 'from', 'has', 'had', 'have', 'was', 'were',
  'is', 'are', 'sided', 'side', 'shows', 'showed', 'revealed', 'noted', 'than', 'but', 'no', 'not', 'without', 'after', 'before', 'since',
]);

/**
 * A disease span starts at the laterality written before it, over at most two site words: the guideline puts a
 * site written before the name in the name ("left knee osteoarthritis"), and the tagger, which learned tight
 * spans from case reports, leaves "Lt" and "B/L knee" out. Only a laterality word opens such a site, only words
 * that can be part of one stand between, and never over another span.
 */
function joinLeadingSite(lower: readonly string[], spans: readonly TokenSpan[], i: number): TokenSpan {
  const span = spans[i] as TokenSpan;
  if (span.type !== 'D') return span;
  for (let k = span.start - 1; k >= 0 && k >= span.start - 1 - MAX_SITE_WORDS; k--) {
    const word = lower[k] as string;
    if (LEADING_LATERALITY.has(word)) return isFree(spans, i, k, span.start) ? { ...span, start: k } : span;
    if (!SITE_WORD.test(word) || NOT_SITE_WORDS.has(word)) return span;
  }
  return span;
}

/** The spans with each one `which` picks started at the site before it, as the `join-leading-site` rule does. */
export function withLeadingSites<S extends TokenSpan>(tokens: readonly string[], spans: readonly S[], which: (span: S) => boolean): S[] {
  if (!spans.some(which)) return [...spans];
  const lower = tokens.map((t) => t.toLowerCase());
  return spans.map((span, i) => (which(span) ? { ...span, start: joinLeadingSite(lower, spans, i).start } : span));
}

/** The sentence applySpanRules is repairing and its words lower-cased: made once for all its rules. */
let current: { tokens: readonly string[]; lower: readonly string[] | null } | null = null;
function lowered(tokens: readonly string[]): readonly string[] {
  if (current?.tokens !== tokens) return tokens.map((t) => t.toLowerCase());
  current.lower ??= tokens.map((t) => t.toLowerCase());
  return current.lower;
}

const RULES: readonly SpanRule[] = [
  {
    name: 'abbreviation-after',
    description: 'extend a span over a following "( ABBR )", e.g. multiple sclerosis ( MS )',
    apply: (tokens, spans) =>
      spans.map((span, i) => {
        const inside = tokens[span.end + 1];
        const isAbbreviation = inside !== undefined && /^[A-Z][A-Za-z0-9-]*[A-Z0-9]/.test(inside) && inside.length <= 12;
        if (tokens[span.end] === '(' && tokens[span.end + 2] === ')' && isAbbreviation && isFree(spans, i, span.end, span.end + 3)) {
          return { ...span, end: span.end + 3 };
        }
        return span;
      }),
  },
  {
    name: 'balance-parentheses',
    description: 'close an open parenthesis by taking the ")" that follows, or else cut the span before it',
    apply: (tokens, spans) =>
      spans.map((span, i) => {
        let fixed = { ...span };
        while (depth(tokens, fixed) > 0 && tokens[fixed.end] === ')' && isFree(spans, i, fixed.end, fixed.end + 1)) fixed.end++;
        while (depth(tokens, fixed) > 0 && fixed.end > fixed.start) {
          const lastOpen = tokens.lastIndexOf('(', fixed.end - 1);
          fixed = { ...fixed, end: Math.max(fixed.start, lastOpen) };
        }
        while (depth(tokens, fixed) < 0 && fixed.start < fixed.end && tokens[fixed.start] === ')') fixed.start++;
        return fixed;
      }),
  },
  {
    name: 'trim-edge-words',
    description: 'drop punctuation and conjunctions at either end of a span (and spans left empty)',
    apply: (tokens, spans) =>
      spans.map((span) => {
        const fixed = { ...span };
        while (fixed.start < fixed.end && EDGE_WORDS.has((tokens[fixed.start] as string).toLowerCase())) fixed.start++;
        while (fixed.end > fixed.start && EDGE_WORDS.has((tokens[fixed.end - 1] as string).toLowerCase())) fixed.end--;
        return fixed;
      }),
  },
  {
    name: 'join-split-names',
    description: 'merge spans of one type that together are one name: sodium + valproate (a lexicon name), budesonide / formoterol (a fixed-dose combination), anaemia + in pregnancy',
    apply: (tokens, spans, model) => {
      // One span joins nothing unless "in/of pregnancy" follows it: most sentences skip lower-casing their tokens.
      const only = spans.length === 1 ? (spans[0] as TokenSpan) : undefined;
      if (spans.length === 0 || (only && !/^(?:in|of)$/i.test(tokens[only.end] ?? ''))) return [...spans];
      return joinSplitNames(lowered(tokens), spans, model);
    },
  },
  {
    name: 'split-coordination',
    description: 'split a span at a conjunction, comma or slash between two names (diabetes or hypertension), unless the whole span is one name',
    apply: (tokens, spans, model) => {
      if (spans.length === 0) return [];
      const lower = lowered(tokens);
      return spans.flatMap((span) => splitCoordination(tokens, lower, span, model));
    },
  },
  {
    name: 'trim-assertion-cues',
    description: 'cut assertion cues (the assertion lexicon\'s triggers) off the edges of a span: Suspected dengue fever -> dengue fever',
    apply: (tokens, spans, model) => {
      if (spans.length === 0) return [];
      const lower = lowered(tokens);
      return spans.map((span) => trimAssertionCues(tokens, lower, span, model));
    },
  },
  {
    name: 'trim-onset',
    description: 'cut an onset, framing or course phrase off a disease span: Acute onset cellulitis -> cellulitis, sudden pain -> pain, signs of alcohol withdrawal -> alcohol withdrawal, acute exacerbation of asthma / COPD exacerbation -> asthma / COPD',
    apply: (tokens, spans, model) => {
      if (spans.length === 0) return [];
      const lower = lowered(tokens);
      return spans.filter((span, i) => !isCourseBeforeName(lower, span, spans[i + 1])).map((span) => trimOnset(lower, courseOntoName(lower, span, spans), model));
    },
  },
  {
    name: 'trim-trailing-site',
    description: 'cut a body site written after a complete disease name: cellulitis left leg -> cellulitis, Psoriasis plaques over elbows -> Psoriasis',
    apply: (tokens, spans, model) => {
      if (spans.length === 0) return [];
      const lower = lowered(tokens);
      return spans.map((span) => trimTrailingSite(tokens, lower, span, model));
    },
  },
  {
    name: 'join-leading-site',
    description: 'start a disease span at a laterality and site written before it: Lt ureteric calculus, B/L knee OA, right lower lobe pneumonia (a laterality alone is no entity)',
    apply: (tokens, spans) => {
      if (spans.length === 0) return [];
      const lower = lowered(tokens);
      // The tagger sometimes takes a lone "Lt" for an entity of its own, which would keep the name from its site.
      const isLoneLaterality = (span: TokenSpan): boolean => span.end - span.start === 1 && LEADING_LATERALITY.has(lower[span.start] as string);
      const named = spans.some(isLoneLaterality) ? spans.filter((span) => !isLoneLaterality(span)) : spans;
      return named.map((_, i) => joinLeadingSite(lower, named, i));
    },
  },
];

/** Every rule this code has, in the order they run. */
export const SPAN_RULE_LIBRARY: readonly SpanRule[] = RULES;
/** The rules a model trains with unless told otherwise. */
export const DEFAULT_SPAN_RULES: readonly string[] = ['abbreviation-after', 'balance-parentheses', 'trim-edge-words'];

/**
 * The rules that enforce the product's annotation guideline (docs/annotation-guideline.md), applied after the
 * default ones in the domains annotated under the every-mention policy. A corpus that merges lists of names into
 * one span (BeHealthy) is not scored with them.
 */
export const GUIDELINE_SPAN_RULES: readonly string[] = ['join-split-names', 'split-coordination', 'trim-assertion-cues', 'trim-onset', 'trim-trailing-site', 'join-leading-site'];
/** The guideline rule a corpus that annotates sites apart (CorpusMapping.sitesBeforeNames) is not scored with. */
export const JOIN_LEADING_SITE = 'join-leading-site';

export function resolveSpanRules(names: readonly string[]): SpanRule[] {
  const missing = names.filter((name) => !RULES.some((r) => r.name === name));
  if (missing.length > 0) {
    throw new NerError('NER_ERR_MODEL_TEMPLATES', `unknown span rule(s): ${missing.join(', ')}; this code has: ${RULES.map((r) => r.name).join(', ')}`);
  }
  return RULES.filter((rule) => names.includes(rule.name));
}

export function applySpanRules(rules: readonly SpanRule[], tokens: readonly string[], spans: readonly TokenSpan[], model: SpanRuleModel = NO_MODEL): TokenSpan[] {
  let repaired = [...spans];
  if (repaired.length === 0) return repaired;
  const outer = current;
  current = { tokens, lower: null };
  try {
    for (const rule of rules) {
      repaired = rule.apply(tokens, repaired, model).filter((span) => span.end > span.start);
      if (repaired.length === 0) break;
    }
  } finally {
    current = outer;
  }
  return repaired;
}

/** Each domain's extra rules, resolved. */
export function resolveDomainSpanRules(byDomain: Readonly<Record<string, readonly string[]>>): Record<string, SpanRule[]> {
  return Object.fromEntries(Object.entries(byDomain).map(([domain, names]) => [domain, resolveSpanRules(names)]));
}
