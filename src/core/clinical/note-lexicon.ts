import { extendGazetteer, type Gazetteer, type GazetteerEntry } from '../tagger/gazetteer.js';
import type { TokenSpan } from '../tagger/label-codec.js';

/**
 * Clinical-note style: the lexicon pass. The CRF learned from MEDLINE abstracts, whose annotators labelled
 * mentions only in sentences stating a disease–treatment relation, and whose treatments are mostly
 * procedures; in a prescription ("Rx: tab azithromycin 500mg OD x5d") it finds almost no drug and few
 * diagnoses. Notes, though, name diseases and drugs in telegraphic fragments, where a name from the
 * open vocabularies (or the shorthand below) is nearly always meant: on the note-style dev set the shipped
 * gazetteer's matches agreed with the gold labels 94 times out of 97.
 *
 * So in sentences written in note style, and only there, a lexicon match that no CRF span touches becomes an
 * entity. Abstract-style sentences (the corpus, prose letters) are left to the CRF and its annotators' policy.
 */

/**
 * The confidence of a span the lexicon pass adds: the share of such spans that were exactly right on the
 * note-style dev set, 84 of 89 (the CRF gives no probability to a span it did not choose).
 */
export const LEXICON_SPAN_CONFIDENCE = 0.94;

/** Word-shaped cues of note style: prescription forms and frequencies, and clinical shorthand. */
const NOTE_CUES: ReadonlySet<string> = new Set([
  // dosage forms
  'tab', 'tabs', 'cap', 'caps', 'syp', 'syr', 'inj', 'oint', 'susp', 'neb', 'nebs', 'gtt', 'supp',
  // frequencies and routes as prescriptions write them
  'od', 'bd', 'bid', 'tds', 'tid', 'qid', 'qd', 'qhs', 'hs', 'sos', 'prn', 'stat', 'po', 'q4h', 'q6h', 'q8h', 'q12h',
  'b.i.d.', 't.i.d.', 'q.i.d.', 'q.d.', 'p.o.', 'p.r.n.', 'q.h.s.', 'h.s.', 'o.d.',
  // clinical shorthand
  'pt', 'c/o', 'h/o', 'k/c/o', 's/p', 'r/o', 'dx', 'rx', 'hx', 'fhx', 'pmh', 'psh', 'hpi', 'cc', 'sx', 'tx', 'w/', 'f/u', 'a/p', 'meds', 'adv', 'ddx', 'imp',
]);

/**
 * Written in capitals inside mixed-case prose, most shorthand is something else (PT prothrombin time, CC
 * cubic centimetres, OD overdose, HS a disease); only these frequencies stay unambiguous.
 */
const CUES_IN_CAPITALS: ReadonlySet<string> = new Set(['bd', 'bid', 'tds', 'tid', 'qid', 'qhs', 'sos', 'prn', 'po', 'q4h', 'q6h', 'q8h', 'q12h']);

/** A duration such as x5d, x3d, x2wks (the x glued to the count, as notes write it). */
const DURATION = /^x\d+(d|days?|wks?|weeks?|m|mo|months?)?$/;
/** A dose glued to its unit: 500mg, 5ml, 10units. */
const GLUED_DOSE = /^\d+(\.\d+)?(mg|mcg|g|ml|iu|units?)$/;
const BULLETS: ReadonlySet<string> = new Set(['-', '•', '*', '·', '–']);

/**
 * Whether a sentence reads as a clinical note rather than prose: it holds a prescription or shorthand cue,
 * a glued dose or duration, or starts with a bullet. `words` as the tagger sees them (a sentence in
 * capitals already lower-cased, see caseForTagging).
 */
export function isNoteStyle(words: readonly string[]): boolean {
  if (words.length > 0 && BULLETS.has(words[0] as string)) return true;
  for (const word of words) {
    // Every cue is short, and a dose or duration starts with a digit or an x: most words are ruled out
    // without lower-casing them or running a pattern.
    if (word.length > MAX_CUE_LENGTH && !startsDoseOrDuration(word)) continue;
    const lower = word.toLowerCase();
    if (NOTE_CUES.has(lower)) {
      if (word === lower || word !== word.toUpperCase() || CUES_IN_CAPITALS.has(lower)) return true;
    } else if (startsDoseOrDuration(word) && (GLUED_DOSE.test(lower) || DURATION.test(lower))) {
      return true;
    }
  }
  return false;
}

const MAX_CUE_LENGTH = 7;
function startsDoseOrDuration(word: string): boolean {
  const c = word.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 120 || c === 88;
}

/** Complaints and findings as notes write them: names of symptoms, whatever a code of the same words files them under. */
export const PRESENTING_COMPLAINTS: readonly string[] = [
  'fever', 'cough', 'cold', 'headache', 'vomiting', 'nausea', 'diarrhea', 'diarrhoea', 'constipation', 'dysuria', 'rash', 'itching',
  'pruritus', 'breathlessness', 'dyspnea', 'dyspnoea', 'wheeze', 'wheezing', 'fatigue', 'dizziness', 'vertigo', 'palpitations',
  'syncope', 'edema', 'oedema', 'jaundice', 'polyuria', 'polydipsia', 'myalgia', 'arthralgia', 'insomnia', 'anorexia', 'hematuria',
  'haematuria', 'hemoptysis', 'haemoptysis', 'epistaxis', 'sore throat', 'chest pain', 'abdominal pain', 'back pain', 'joint pain',
  'joint pains', 'body ache', 'body aches', 'loose stools', 'burning micturition', 'runny nose', 'nasal congestion', 'shortness of breath',
  'weight loss', 'chills', 'night sweats', 'heartburn', 'acidity', 'bloating', 'flank pain', 'ear pain', 'toothache', 'knee pain',
  'running nose', 'nasal blockage', 'nasal obstruction', 'stuffy nose', 'sneezing', 'watery eyes', 'itchy eyes', 'red eyes', 'eye pain',
  'loose motions', 'pain abdomen', 'giddiness', 'weakness', 'generalised weakness', 'generalized weakness', 'tiredness', 'body pain',
  'throat pain', 'neck pain', 'shoulder pain', 'leg pain', 'pedal edema', 'pedal oedema', 'tingling', 'numbness', 'hoarseness',
  'odynophagia', 'dysphagia', 'chest tightness', 'orthopnea', 'orthopnoea', 'irritability', 'mood swings', 'low mood', 'poor appetite',
  'loss of appetite', 'weight gain', 'malaise', 'lethargy', 'cramps', 'tremors', 'blurred vision', 'ear discharge', 'tinnitus', 'hair fall',
  'tachycardia', 'bradycardia', 'hypotension', 'melena', 'melaena', 'hematemesis', 'haematemesis', 'excoriations', 'pallor', 'icterus',
  'cyanosis', 'crackles', 'rales', 'tenderness', 'rhonchi', 'crepitations', 'crepts', 'swelling', 'easy fatigability', 'photophobia',
  'blurring of vision', 'anhedonia', 'poor sleep', 'heavy menstrual bleeding', 'heavy periods', 'irregular periods', 'irregular menses',
  'painful periods', 'missed periods', 'white discharge', 'excess facial hair', 'hot flushes', 'hot flashes', 'excessive thirst',
  'decreased urine output', 'watering of eyes', 'dandruff', 'hoarseness of voice', 'drowsiness', 'odynophagia', 'rhinorrhea', 'rhinorrhoea',
  'trismus', 'vaginal discharge', 'stridor', 'hoarse voice',
];

/**
 * Shorthand and symptoms notes use that the open vocabularies (disease ontology, drug lists) lack: they
 * name diseases, not abbreviations or presenting complaints, and no procedures. Written from general
 * clinical usage, not from the evaluation notes.
 */
/** Abbreviations of common diagnoses: each names a diagnosis, never a complaint. */
export const DIAGNOSIS_ABBREVIATIONS: readonly string[] = [
  'htn', 'dm', 't1dm', 't2dm', 'dm2', 'iddm', 'niddm', 'cad', 'ihd', 'chf', 'hf', 'ckd', 'aki', 'copd', 'gerd', 'uti', 'urti', 'lrti',
  'tb', 'ptb', 'mi', 'stemi', 'nstemi', 'acs', 'af', 'afib', 'dvt', 'pe', 'cva', 'tia', 'ra', 'oa', 'sle', 'ibs', 'ibd', 'pcos', 'bph',
  'hld', 'osa', 'aom', 'hiv', 'hcv', 'hbv', 'ards', 'dka', 'hhs', 'pud', 'nafld', 'ckd5', 'esrd', 'adhd', 'mdd', 'gad', 'ptsd',
  'bppv', 'nash', 'gdm', 'pih', 'aub', 'pid', 'hsv', 'pad', 'pvd', 'aaa', 'svt', 'lvh', 'ild', 'ugib', 'siadh', 'nhl', 'cml', 'aml', 'cll', 'ocd', 'vsd', 'sah', 'itp', 'aecopd',
  'gtcs', 'ida', 'pcod', 'gord', 'gib', 'dic', 'hfref', 'hfpef', 'hfmref',
];

const SHORTHAND: Readonly<Record<'disease' | 'drug', readonly string[]>> = {
  disease: [
    ...DIAGNOSIS_ABBREVIATIONS,
    // low back pain, a complaint
    'lbp',
    // names the vocabularies lack, or hold only under a longer or another name ("heart failure" as "congestive heart failure")
    'heart failure', 'cardiac failure', 'bronchial asthma', 'community acquired pneumonia', 'acute gastroenteritis', 'viral fever', 'dengue',
    'iron deficiency anaemia', 'iron deficiency anemia', 'tinea', 'peptic ulcer', 'fatty liver', 'renal calculus', 'kidney stone', 'kidney stones',
    'acute kidney injury', 'dysmenorrhea', 'dysmenorrhoea', 'hyperlipidemia', 'hyperlipidaemia', 'dyslipidaemia', 'hypercholesterolemia',
    'hypercholesterolaemia', 'angina', 'sepsis', 'sciatica', 'low back pain', 'fracture', 'sprain', 'dehydration', 'hyponatremia', 'hyponatraemia',
    'hypokalaemia', 'vitamin d deficiency', 'b12 deficiency', 'vitamin b12 deficiency', 'heart block', 'mixed anxiety and depressive disorder',
    'intertrigo', 'presyncope', 'peritonsillar abscess', 'acanthosis nigricans', 'dog bite', 'animal bite', 'laceration', 'lac',
    'strep pharyngitis', 'streptococcal pharyngitis', 'strep throat', 'conjunctival congestion', 'subcostal recession', 'intercostal recession', 'repeated falls', 'recurrent falls',
    ...PRESENTING_COMPLAINTS,
  ],
  drug: [
    // treatments notes name that drug lists do not: therapies and procedures in shorthand
    'ors', 'iv fluids', 'physiotherapy', 'dialysis', 'hemodialysis', 'haemodialysis', 'nebulization', 'nebulisation', 'cbt', 'ect',
    'chemotherapy', 'radiotherapy', 'insulin', 'oxygen therapy', 'cpap', 'bipap', 'pci', 'cabg', 'ptca', 'appendectomy',
    'cholecystectomy', 'deworming', 'dressing', 'sitz bath', 'att', 'wound irrigation', 'primary closure', 'root canal treatment',
    'pulpectomy', 'catheter ablation', 'hcq', 'pcm', 'apap',
    'lscs', 'tka', 'tkr', 'tha', 'thr', 'orif', 'turp',
  ],
};

/** Vocabulary entries that are ordinary words in a note ("today" is a brand name). */
const NOT_NAMES: ReadonlySet<string> = new Set(['today', 'water', 'plan', 'control', 'relief', 'advice', 'care', 'day', 'night', 'stop', 'rest', 'iron deficiency']);

/** The shorthand as gazetteer entries (whitespace-separated tokens, as the tokenizer splits them). */
export function shorthandEntries(): GazetteerEntry[] {
  return (['disease', 'drug'] as const).flatMap((kind) => SHORTHAND[kind].map((name) => ({ tokens: name.split(' '), kind })));
}

/** The lexicon the note pass matches: the model's gazetteer entries plus the shorthand, less ordinary words. */
export function noteLexicon(gazetteer: Gazetteer | null): Gazetteer {
  return extendGazetteer(gazetteer, shorthandEntries(), { excluded: NOT_NAMES });
}

/**
 * Whether a note is written in note style: one of its sentences is (the rest of it, "Dengue." on its own line,
 * is then read as part of the note, not as prose).
 */
export function isNoteStyleText(sentences: readonly (readonly string[])[]): boolean {
  return sentences.some((words) => isNoteStyle(words));
}

/** A name the pass turned into an entity. */
export interface LexiconSpan extends TokenSpan {
  fromLexicon: true;
}

/**
 * noteStyle: what the whole note says (true / false); left out, the sentence decides for itself.
 * cutAtDoseWords: false keeps the decoded spans as they are (see cutAtPrescriptionWords).
 * Out of note-style sentences' lexicon matches, those no span overlaps, as spans (drug → T, disease → D;
 * where both kinds match, the longer wins, a disease on a tie). Returns the spans merged in order.
 */
export function withLexiconSpans(
  words: readonly string[],
  decoded: readonly TokenSpan[],
  lexicon: Gazetteer,
  options: { noteStyle?: boolean; cutAtDoseWords?: boolean } = {},
): readonly (TokenSpan | LexiconSpan)[] {
  if (options.noteStyle === false || (options.noteStyle === undefined && !isNoteStyle(words))) return decoded;
  const lowerWords = words.map((w) => w.toLowerCase());
  const spans: readonly TokenSpan[] = options.cutAtDoseWords === false ? decoded : cutAtPrescriptionWords(lowerWords, decoded);
  const taken = new Uint8Array(lowerWords.length);
  for (const span of spans) taken.fill(1, span.start, span.end);
  const added: LexiconSpan[] = [];
  let widened: TokenSpan[] | undefined;
  for (const match of lexicon.matchSpans(lowerWords)) {
    if (taken.subarray(match.start, match.end).some((t) => t === 1)) {
      // A disease name around a disease span and no other: the whole name ("strep pharyngitis", not "pharyngitis").
      // (Not a treatment's: the guideline leaves its route outside, "IV fluids" is `fluids`.)
      const inside = (widened ?? spans).filter((span) => span.start < match.end && span.end > match.start);
      const only = inside[0];
      if (match.kind === 'disease' && inside.length === 1 && only && only.type === 'D' && only.start >= match.start && only.end <= match.end && only.end - only.start < match.end - match.start) {
        widened = (widened ?? [...spans]).map((span) => (span === only ? { type: span.type, start: match.start, end: match.end } : span));
        taken.fill(1, match.start, match.end);
      }
      continue;
    }
    taken.fill(1, match.start, match.end);
    added.push({ type: match.kind === 'disease' ? 'D' : 'T', start: match.start, end: match.end, fromLexicon: true });
  }
  for (let i = 0; i < lowerWords.length; i++) {
    if (taken[i] === 0 && isCombination(lowerWords[i] as string, lexicon)) added.push({ type: 'T', start: i, end: i + 1, fromLexicon: true });
  }
  const kept = widened ?? spans;
  return added.length === 0 ? kept : [...kept, ...added].sort((a, b) => a.start - b.start);
}

/** A fixed-dose combination written as one word, each part a drug's name: "amoxicillin-clavulanate", "montelukast/levocetirizine". */
function isCombination(lower: string, lexicon: Gazetteer): boolean {
  if (lower.length < 9 || !/^[a-z]+(?:[-/+][a-z]+)+$/.test(lower)) return false;
  return lower.split(/[-/+]/).every((part) => {
    const match = lexicon.matchSpans([part])[0];
    return match !== undefined && match.kind === 'drug';
  });
}

/** A token no drug or diagnosis name contains in a prescription: a form, frequency, dose, duration or number. */
function isPrescriptionWord(lower: string): boolean {
  return NOTE_CUES.has(lower) || GLUED_DOSE.test(lower) || DURATION.test(lower) || /^\d+([.,/]\d+)*$/.test(lower) || DOSE_UNITS.has(lower);
}
/** Words a number after them belongs to, in a name: "type 2 diabetes", "stage 3 CKD", "grade II", "class IV". */
const NUMBERED_WORDS: ReadonlySet<string> = new Set(['type', 'stage', 'grade', 'class', 'covid', 'covid-', 'nyha', 'cin', 'tier']);

/** The number at `at` is part of a name ("type 2 diabetes"), not a dose. */
function numbersName(lowerWords: readonly string[], at: number): boolean {
  return at > 0 && NUMBERED_WORDS.has(lowerWords[at - 1] as string) && /^\d+$/.test(lowerWords[at] as string);
}
const DOSE_UNITS: ReadonlySet<string> = new Set(['mg', 'mcg', 'g', 'ml', 'iu', 'unit', 'units', 'cream', 'gel', 'drops', 'x']);

/**
 * The CRF, which never saw a prescription, runs a span on over the dose line ("luliconazole cream BD x3 wks
 * tab fluconazole"): in a note-style sentence a span ends before its first prescription word, and a span
 * that starts with one is dropped (the lexicon pass may find the names it swallowed).
 */
function cutAtPrescriptionWords(lowerWords: readonly string[], spans: readonly TokenSpan[]): TokenSpan[] {
  const cut: TokenSpan[] = [];
  for (const span of spans) {
    let end = span.start;
    while (end < span.end && !(isPrescriptionWord(lowerWords[end] as string) && !numbersName(lowerWords, end))) end++;
    if (end > span.start) cut.push(end === span.end ? span : { type: span.type, start: span.start, end });
  }
  return cut;
}

/** Units a dose is written in, after its number ("20 mg", "18 units", "20 mEq", "2 puffs"). */
const DOSE_UNIT_WORDS: ReadonlySet<string> = new Set(['mg', 'mcg', 'µg', 'ug', 'g', 'gm', 'gram', 'grams', 'ml', 'iu', 'unit', 'units', 'meq', 'mmol', 'puff', 'puffs', 'mg/kg', 'mg/m2']);
/** Most words between a drug's name and its dose: "lisinopril to 20 mg", "insulin glargine at 18 units". */
const MAX_WORDS_BEFORE_DOSE = 2;

function isNumber(word: string): boolean {
  return /^\d+([.,]\d+)*$/.test(word);
}

/** Whether a sentence writes a dose anywhere (a number then a unit, or a glued "500mg"): most sentences do not. */
export function writesDose(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const c = word.charCodeAt(0);
    if (c >= 48 && c <= 57 && doseAt(words, i)) return true;
  }
  return false;
}

/** A dose starts at word i: glued to its unit ("500mg"), or a number and a unit word after it ("20 mEq"). */
function doseAt(words: readonly string[], i: number): boolean {
  const word = words[i] as string;
  return GLUED_DOSE.test(word.toLowerCase()) || (isNumber(word) && DOSE_UNIT_WORDS.has((words[i + 1] ?? '').toLowerCase()));
}

/** A dose right after the words ending at `end` ("potassium chloride 20 mEq", "lisinopril to 20 mg"): they name what it is a dose of. */
export function doseFollows(words: readonly string[], end: number): boolean {
  for (let i = end; i < words.length && i <= end + MAX_WORDS_BEFORE_DOSE; i++) {
    if (doseAt(words, i)) return true;
    if (!/^[a-z]+$/i.test(words[i] as string)) return false;
  }
  return false;
}
