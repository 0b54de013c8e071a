import type { Assertion, Entity, Pair, Sentence } from '../text/types.js';
import type { IndicationKnowledge, Use } from './indications.js';
import { headerAt, noteSections, sectionAt, type NoteSection } from './sections.js';
import { COMPLAINT_CATEGORIES, isComplaintName } from './entity-kinds.js';

/**
 * Pairs a note states: a present diagnosis and a drug or procedure named with it. Each pair says why
 * (`evidence`):
 * - `explicit-link`: the words between them link them, "metformin for diabetes", "HTN on amlodipine",
 *   "Pneumonia treated with ceftriaxone and azithromycin", "UTI: nitrofurantoin", "Hypertension - amlodipine";
 * - `same-line` (a line of a note written line by line: a bullet, a prescription line) or `same-sentence`
 *   (prose): named in one clause (sentence or line, cut at ";") with nothing linking them otherwise; of several
 *   diagnoses, a treatment goes to those it is given for, else to the one named last before it;
 * - `problem-block`: a problem-oriented plan, a line naming a diagnosis ("# Hepatic encephalopathy, improving",
 *   "2. Type 2 diabetes") with the bullets under it ("- lactulose 30 mL TID"): that line's diagnoses with the
 *   treatments of its bullets not paired otherwise, and a numbered problem with the treatments of its own line's
 *   later sentences;
 * - `dx-rx-sections`: a short note with a diagnosis section ("Dx:", "Diagnosis:", "Impression:", SOAP's "A:")
 *   naming one diagnosis and a treatment section ("Rx:", "Plan:", "Medications:", SOAP's "P:"): that diagnosis
 *   with the section's treatments not paired otherwise;
 * - `single-diagnosis`: a short note written in note style that names one diagnosis: it with the treatments named
 *   after it, not paired otherwise ("Osteoarthritis of knee. Advised paracetamol 500 mg TDS"); prose ("Typhoid
 *   fever is endemic. Azithromycin was compared with ceftriaxone.") gets none;
 * - `indication`: a treatment none of the rules above pairs with a diagnosis, and a diagnosis of the
 *   note it is given for (by the indication list, data/indications.tsv: a drug's ICD-10-CM categories), wherever
 *   each is named ("Dx: T2DM, HTN" above "Rx: metformin, amlodipine": metformin with T2DM, amlodipine with HTN);
 *   of several, those of its main uses ("HFrEF, HTN" with torsemide: the heart failure).
 * A disease that is absent, possible, historical or a relative's forms no pair, nor does a symptom (its kind,
 * or, for a model without kinds, an ICD-10-CM code of chapter R: symptoms and signs); a treatment that is
 * absent, possible or a relative's forms none either. A disease typed a symptom whose code names a disease
 * (not chapter R nor a complaint such as joint pain) is a diagnosis when a treatment of the note is given for it
 * and no diagnosis of the note has its category ("Hypertension - lisinopril" with hypertension typed a symptom).
 * Pairs are unique per note (case-insensitively), in order of first appearance, at most {@link MAX_PAIRS_PER_NOTE}.
 */

/**
 * Most pairs a note lists; the rest (in order of first appearance) are left out. A clause that names thousands
 * of distinct diseases and treatments would otherwise give millions of pairs.
 */
export const MAX_PAIRS_PER_NOTE = 10_000;

/** Longest note whose diagnosis and treatment sections are paired with each other. */
export const MAX_DX_RX_NOTE_CHARS = 1_500;

export type PairEvidence = 'explicit-link' | 'same-line' | 'same-sentence' | 'problem-block' | 'dx-rx-sections' | 'single-diagnosis' | 'indication';

/** Longest note whose one diagnosis is paired with every treatment named after it. */
export const MAX_SINGLE_DIAGNOSIS_NOTE_CHARS = 600;

const DISEASE_UNPAIRED: ReadonlySet<Assertion> = new Set(['absent', 'possible', 'historical', 'family']);
const TREATMENT_UNPAIRED: ReadonlySet<Assertion> = new Set(['absent', 'possible', 'family']);

/** A span that starts with a hedge ("likely gastritis", "? typhoid") names a diagnosis not yet made. */
const HEDGED = /^(likely|probable|probably|possible|possibly|suspected|suspect|presumed|query|\?|r\/o|rule out|ruled out)\b/i;

/** A diagnosis the patient has now. */
export function isPairableDiagnosis(entity: Entity): boolean {
  if (entity.type !== 'disease' || DISEASE_UNPAIRED.has(entity.assertion) || HEDGED.test(entity.text)) return false;
  if (entity.kind !== undefined) return entity.kind === 'diagnosis';
  const icd = entity.codes?.find((code) => code.system === 'ICD-10-CM');
  return !icd?.code.startsWith('R');
}

export function isPairableTreatment(entity: Entity): boolean {
  return entity.type === 'treatment' && !TREATMENT_UNPAIRED.has(entity.assertion);
}

/** A diagnosis the note puts in the past (a history section, "h/o"), not hedged nor denied: one a current treatment may show to go on. */
function isTreatedKnownDiagnosis(entity: Entity): boolean {
  return entity.type === 'disease' && entity.assertion === 'historical' && !HEDGED.test(entity.text) && (entity.kind === undefined ? !icd10cmOf(entity)?.startsWith('R') : entity.kind === 'diagnosis');
}

/** A treatment given now: what a line or a problem's bullets name beside a diagnosis pairs only then ("s/p paracentesis" does not). */
function isCurrentTreatment(entity: Entity): boolean {
  return isPairableTreatment(entity) && entity.assertion !== 'historical';
}

function icd10cmOf(entity: Entity): string | undefined {
  return entity.codes?.find((code) => code.system === 'ICD-10-CM')?.code.toUpperCase();
}

type CodeTest = (icd10cm: string) => boolean;

/**
 * The note's present diagnoses: those {@link isPairableDiagnosis} takes, and a disease typed a symptom whose
 * code names a disease that a treatment of the note is given for, when no diagnosis of the note has its category
 * (then it is that diagnosis's symptom: "sore throat" beside "pharyngitis").
 */
function presentDiagnoses(entities: readonly Entity[], givenFor: ReadonlyMap<Entity, CodeTest>): Set<Entity> {
  const result = new Set(entities.filter(isPairableDiagnosis));
  const diagnosedCategories = new Set(entities.filter((e) => e.type === 'disease' && e.kind === 'diagnosis').map((e) => icd10cmOf(e)?.slice(0, 3)));
  for (const entity of entities) {
    if (entity.type !== 'disease' || entity.kind !== 'symptom' || DISEASE_UNPAIRED.has(entity.assertion) || HEDGED.test(entity.text) || isComplaintName(entity.text)) continue;
    const code = icd10cmOf(entity);
    if (!code || code.startsWith('R') || COMPLAINT_CATEGORIES.has(code.slice(0, 3)) || diagnosedCategories.has(code.slice(0, 3))) continue;
    for (const test of givenFor.values()) {
      if (test(code)) {
        result.add(entity);
        break;
      }
    }
  }
  return result;
}

/** Between a treatment and the disease after it: "… for (his) diabetes", "to treat", "in view of". */
const FOR_LINK = /\b(for|to treat|treating|against|in view of|i\/v\/o|because of|due to|indicated in)\b(\s+[\w'-]+){0,3}\s*[(:,-]?\s*$/i;
/** Between a disease and the treatment after it, after at most three words: "on", "(was) treated with", ":", " - ", "→". */
const ON_LINK = /^[\s,)]*(?:[A-Za-z/]+,?\s+){0,3}?(\(|:|-|–|—|=|→|->|=>|on\b|treated\b|managed\b|started\b|put on\b|controlled\b|maintained on\b|continued\b|continue\b|given\b|requiring\b|needing\b|receiving\b|uses\b|using\b|takes\b|taking\b|rx\b|tx\b|with\b)/i;
const MAX_LINK_GAP = 60;
/** Link words that say a treatment is taken now, not that it once was ("on", "uses", "controlled on"; not "treated with"). */
const TAKEN_NOW = /\b(on|uses|using|takes|taking|controlled|maintained|continue|continued|continues)\b/i;


interface Candidate {
  disease: Entity;
  treatment: Entity;
  evidence: PairEvidence;
}

/** What the rules read besides the entities: which diseases are present diagnoses, what each treatment is given for. */
interface NoteFacts {
  isDiagnosis(entity: Entity): boolean;
  givenFor: ReadonlyMap<Entity, CodeTest>;
  indications?: IndicationKnowledge;
}

export interface PairOptions {
  /** The note is written line by line (note style), so a clause's pairs are `same-line`. */
  lineByLine?: boolean;
  /** What drugs and procedures are given for (`indication` pairs); none: no such pairs. */
  indications?: IndicationKnowledge;
  /** The note's sections, when the caller has them (clinical/sections.ts); absent: read from the text. */
  sections?: readonly NoteSection[];
}

/** The pairs of a note from its entities by sentence (in text order, with assertions, kinds and codes). */
export function notePairs(note: { text: string; sentences: readonly Sentence[] }, entitiesBySentence: readonly (readonly Entity[])[], options: PairOptions = {}): Pair[] {
  const { text } = note;
  const all = entitiesBySentence.flat();
  // A pair needs a disease and a treatment: most sentences alone have neither or one.
  if (!all.some((e) => e.type === 'disease') || !all.some((e) => e.type === 'treatment')) return [];
  const givenFor = new Map<Entity, CodeTest>();
  if (options.indications) {
    for (const entity of all) {
      const test = isPairableTreatment(entity) ? options.indications.forTreatment(entity) : null;
      if (test) givenFor.set(entity, test);
    }
  }
  const diagnoses = presentDiagnoses(all, givenFor);
  const facts: NoteFacts = { isDiagnosis: (e) => diagnoses.has(e), givenFor, ...(options.indications ? { indications: options.indications } : {}) };
  const candidates: Candidate[] = [];
  const paired = new Set<Entity>();
  // Read from the text at most once, and only when a rule below asks.
  let sections = options.sections;
  const noteSectionsOnce = (): readonly NoteSection[] => (sections ??= noteSections(text));
  for (let s = 0; s < entitiesBySentence.length; s++) {
    const entities = entitiesBySentence[s] as readonly Entity[];
    if (entities.length < 2) continue;
    for (const clause of clauses(text, entities)) {
      for (const candidate of clausePairs(text, clause, options.lineByLine === true, facts)) {
        candidates.push(candidate);
        paired.add(candidate.treatment);
      }
    }
  }
  for (const candidate of problemBlockPairs(text, all, paired, facts)) {
    candidates.push(candidate);
    paired.add(candidate.treatment);
  }
  if (text.length <= MAX_DX_RX_NOTE_CHARS) {
    for (const candidate of sectionPairs(text, noteSectionsOnce(), all, paired, facts)) {
      candidates.push(candidate);
      paired.add(candidate.treatment);
    }
    if (options.lineByLine === true && text.length <= MAX_SINGLE_DIAGNOSIS_NOTE_CHARS) {
      for (const candidate of singleDiagnosisPairs(text, all, paired, facts)) {
        candidates.push(candidate);
        paired.add(candidate.treatment);
      }
    }
  }
  // A treatment the note gives a diagnosis (by its line, sentence, link or sections) is that diagnosis's: the note said so.
  candidates.push(...indicationPairs(text, all, paired, facts, noteSectionsOnce));
  return uniquePairs(candidates);
}

/**
 * Each treatment no other rule pairs, with each present diagnosis of the note it is given for; of several, those
 * the note's diagnosis section names when it names some ("K/c/o COPD … Imp: AECOPD" with "neb budesonide": the
 * exacerbation the visit is for, not the history line).
 */
function indicationPairs(text: string, entities: readonly Entity[], paired: ReadonlySet<Entity>, facts: NoteFacts, sections: () => readonly NoteSection[]): Candidate[] {
  if (facts.givenFor.size === 0) return [];
  const dx = sections().filter((section) => section.kind === 'dx');
  const coded = entities.flatMap((e) => {
    const code = facts.isDiagnosis(e) ? icd10cmOf(e) : undefined;
    return code ? [{ disease: e, code, diagnosed: dx.some((section) => e.start >= section.start && e.end <= section.end) }] : [];
  });
  const known = entities.flatMap((e) => {
    const code = isTreatedKnownDiagnosis(e) ? icd10cmOf(e) : undefined;
    return code ? [{ disease: e, code, diagnosed: false }] : [];
  });
  // A drug the note stops is not given for anything, wherever else it names it ("Current: Januvia … stop Januvia").
  const stopped = new Set(entities.filter((e) => e.type === 'treatment' && stoppedTreatment(text, e) && isStopObject(text, e)).map((e) => e.text.toLowerCase()));
  const result: Candidate[] = [];
  for (const [treatment, test] of facts.givenFor) {
    if (paired.has(treatment) || stopped.has(treatment.text.toLowerCase()) || pastEpisodeTreatment(text, treatment, entities) || markedPast(text, treatment) || notGiven(text, treatment)) continue;
    // The patient's own medicines before this visit are given for the conditions of the past history ("PMH HTN …
    // Home meds: lisinopril"), not for the diagnosis the visit makes.
    const ownKnown = known.length > 0 && isHomeMedication(text, treatment, sections()) ? known.filter(({ code }) => test(code)) : [];
    if (ownKnown.length > 0) {
      for (const { disease } of mainUses(ownKnown, facts.indications?.usesFor(treatment) ?? [])) result.push({ disease, treatment, evidence: 'indication' });
      continue;
    }
    const given = coded.filter(({ code }) => test(code));
    const diagnosed = given.filter((d) => d.diagnosed);
    const uses = facts.indications?.usesFor(treatment) ?? [];
    for (const { disease } of mainUses(diagnosed.length > 0 ? diagnosed : given, uses)) result.push({ disease, treatment, evidence: 'indication' });
    if (result.length >= MAX_PAIRS_PER_NOTE) break;
  }
  return result;
}

/** After a drug: it was started, not stopped ("Aspirin … stopped 2022 when Eliquis was started"). */
const STARTED_AFTER = /^\s*(?:was|were|is|has been|had been)?\s*(?:started|begun|initiated|commenced)\b/i;

/** The stop on the drug's line is said of it, not of another drug started in its place. */
function isStopObject(text: string, treatment: Entity): boolean {
  return !STARTED_AFTER.test(text.slice(treatment.end, treatment.end + 30));
}

/** Headers of the medicines a patient took before the visit: "Home meds:", "Current medications:", "Regular medicines -". */
const HOME_MEDICATIONS = /^[ \t]*(?:home|current|regular|usual|pre-?admission|outpatient|own)\s+(?:meds|medications?|medicines?|drugs|rx)\b|^[ \t]*(?:meds|medications?|medicines?)\s+(?:at home|prior to admission|on admission)\b/i;

/** The treatment is in a section of the patient's own medicines (its header opens the section). */
function isHomeMedication(text: string, treatment: Entity, sections: readonly NoteSection[]): boolean {
  const holding = sectionAt(sections, treatment.start);
  return holding !== undefined && HOME_MEDICATIONS.test(text.slice(holding.start, Math.min(holding.end, holding.start + 60)));
}

/** The start and end of the line holding the entity. */
function lineAround(text: string, entity: Entity): [number, number] {
  const end = text.indexOf('\n', entity.end);
  return [text.lastIndexOf('\n', entity.start - 1) + 1, end < 0 ? text.length : end];
}

/** Words right before a treatment (a word between at most) that put it in an earlier episode: "previous cholecystectomy", "h/o TURP". */
const PAST_RIGHT_BEFORE = /\b(?:h\/o|previous|prior|old)\s+(?:\S+\s+)?$/i;
/** "s/p" or "post" earlier in the clause: "s/p PCI", "post CABG 2019", "s/p closed reduction and POP cast". */
const STATUS_POST_BEFORE = /\b(?:s\/p|status post|post)\b[^.;\n]*$/i;
const MAX_PAST_CUE_CHARS = 40;

/** A past treatment a cue marks as done before ("s/p closed reduction and POP cast"), not one this stay gave ("underwent …"). */
function markedPast(text: string, treatment: Entity): boolean {
  if (treatment.assertion !== 'historical') return false;
  const [lineStart] = lineAround(text, treatment);
  const before = text.slice(Math.max(lineStart, treatment.start - MAX_PAST_CUE_CHARS), treatment.start);
  return PAST_RIGHT_BEFORE.test(before) || STATUS_POST_BEFORE.test(before);
}

/** Words before a drug that name it without giving it: "tolerates ibuprofen", "allergic to penicillin". */
const NOT_GIVEN_BEFORE = /\b(?:tolerates?|tolerated|tolerating|allergic to|allergy to|allergies to|intolerant (?:of|to)|intolerance to|reaction to|sensitive to)\s+$/i;
const MAX_NOT_GIVEN_CUE_CHARS = 24;

/** An allergies header earlier in the drug's sentence, on its line: "ALLERGIES: PENICILLIN, SULFA, all cause HIVES". */
const UNDER_ALLERGIES_HEADER = /(?:^|[.!?]\s)\s*(?:[-*•]\s*)?(?:known |drug |medication )?allerg(?:y|ies)\b[^.!?:]{0,40}:[^.!?:]*$/i;

/** How far back an allergies header is looked for: a list of allergens, not a whole single-line note. */
const MAX_ALLERGY_LIST_CHARS = 400;

/** A drug the note names as tolerated or not tolerated, or as an allergen: given for nothing. */
function notGiven(text: string, treatment: Entity): boolean {
  if (NOT_GIVEN_BEFORE.test(text.slice(Math.max(0, treatment.start - MAX_NOT_GIVEN_CUE_CHARS), treatment.start))) return true;
  const [lineStart] = lineAround(text, treatment);
  return UNDER_ALLERGIES_HEADER.test(text.slice(Math.max(lineStart, treatment.start - MAX_ALLERGY_LIST_CHARS), treatment.start));
}

/** "D/C" is left out: in a discharge summary it says discharged. */
const STOP_WORDS = /\b(stop|stopped|discontinue|discontinued|cease|ceased)\b/i;

/** A past treatment whose line stops it ("Amlodipine 10 mg OD - STOP", "STOP aspirin"): no longer given for anything. */
function stoppedTreatment(text: string, treatment: Entity): boolean {
  if (treatment.assertion !== 'historical') return false;
  const [start, end] = lineAround(text, treatment);
  return STOP_WORDS.test(text.slice(start, end));
}

/**
 * Of several diagnoses a treatment is given for, those it is mainly given for: for each of its names (a
 * combination's ingredients), the diagnoses of its main uses, or of its secondary uses when none is of a main one
 * ("CAD, HTN" with amlodipine: the hypertension); of those, a disease's own diagnosis before one of its
 * complications (T2DM, E11.9, before diabetic neuropathy, E11.42, for metformin).
 */
function mainUses<D extends { code: string }>(given: readonly D[], uses: readonly ((code: string) => Use | null)[]): readonly D[] {
  if (given.length < 2) return given;
  const kept = new Set<D>();
  for (const useOf of uses) {
    const byUse = given.map((d) => useOf(d.code));
    const wanted: Use = byUse.includes('main') ? 'main' : 'secondary';
    given.forEach((d, i) => {
      if (byUse[i] === wanted) kept.add(d);
    });
  }
  const main = uses.length === 0 ? given : given.filter((d) => kept.has(d));
  return main.filter((d) => !main.some((other) => other.code.slice(0, 3) === d.code.slice(0, 3) && other.code.length < d.code.length));
}

/**
 * A past treatment on the line of a past disease: the earlier episode's ("h/o UTI 1 yr back, treated with
 * norfloxacin"), not the present one's. A past treatment alone on its line may be this stay's ("underwent
 * laparoscopic cholecystectomy" in a discharge summary's hospital course).
 */
function pastEpisodeTreatment(text: string, treatment: Entity, entities: readonly Entity[]): boolean {
  if (treatment.assertion !== 'historical') return false;
  const [lineStart, end] = lineAround(text, treatment);
  return entities.some((e) => e.type === 'disease' && e.assertion === 'historical' && e.start >= lineStart && e.end <= end);
}

/** A line's indentation and its leading mark: "#", a number ("2." "2)"), a bullet ("-", "*", "•", "–", "o") or none. */
const LINE_MARK = /^([ \t]*)(#+|\d{1,2}[.)]|[-*•–]|o(?=\s))?/;

interface LineShape {
  start: number;
  end: number;
  indent: number;
  mark: 'heading' | 'bullet' | 'none';
}

function lineShapes(text: string): LineShape[] {
  const lines: LineShape[] = [];
  let start = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const match = LINE_MARK.exec(text.slice(start, end)) as RegExpExecArray;
    const mark = match[2] === undefined ? 'none' : /^[#\d]/.test(match[2]) ? 'heading' : 'bullet';
    lines.push({ start, end, indent: (match[1] as string).replace(/\t/g, '    ').length, mark });
    start = end + 1;
  }
  return lines;
}

/**
 * Each treatment on a bullet under a line that names a present diagnosis, with that line's diagnoses: a bullet is
 * a line marked "-", "*", "•" or "–" under a heading or unmarked line, or a line indented deeper than it; the
 * block ends at the first line that is neither. A treatment under a line of several diagnoses goes with those the
 * indication list gives it for, when it gives any ("Known hypothyroidism, osteoporosis" over "- levothyroxine").
 */
/** How far into its line (after indentation) a problem's name starts: "1. ", "#2 ", "12) ". */
const PROBLEM_LEAD_CHARS = 8;

function problemBlockPairs(text: string, entities: readonly Entity[], paired: ReadonlySet<Entity>, facts: NoteFacts): Candidate[] {
  if (!text.includes('\n')) return [];
  const lines = lineShapes(text);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lines[mid] as LineShape).start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const byLine = new Map<number, Entity[]>();
  for (const entity of entities) {
    const line = lineOf(entity.start);
    const list = byLine.get(line);
    if (list) list.push(entity);
    else byLine.set(line, [entity]);
  }
  const result: Candidate[] = [];
  for (let h = 0; h < lines.length; h++) {
    const head = lines[h] as LineShape;
    if (head.mark === 'bullet') continue;
    const onLine = byLine.get(h) ?? [];
    const diagnoses = onLine.filter(facts.isDiagnosis);
    if (diagnoses.length === 0) continue;
    // A numbered or '#' problem that opens its line: the treatments its later sentences name ("1. Gestational
    // diabetes - OGTT 8.4. Start metformin 500 mg OD") are its own.
    const first = onLine[0] as Entity;
    if (head.mark === 'heading' && facts.isDiagnosis(first) && first.start - head.start <= PROBLEM_LEAD_CHARS) {
      const firstTreatment = onLine.find((t) => t.type === 'treatment')?.start ?? Infinity;
      const leading = onLine.filter((e) => facts.isDiagnosis(e) && e.start < firstTreatment);
      for (const treatment of onLine) {
        if (treatment.type !== 'treatment' || !isCurrentTreatment(treatment) || paired.has(treatment) || leading.every((d) => givenForAnother(treatment, d, entities, facts))) continue;
        for (const disease of indicatedAmong(treatment, leading, facts)) result.push({ disease, treatment, evidence: 'problem-block' });
      }
    }
    for (let b = h + 1; b < lines.length; b++) {
      const line = lines[b] as LineShape;
      if (line.end === line.start) break;
      const under = line.mark === 'bullet' ? line.indent >= head.indent : line.indent > head.indent;
      if (!under) break;
      for (const treatment of byLine.get(b) ?? []) {
        if (!isCurrentTreatment(treatment) || paired.has(treatment)) continue;
        for (const disease of indicatedAmong(treatment, diagnoses, facts)) result.push({ disease, treatment, evidence: 'problem-block' });
      }
    }
  }
  return result;
}

/** Of several diagnoses, those the treatment is given for by the indication list; all of them when it names none. */
function indicatedAmong(treatment: Entity, diagnoses: readonly Entity[], facts: NoteFacts): readonly Entity[] {
  const test = facts.givenFor.get(treatment);
  if (diagnoses.length < 2 || !test) return diagnoses;
  const indicated = diagnoses.filter((d) => test(icd10cmOf(d) ?? ''));
  return indicated.length > 0 ? indicated : diagnoses;
}

/**
 * A sentence's entities cut at ";" (two statements in one line: "pneumonia on ceftriaxone; HTN on amlodipine"),
 * but for a line a disease labels ("Asthma: Foracort 2 puffs BD; Asthalin SOS"): all of it is given for it.
 */
function clauses(text: string, entities: readonly Entity[]): Entity[][] {
  if (labelsItsLine(text, entities[0])) return [entities as Entity[]];
  const result: Entity[][] = [[]];
  for (let i = 0; i < entities.length; i++) {
    const entity = entities[i] as Entity;
    const previous = entities[i - 1];
    if (previous && text.slice(previous.end, entity.start).includes(';')) result.push([]);
    (result[result.length - 1] as Entity[]).push(entity);
  }
  return result;
}

/** The entity opens its line (after a bullet or number at most) and a colon or dash follows it: "Asthma: …", "- HTN - …". */
function labelsItsLine(text: string, entity: Entity | undefined): boolean {
  if (entity?.type !== 'disease') return false;
  const lineStart = text.lastIndexOf('\n', entity.start - 1) + 1;
  return /^[ \t]*(?:[-*•]|\d{1,2}[.)])?[ \t]*$/.test(text.slice(lineStart, entity.start)) && /^[ \t]*[:\-–]/.test(text.slice(entity.end, entity.end + 4));
}

function clausePairs(text: string, entities: readonly Entity[], lineByLine: boolean, facts: NoteFacts): Candidate[] {
  const diseaseAt: number[] = [];
  entities.forEach((e, i) => {
    if (e.type === 'disease') diseaseAt.push(i);
  });
  const treatments = entities.filter(isPairableTreatment);
  if (diseaseAt.length === 0 || treatments.length === 0) return [];
  // Each disease with the treatments of its stretch of the clause: those after it up to the next disease when the
  // words after it link them ("HTN on amlodipine, metformin"), those before it from the previous disease when the
  // words before it do ("amlodipine for HTN").
  const links: Candidate[] = [];
  diseaseAt.forEach((at, k) => {
    const disease = entities[at] as Entity;
    const next = diseaseAt[k + 1] ?? entities.length;
    const previous = k > 0 ? (diseaseAt[k - 1] as number) : -1;
    // A link reads along its line: "for heartburn" at the end of one prescription line says nothing of the lines above.
    const after = entities.slice(at + 1, next).filter(isPairableTreatment);
    const before = ownPrescriptionsCut(text, entities.slice(previous + 1, at).filter((t) => isPairableTreatment(t) && !text.slice(t.end, disease.start).includes('\n')));
    const firstAfter = after[0];
    const lastBefore = before[before.length - 1];
    const linkedAfter = firstAfter !== undefined && linkedOn(text.slice(disease.end, firstAfter.start));
    const linkedBefore = lastBefore !== undefined && linkedFor(text.slice(lastBefore.end, disease.start));
    // A known condition of the past medical history that the note treats now is the patient's ("PMH: asthma, uses albuterol PRN").
    const known = !facts.isDiagnosis(disease);
    if (known && !isTreatedKnownDiagnosis(disease)) return;
    const linkable = (treatment: Entity): boolean => !stoppedTreatment(text, treatment) && !notGiven(text, treatment) && (!known || isCurrentTreatment(treatment));
    if (linkedAfter && (!known || TAKEN_NOW.test(text.slice(disease.end, (firstAfter as Entity).start)))) {
      for (const treatment of after.filter(linkable)) links.push({ disease, treatment, evidence: 'explicit-link' });
    }
    if (linkedBefore && !known) for (const treatment of before.filter(linkable)) links.push({ disease, treatment, evidence: 'explicit-link' });
  });
  if (links.length > 0) return links.map((link) => reassigned(link, entities, facts));
  // An explicit link elsewhere in the clause ("for", "on" between other names) speaks for it: nothing more.
  const diagnoses = diseaseAt.map((i) => entities[i] as Entity).filter(facts.isDiagnosis);
  if (diagnoses.length === 0) return [];
  const evidence: PairEvidence = lineByLine ? 'same-line' : 'same-sentence';
  // A sentence tells what was done for a diagnosis ("was treated with"); a line beside it may name a past one ("CAD, post CABG 2019").
  const given = treatments.filter((treatment) => isCurrentTreatment(treatment) && !notGiven(text, treatment));
  if (given.length === 0) return [];
  if (diagnoses.length === 1) return given.map((treatment) => ({ disease: diagnoses[0] as Entity, treatment, evidence }));
  // Several diagnoses, nothing linking them: each treatment with the diagnoses of the clause it is given for, else
  // with the diagnosis named last before it ("with CAD, hypothyroidism and PVD, now needs angioplasty": not all three).
  const result: Candidate[] = [];
  for (const treatment of given) {
    const test = facts.givenFor.get(treatment);
    const indicated = test ? diagnoses.filter((d) => test(icd10cmOf(d) ?? '')) : [];
    if (indicated.length > 0) {
      for (const disease of indicated) result.push({ disease, treatment, evidence });
      continue;
    }
    const before = diagnoses.filter((d) => d.start < treatment.start);
    const disease = before[before.length - 1] ?? diagnoses[0];
    if (disease) result.push({ disease, treatment, evidence });
  }
  return result;
}

/**
 * The treatments a "for Y" after the last of them speaks of: a list of names ("amlodipine, losartan for HTN"), but
 * of prescriptions each with its own instructions only the last ("Tab Azithral 500 OD x 3d, Tab Dolo 650 SOS for
 * fever": the fever is Dolo's).
 */
function ownPrescriptionsCut(text: string, before: readonly Entity[]): Entity[] {
  let first = before.length - 1;
  while (first > 0) {
    const earlier = before[first - 1] as Entity;
    const dosage = earlier.dosage;
    const instructed = dosage !== undefined && (dosage.timing !== undefined || dosage.asNeeded !== undefined || dosage.boundsDuration !== undefined);
    if (instructed && /[,;]/.test(text.slice(earlier.end, (before[first] as Entity).start))) break;
    first--;
  }
  return before.slice(Math.max(first, 0));
}

/**
 * A link takes the treatments of its stretch of the clause, which in a list ("HTN, T2DM - metformin, amlodipine")
 * holds a treatment of another diagnosis: one the linked diagnosis's code says it is not given for goes to the
 * diagnoses of the clause it is given for, when there are any.
 */
function reassigned(link: Candidate, clause: readonly Entity[], facts: NoteFacts): Candidate {
  const test = facts.givenFor.get(link.treatment);
  const code = icd10cmOf(link.disease);
  if (!test || !code || test(code)) return link;
  const other = clause.find((e) => e !== link.disease && facts.isDiagnosis(e) && test(icd10cmOf(e) ?? ''));
  return other ? { disease: other, treatment: link.treatment, evidence: 'indication' } : link;
}

/** Words between a diagnosis and a treatment that put the treatment in the past: "CAD - post PTCA", "CAD, s/p CABG 2019". */
const PAST_IN_GAP = /\b(post|s\/p|status post|h\/o|history of|previous|previously|prior|stopped|off)\b/i;

function linkedOn(gap: string): boolean {
  return gap.length <= MAX_LINK_GAP && !/[.;]\s/.test(gap) && ON_LINK.test(gap) && !PAST_IN_GAP.test(gap);
}

function linkedFor(gap: string): boolean {
  return gap.length <= MAX_LINK_GAP && !/[.;]\s/.test(gap) && FOR_LINK.test(gap);
}

function sectionPairs(text: string, sections: readonly NoteSection[], entities: readonly Entity[], paired: ReadonlySet<Entity>, facts: NoteFacts): Candidate[] {
  const dx = sections.filter((s) => s.kind === 'dx');
  const rx = sections.filter((s) => s.kind === 'rx');
  if (dx.length === 0 || rx.length === 0) return [];
  const inside = (list: readonly NoteSection[]) => (e: Entity) => list.some((s) => e.start >= s.start && e.end <= s.end);
  const diagnoses = entities.filter((e) => facts.isDiagnosis(e) && inside(dx)(e));
  // One diagnosis, named however often: the treatments are for it. Several: the sections do not say which is whose.
  const names = new Set(diagnoses.map((d) => d.text.toLowerCase()));
  const diagnosis = diagnoses[0];
  if (names.size !== 1 || !diagnosis) return [];
  return entities
    .filter((e) => isPairableTreatment(e) && inside(rx)(e) && !paired.has(e) && !stoppedTreatment(text, e) && !givenForAnother(e, diagnosis, entities, facts))
    .map((treatment) => ({ disease: diagnosis, treatment, evidence: 'dx-rx-sections' as const }));
}

/**
 * The indication list says the treatment is not given for this diagnosis but for another present diagnosis of the
 * note ("K/c/o HTN. Dx: T2DM. Rx: metformin, amlodipine": amlodipine is the hypertension's): a rule that pairs a
 * note's one diagnosis with every treatment leaves it to the indication pairs.
 */
function givenForAnother(treatment: Entity, diagnosis: Entity, entities: readonly Entity[], facts: NoteFacts): boolean {
  const test = facts.givenFor.get(treatment);
  const code = icd10cmOf(diagnosis);
  if (!test || !code || test(code)) return false;
  return entities.some((e) => {
    if (e === diagnosis || !facts.isDiagnosis(e)) return false;
    const other = icd10cmOf(e);
    return other !== undefined && test(other);
  });
}

/** A line that labels its treatments ("- Hemorrhoids: sitz bath"): the label, not a section header, says what they are for. */
const LABELLED_LINE = /^[ \t]*(?:[-*•#]|\d+[.)])?[ \t]*([A-Za-z][\w '/-]{1,40}?)[ \t]*(?::|-|–)[ \t]/;

function singleDiagnosisPairs(text: string, entities: readonly Entity[], paired: ReadonlySet<Entity>, facts: NoteFacts): Candidate[] {
  const diagnoses = entities.filter(facts.isDiagnosis);
  const diagnosis = diagnoses[0];
  if (!diagnosis || new Set(diagnoses.map((d) => d.text.toLowerCase())).size !== 1) return [];
  const labelledElsewhere = (e: Entity): boolean => {
    const lineStart = text.lastIndexOf('\n', e.start - 1) + 1;
    if (diagnosis.start >= lineStart) return false;
    const label = LABELLED_LINE.exec(text.slice(lineStart, e.start));
    if (!label) return false;
    const at = lineStart + (label.index ?? 0) + label[0].indexOf(label[1] as string);
    return headerAt(text, at) === null || headerAt(text, at) === 'other';
  };
  return entities
    .filter((e) => isCurrentTreatment(e) && e.start > diagnosis.start && !paired.has(e) && !labelledElsewhere(e) && !givenForAnother(e, diagnosis, entities, facts))
    .map((treatment) => ({ disease: diagnosis, treatment, evidence: 'single-diagnosis' as const }));
}

function uniquePairs(candidates: readonly Candidate[]): Pair[] {
  const pairs: Pair[] = [];
  const seen = new Set<string>();
  for (const { disease, treatment, evidence } of candidates) {
    const key = `${disease.text.toLowerCase()}\u0000${treatment.text.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push({ disease: disease.text, treatment: treatment.text, evidence });
    if (pairs.length >= MAX_PAIRS_PER_NOTE) break;
  }
  return pairs;
}
