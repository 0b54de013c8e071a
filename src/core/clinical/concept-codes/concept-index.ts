import type { ConceptCode } from '../../text/types.js';
import { ICD10CM_ADDITIONS } from './icd10cm-additions.js';
import { DIAGNOSIS_SHORTHAND, DRUG_SHORTHAND, type DiagnosisShorthand, type DrugShorthand } from './abbreviations.js';
import { keyOfWords, nameKey, nameWords } from './normalize.js';
import { ownString } from '../../text/own-string.js';
import { PackedStringMap, PackedStrings } from '../../text/packed-strings.js';

/**
 * Concept codes for names, offline: ICD-10-CM and Disease Ontology for diseases, DrugBank for drugs. Every
 * vocabulary name is put in comparison form once, when the index is built (normalize.ts); a lookup is then a
 * few map reads. A name that matches no vocabulary name whole is matched by its longest run of words that
 * does, and failing that by the vocabulary names sharing its rarest words (scored by the weight of the words
 * in common). Lookups are remembered (a bounded cache), as notes repeat names.
 */

export interface IcdRow {
  /** Without the dot, as CMS publishes it: "E119". */
  code: string;
  description: string;
}

export interface DoidRow {
  id: string;
  name: string;
  synonyms: readonly string[];
  /** Dotted: "E11.9". */
  icd10cm: readonly string[];
}

export interface DrugRow {
  name: string;
  kind: 'generic' | 'brand';
  /** Lower case, accents removed. */
  norm: string;
  /** The canonical generic name, or ingredients joined by " + ". */
  mapsTo: string;
  /** A DrugBank id (DB00316) for a generic; an FDA application for a brand. */
  ref: string;
}

export interface ConceptVocabularies {
  icd10cm: readonly IcdRow[];
  doid: readonly DoidRow[];
  drugs: readonly DrugRow[];
  /** ICD-10-CM codes newer than the vocabulary (default: icd10cm-additions.ts). */
  icd10cmAdditions?: readonly IcdRow[];
  /** Abbreviations and names the vocabularies lack (default: abbreviations.ts). */
  shorthand?: readonly DiagnosisShorthand[];
  /** Drug names the drug vocabulary lacks or holds as names of their own (default: DRUG_SHORTHAND). */
  drugShorthand?: readonly DrugShorthand[];
}

/** How a disease name is coded: the candidates, best first (ICD-10-CM first, then the DOID). */
export interface DrugConcept {
  /** Active ingredients, lower case. */
  generic: string[];
  codes: ConceptCode[];
}

/** Answers are frozen and shared between calls for one name: copy one before changing it. */
export interface ConceptIndex {
  disease(name: string): ConceptCode[];
  drug(name: string): DrugConcept | null;
  /** DrugBank codes of ingredients named by their generic names (a brand table's `generic`). */
  ingredients(generic: readonly string[]): ConceptCode[];
  /** The ICD-10-CM description of a dotted code, if it is one. */
  icdDisplay(code: string): string | undefined;
}

/** Match strengths: a whole name, a name without its "unspecified"-like qualifiers, a bracketed synonym, a DOID name. */
const SCORE_FULL = 1;
const SCORE_QUALIFIED = 0.95;
const SCORE_ABBREVIATION = 0.95;
const SCORE_DOID = 0.9;
const SCORE_BRACKET = 0.85;
const SCORE_FUZZY = 0.8;
const MIN_FUZZY = 0.5;
const MAX_CANDIDATES = 3;
const CACHE_LIMIT = 20_000;
const MAX_WINDOW = 8;
const MAX_FUZZY_POSTINGS = 1000;
const DIABETIC_WORDS = nameWords('type 2 diabetes mellitus with');

/** Descriptions of codes about care or history rather than a disease, matched loosely only when the name says so. */
const CARE_DESCRIPTION = /^(family history|personal history|history of|encounter|screening|observation|contact with|exposure to|carrier|follow-up|aftercare)/i;
const CARE_WORDS = new Set(['history', 'family', 'encounter', 'screening', 'observation', 'contact', 'exposure', 'carrier', 'aftercare', 'h/o', 'follow']);

/** Descriptions of a newborn's or fetus's conditions (chapter P and a few others), matched loosely only when the name says so. */
const NEWBORN_DESCRIPTION = /\b(newborn|neonatal|perinatal|fetus|fetal)\b/i;
const NEWBORN_WORDS = new Set(['newborn', 'neonatal', 'neonate', 'perinatal', 'fetus', 'fetal', 'foetal', 'baby', 'infant', 'preterm']);

/** Words that say which diabetes it is (see defaultDiabetes). */
const DIABETES_TYPE_WORDS = new Set(['pregnancy', 'gestational', 'pregnant', 'puerperium', 'childbirth', 'other', 'secondary', 'drug', 'chemical', 'induced', 'steroid', 'pancreatic', 'type', '1', 'mody']);

/** A joiner between two names in a drug's name: a hyphen or slash between letters, "+", "&", "and", "with". */
const COMBINATION_JOINER = /[a-z][-/][a-z]|\+|&|\band\b|\bwith\b/i;

const QUALIFIER = /\b(other and unspecified|unspecified (organism|site|control|type)|unspecified|uncomplicated|site not specified|not elsewhere classified|without complications?|initial encounter|not specified)\b/g;

export function dotted(code: string): string {
  return code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code;
}

interface IcdCandidate {
  /** Index into the code table. */
  code: number;
  score: number;
}

/**
 * Codes a note's name of a disease never stands for alone: external causes (V00–Y99), and the encounter of an
 * injury (the 7th character of S and T codes: initial, subsequent, sequela), which the note's words do not give:
 * a "fracture of lower end of radius" is coded to its 6-character code. Leaving them out keeps the index at less
 * than half the vocabulary, within a serving process's heap.
 */
export function isIndexedIcdCode(code: string): boolean {
  if (/^[V-Y]/.test(code)) return false;
  return !(/^[ST]/.test(code) && code.length === 7);
}

/** A candidate packed in one number: the code's index times 4 plus its match level (LEVEL_SCORES). */
const LEVEL_SCORES = [SCORE_FULL, SCORE_QUALIFIED, SCORE_BRACKET] as const;

export function buildConceptIndex(vocabularies: ConceptVocabularies): ConceptIndex {
  // The tables are typed arrays and strings packed into one (see PackedStrings): the index stays in a serving
  // process for its lifetime, where a string and a map entry per name cost several times their text.
  // A handful of additions: each checked against the vocabulary, rather than a set of its 70,000 codes at start-up.
  // Plain loops: a closure over `vocabularies` here would keep every row read alive for the index's lifetime.
  const additions: IcdRow[] = [];
  for (const row of vocabularies.icd10cmAdditions ?? ICD10CM_ADDITIONS) {
    let known = false;
    for (const existing of vocabularies.icd10cm) if (existing.code === row.code) known = true;
    if (!known) additions.push(row);
  }
  const rows = [...vocabularies.icd10cm, ...additions].filter((row) => isIndexedIcdCode(row.code));
  const codes = new PackedStrings(rows.map((row) => row.code));
  const descriptions = new PackedStrings(rows.map((row) => row.description));
  const codeIndex = new PackedStringMap(new Map(rows.map((row, i) => [row.code, i])));
  // A code with children (a category, a non-billable subcategory) is coded as its unspecified child.
  const leaf = new Uint8Array(codes.length).fill(1);
  for (const { code } of rows) {
    const parent = code.length > 3 ? codeIndex.get(code.slice(0, -1)) : undefined;
    if (parent !== undefined) leaf[parent] = 0;
  }
  // Padded with spaces (" asthma unspecified "), so a loose match finds a word in it without splitting it.
  const qualifiedKeyList = rows.map((row) => ` ${nameKey(stripQualifiers(row.description))} `);

  // Key → candidates (best score first after sorting); each code under its full, qualifier-free and bracket forms.
  // Word → codes whose full or qualifier-free form contains it, for names matched by no key.
  // Most keys name one code: the map holds its packed candidate; a key of several holds -1 - (its list in `shared`).
  const keyList = new Map<string, number>();
  const shared: number[][] = [];
  const postingLists = new Map<string, number[]>();
  const add = (key: string, code: number, level: number): void => {
    if (key === '') return;
    const packed = code * 4 + level;
    const held = keyList.get(key);
    if (held === undefined) keyList.set(key, packed);
    else if (held >= 0) {
      if (held >> 2 !== code) {
        shared.push([held, packed]);
        keyList.set(key, -shared.length);
      }
    } else {
      const list = shared[-held - 1] as number[];
      if (!list.some((c) => c >> 2 === code)) list.push(packed);
    }
  };
  const candidatesOf = (key: string): IcdCandidate[] => {
    const held = byKey.get(key);
    if (held === undefined) return [];
    return (held >= 0 ? [held] : (shared[-held - 1] as number[])).map((c) => ({ code: c >> 2, score: LEVEL_SCORES[c & 3] as number }));
  };
  rows.forEach((row, i) => {
    const full = nameKey(row.description.replace(/[()[\]]/g, ' '));
    add(full, i, 0);
    for (const word of new Set([...full.split(' '), ...(qualifiedKeyList[i] as string).split(' ')])) {
      if (word === '') continue;
      const list = postingLists.get(word);
      if (list) list.push(i);
      else postingLists.set(word, [i]);
    }
    add((qualifiedKeyList[i] as string).trim(), i, 1);
    // "Acute nasopharyngitis [common cold]": a bracketed name of two words or more is a synonym ("(acute)" is not).
    for (const bracket of row.description.matchAll(/[([]([^)\]]+)[)\]]/g)) {
      const key = nameKey(bracket[1] as string);
      if (key.includes(' ')) add(key, i, 2);
    }
  });
  const byKey = new PackedStringMap(keyList);
  // Every code's qualifier-free key is a key of byKey (unless empty): the code keeps its entry there, not a copy.
  const qualifiedEntries = Int32Array.from(qualifiedKeyList, (key) => byKey.entryOf(key.trim()));
  const qualifiedKeys = { at: (code: number): string => (qualifiedEntries[code] === -1 ? '  ' : ` ${byKey.keyAt(qualifiedEntries[code] as number)} `) };
  const postings = new Postings(postingLists);
  // Build-time tables: the lookups' closures share this scope.
  keyList.clear();
  postingLists.clear();
  qualifiedKeyList.length = 0;

  const unspecifiedChild = (i: number): number => {
    let current = i;
    for (let depth = 0; depth < 4 && !leaf[current]; depth++) {
      const prefix = codes.at(current);
      const children: number[] = [];
      for (const suffix of '0123456789ABCDEFGHJKXZ') {
        const child = codeIndex.get(prefix + suffix);
        if (child !== undefined) children.push(child);
      }
      if (children.length === 0) break;
      const key = qualifiedKeys.at(current);
      current = children.find((c) => qualifiedKeys.at(c) === key) ?? children.find((c) => codes.at(c).endsWith('9')) ?? children.find((c) => /unspecified/i.test(descriptions.at(c))) ?? (children[0] as number);
    }
    return current;
  };

  // ICD-10-CM's guideline (I.C.4.a.2): diabetes whose type the note does not state is coded as type 2. A name
  // matched to other-specified (E13), drug-induced (E09) or pregnancy (O24) diabetes without saying so gets E11.
  const statesDiabetesType = (words: readonly string[]): boolean => words.some((w) => DIABETES_TYPE_WORDS.has(w));
  const defaultDiabetes = (i: number, words: readonly string[]): number => {
    const code = codes.at(i);
    if (!/^(E0[89]|E13|O24)/.test(code) || statesDiabetesType(words)) return i;
    const suffix = code.startsWith('O24') ? '9' : code.slice(3);
    return codeIndex.get(`E11${suffix}`) ?? codeIndex.get('E119') ?? i;
  };

  const toCodes = (candidates: readonly IcdCandidate[], factor: number, words: readonly string[] = []): ConceptCode[] => {
    const best = new Map<number, number>();
    for (const candidate of candidates) {
      const code = defaultDiabetes(leaf[candidate.code] ? candidate.code : unspecifiedChild(candidate.code), words);
      // A category resolved to its child is a little less sure than a name of the child itself.
      const score = candidate.score * factor * (code === candidate.code ? 1 : 0.99);
      if ((best.get(code) ?? 0) < score) best.set(code, score);
    }
    return [...best]
      .sort((a, b) => b[1] - a[1] || codes.at(a[0]).length - codes.at(b[0]).length || codes.at(a[0]).localeCompare(codes.at(b[0])))
      .slice(0, MAX_CANDIDATES)
      .map(([code, score]) => ({ system: 'ICD-10-CM', code: dotted(codes.at(code)), display: descriptions.at(code), score: round3(score) }));
  };

  // The Disease Ontology: key → term, and ICD-10-CM code → the one term that cross-references it (-1: several).
  const doid = doidTerms(vocabularies.doid, codeIndex);
  const doidByKey = doid.byKey;
  const doidByIcd = doid.byIcd;
  const doidCandidates = (term: number): IcdCandidate[] => {
    const candidates: IcdCandidate[] = [];
    for (let k = doid.codeStarts[term] as number; k < (doid.codeStarts[term + 1] as number); k++) candidates.push({ code: doid.codes[k] as number, score: SCORE_DOID });
    return candidates;
  };

  // Abbreviations by their lower-case letters; names by their key.
  const abbreviations = new Map<string, DiagnosisShorthand>();
  const shorthandNames = new Map<string, DiagnosisShorthand>();
  for (const row of vocabularies.shorthand ?? DIAGNOSIS_SHORTHAND) {
    if (/\s/.test(row.name.trim())) shorthandNames.set(nameKey(row.name), row);
    else abbreviations.set(row.name.toLowerCase(), row);
  }
  const abbreviationOf = (text: string): DiagnosisShorthand | undefined => {
    const letters = text.replace(/[.\s]/g, '').toLowerCase();
    return abbreviations.get(letters) ?? (letters.endsWith('s') ? abbreviations.get(letters.slice(0, -1)) : undefined);
  };

  const weight = (word: string): number => Math.log(1 + codes.length / (postings.count(word) ?? 1));

  const isCare = Uint8Array.from(rows, (row) => (CARE_DESCRIPTION.test(row.description) ? 1 : 0));
  const isNewborn = Uint8Array.from(rows, (row) => (row.code.startsWith('P') || NEWBORN_DESCRIPTION.test(row.description) ? 1 : 0));
  // The summed weight of each code's words, computed when a loose match first reads it.
  const ownWeights = new Float64Array(codes.length).fill(-1);
  const ownWeightOf = (code: number): number => {
    let cached = ownWeights[code] as number;
    if (cached < 0) {
      cached = [...new Set(qualifiedKeys.at(code).split(' '))].reduce((sum, w) => sum + (w === '' ? 0 : weight(w)), 0);
      ownWeights[code] = cached;
    }
    return cached;
  };

  const fuzzy = (written: readonly string[]): IcdCandidate[] => {
    // "Diabetic X" is what ICD-10-CM calls "type 2 diabetes mellitus with X" (type 2 by its guideline, see defaultDiabetes).
    const words = written.includes('diabetic') ? written.flatMap((w) => (w === 'diabetic' ? DIABETIC_WORDS : [w])) : written;
    const known = [...new Set(words)].filter((w) => postings.count(w) !== undefined);
    if (known.length === 0) return [];
    // The codes sharing the name's rarest word: the name's head word is rarely its commonest.
    const rarest = known.reduce((a, b) => ((postings.count(a) ?? 0) <= (postings.count(b) ?? 0) ? a : b));
    // Only common words in common ("left", "pain"): too vague to code.
    if ((postings.count(rarest) ?? 0) > MAX_FUZZY_POSTINGS) return [];
    const distinct = [...new Set(words)];
    const weights = distinct.map(weight);
    const queryWeight = weights.reduce((sum, w) => sum + w, 0);
    const scored: IcdCandidate[] = [];
    // "Family history of stroke", "Encounter for screening for …" are not what a name alone stands for.
    const aboutCare = words.some((w) => CARE_WORDS.has(w));
    // Nor is "Hyponatremia of newborn" what "hyponatremia" stands for, unless the name is a newborn's.
    const aboutNewborn = words.some((w) => NEWBORN_WORDS.has(w));
    for (const code of postings.of(rarest)) {
      if (!aboutCare && isCare[code] === 1) continue;
      if (!aboutNewborn && isNewborn[code] === 1) continue;
      const own = qualifiedKeys.at(code);
      let shared = 0;
      for (let k = 0; k < distinct.length; k++) if (own.includes(` ${distinct[k] as string} `)) shared += weights[k] as number;
      const dice = (2 * shared) / (queryWeight + ownWeightOf(code));
      if (dice >= MIN_FUZZY) scored.push({ code, score: dice * SCORE_FUZZY });
    }
    return scored.sort((a, b) => b.score - a.score).slice(0, MAX_CANDIDATES * 2);
  };

  const codeWords = (words: readonly string[], factor: number): ConceptCode[] | null => {
    const key = keyOfWords(words);
    const shorthand = shorthandNames.get(key);
    if (shorthand) return abbreviationCodes(shorthand, factor);
    const icd = candidatesOf(key);
    const term = doidByKey.get(key);
    if (icd.length === 0 && term === undefined) return null;
    const candidates = [...icd, ...(term !== undefined ? doidCandidates(term) : [])];
    // A Disease Ontology term without an ICD-10-CM link ("lung cancer"): the ICD-10-CM names nearest its words.
    const result = toCodes(candidates.length > 0 ? candidates : fuzzy([...words, ...nameWords(doid.names[term as number] as string)]), factor, words);
    return withDoid(result, term, factor);
  };

  const withDoid = (icd: ConceptCode[], named: number | undefined, factor: number): ConceptCode[] => {
    const byIcd = named === undefined && icd[0] ? doidByIcd.get(icd[0].code) : undefined;
    const term = named ?? (byIcd !== undefined && byIcd >= 0 ? byIcd : undefined);
    if (term === undefined) return icd;
    const score = named !== undefined ? SCORE_DOID * factor : (icd[0] as ConceptCode).score * 0.9;
    return [...icd, { system: 'DOID', code: doid.ids[term] as string, display: doid.names[term] as string, score: round3(score) }];
  };

  const codeDisease = (name: string): ConceptCode[] => {
    const abbreviation = abbreviationOf(name);
    if (abbreviation) return abbreviationCodes(abbreviation);
    const words = nameWords(name);
    if (words.length === 0) return [];
    const whole = codeWords(words, 1);
    if (whole) return whole;
    // The longest run of words that is a name ("k/c/o HTN", "acute typhoid fever since 3 days").
    for (let length = Math.min(words.length - 1, MAX_WINDOW); length >= 1; length--) {
      for (let start = 0; start + length <= words.length; start++) {
        const window = words.slice(start, start + length);
        if (length === 1) {
          const single = abbreviationOf(window[0] as string);
          if (single && !single.whole) return abbreviationCodes(single, 0.9);
          // A word whose meaning alone is the row's ("cold"), beside other words: not another vocabulary's sense of it.
          if (single?.whole) continue;
        }
        const found = codeWords(window, Math.max(0.6, 0.9 * Math.sqrt(length / words.length)));
        if (found) return found;
      }
    }
    return withDoid(toCodes(fuzzy(words), 1, words), undefined, 1);
  };

  const abbreviationCodes = (row: DiagnosisShorthand, factor = 1): ConceptCode[] => {
    const i = codeIndex.get(row.icd10cm.replace('.', ''));
    // The row's term says what kind of diabetes it is ("GDM": gestational diabetes), as a note's words would.
    const icd = i === undefined ? [] : toCodes([{ code: i, score: SCORE_ABBREVIATION }], factor, nameWords(row.term));
    return withDoid(icd, doidByKey.get(nameKey(row.term)), factor);
  };

  // Drugs: a name's words (in order) → its row; ingredient name → the row of its DrugBank id.
  const drugs = drugTable(vocabularies.drugs);
  // Shorthand first: rows naming their ingredients (a brand's shape), so the record gives the ingredients.
  const shorthandDrugs = new Map<string, DrugRow>(
    (vocabularies.drugShorthand ?? DRUG_SHORTHAND).map(({ name, ingredients }) => [drugKey(name), { name, kind: 'brand', norm: drugKey(name), mapsTo: ingredients.join(' + '), ref: '' }]),
  );
  const ingredientCodes = (generic: readonly string[], score: number): ConceptCode[] =>
    generic.flatMap((name) => {
      const found = drugs.bankRows.get(drugKey(name));
      return found !== undefined ? [{ system: 'DrugBank' as const, code: drugs.refs[found] as string, display: drugs.mapsTo[found] as string, score: round3(score) }] : [];
    });

  const codeDrug = (name: string): DrugConcept | null => {
    const words = drugWords(name);
    const meaningful = words.filter((w) => !DOSE_WORDS.has(w) && !/^\d/.test(w)).length;
    // A fixed-dose combination written with a joiner ("piperacillin-tazobactam", "amoxicillin/clavulanate") names each part.
    const combination = COMBINATION_JOINER.test(name);
    const covered = new Array<boolean>(words.length).fill(false);
    const generic: string[] = [];
    const ingredients: string[] = [];
    let coveredWords = 0;
    for (let length = Math.min(words.length, MAX_WINDOW); length >= 1; length--) {
      for (let start = 0; start + length <= words.length; start++) {
        const window = words.slice(start, start + length);
        if (length === 1 && (DOSE_WORDS.has(window[0] as string) || /^\d/.test(window[0] as string))) continue;
        if (covered.slice(start, start + length).some(Boolean)) continue;
        const row = shorthandDrugs.get(window.join(' ')) ?? drugs.row(window.join(' ')) ?? DRUG_CLASSES.get(window.join(' '));
        if (!row) continue;
        const parts = simplestProduct(row.mapsTo).split(' + ').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
        // A generic written by one of its own names (paracetamol, aspirin) keeps that name; a salt or a brand gives its ingredients.
        // A vocabulary row mapping a salt to a bare stem without an id ("ferrous sulfate" → "ferrous") keeps the salt.
        const stem = parts.length === 1 && row.ref === '' && row.norm.startsWith(`${parts[0]} `);
        // An acid written as its anion keeps the acid's name ("clavulanate" is clavulanic acid).
        const anion = parts.length === 1 && row.norm.endsWith('ate') && (parts[0] as string).endsWith(' acid');
        const named = ((row.kind === 'generic' && parts.length === 1 && !row.norm.includes(' ') && !spellingOf(row.norm, parts[0] as string)) || stem) && !anion ? [row.norm] : parts;
        for (const part of named) if (!generic.includes(part)) generic.push(part);
        for (const part of parts) if (!ingredients.includes(part)) ingredients.push(part);
        for (let k = start; k < start + length; k++) covered[k] = true;
        coveredWords += length;
        if (!combination) return { generic, codes: ingredientCodes(ingredients, length >= meaningful ? 1 : 0.9) };
      }
    }
    if (generic.length === 0) return null;
    return { generic, codes: ingredientCodes(ingredients, coveredWords >= meaningful ? 1 : 0.9) };
  };

  const diseaseCache = new Map<string, ConceptCode[]>();
  const drugCache = new Map<string, DrugConcept | null>();
  const cached = <T>(cache: Map<string, T>, name: string, compute: (name: string) => T): T => {
    const hit = cache.get(name);
    if (hit !== undefined || cache.has(name)) {
      // Least recently used first out: a hit moves to the end.
      cache.delete(name);
      cache.set(name, hit as T);
      return hit as T;
    }
    const value = compute(name);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(name, value);
    return value;
  };
  // One frozen answer per name, shared by every entity of that name (a note naming "asthma" 80,000 times holds one):
  // frozen, so no record can change another's.
  const frozen = <T extends object>(value: T): T => Object.freeze(value);
  const freezeCodes = (list: ConceptCode[]): ConceptCode[] => frozen(list.map(frozen)) as ConceptCode[];

  return {
    disease: (name) => cached(diseaseCache, name, (n) => freezeCodes(codeDisease(n))),
    drug: (name) => {
      return cached(drugCache, name, (n) => {
        const found = codeDrug(n);
        return found ? frozen({ generic: frozen(found.generic) as string[], codes: freezeCodes(found.codes) }) : null;
      });
    },
    ingredients: (generic) => ingredientCodes(generic, 0.95),
    icdDisplay: (code) => {
      const i = codeIndex.get(code.replace('.', ''));
      return i === undefined ? undefined : descriptions.at(i);
    },
  };
}

/** Word → the codes whose names hold it, ascending: every list in one array. */
class Postings {
  private readonly lists: PackedStringMap;
  private readonly starts: Uint32Array;
  private readonly codes: Int32Array;

  constructor(lists: ReadonlyMap<string, readonly number[]>) {
    this.starts = new Uint32Array(lists.size + 1);
    let total = 0;
    for (const list of lists.values()) total += list.length;
    this.codes = new Int32Array(total);
    const ids = new Map<string, number>();
    let at = 0;
    for (const [word, list] of lists) {
      const id = ids.size;
      ids.set(word, id);
      this.codes.set(list, at);
      at += list.length;
      this.starts[id + 1] = at;
    }
    this.lists = new PackedStringMap(ids);
  }

  /** How many codes hold the word; undefined when none does. */
  count(word: string): number | undefined {
    const id = this.lists.get(word);
    return id === undefined ? undefined : (this.starts[id + 1] as number) - (this.starts[id] as number);
  }

  of(word: string): Int32Array {
    const id = this.lists.get(word);
    return id === undefined ? new Int32Array(0) : this.codes.subarray(this.starts[id], this.starts[id + 1]);
  }
}

/** The Disease Ontology terms as the index reads them: ids, names, and each term's ICD-10-CM codes as indexes. */
interface DoidTerms {
  ids: string[];
  names: string[];
  /** Term t's codes (indexes into the code table, in the term's order) are codes[codeStarts[t] .. codeStarts[t + 1]). */
  codeStarts: Uint32Array;
  codes: Int32Array;
  byKey: PackedStringMap;
  /** Dotted ICD-10-CM code → the one term cross-referencing it, -1 when several do. */
  byIcd: PackedStringMap;
}

function doidTerms(rows: readonly DoidRow[], codeIndex: PackedStringMap): DoidTerms {
  const byKey = new Map<string, number>();
  const byIcd = new Map<string, number>();
  const codeStarts = new Uint32Array(rows.length + 1);
  const codes: number[] = [];
  rows.forEach((row, t) => {
    for (const name of [row.name, ...row.synonyms]) {
      const key = nameKey(name);
      if (key !== '' && !byKey.has(key)) byKey.set(key, t);
    }
    for (const code of row.icd10cm) byIcd.set(code, byIcd.has(code) ? -1 : t);
    for (const code of row.icd10cm) {
      const i = codeIndex.get(code.replace('.', ''));
      if (i !== undefined) codes.push(i);
    }
    codeStarts[t + 1] = codes.length;
  });
  return { ids: rows.map((row) => ownString(row.id)), names: rows.map((row) => ownString(row.name)), codeStarts, codes: Int32Array.from(codes), byKey: new PackedStringMap(byKey), byIcd: new PackedStringMap(byIcd) };
}

/** The drug vocabulary as the index reads it: the rows it keeps, by their words and by ingredient name. */
interface DrugTable {
  /** The row a name's words (in order) name, as a DrugRow, or undefined. */
  row(key: string): DrugRow | undefined;
  mapsTo: string[];
  refs: string[];
  /** Ingredient name → the row of its DrugBank id (a generic's). */
  bankRows: PackedStringMap;
}

function drugTable(rows: readonly DrugRow[]): DrugTable {
  const kinds: DrugRow['kind'][] = [];
  // '' when the row's name is the key it is found by (most rows): the key gives it back.
  const norms: string[] = [];
  const mapsTo: string[] = [];
  const refs: string[] = [];
  // The many rows of one generic share its name.
  const interned = new Map<string, string>();
  const intern = (value: string): string => interned.get(value) ?? (interned.set(value, ownString(value)).get(value) as string);
  const kept = new Map<DrugRow, number>();
  const keep = (row: DrugRow): number => {
    let id = kept.get(row);
    if (id === undefined) {
      id = norms.length;
      kept.set(row, id);
      kinds.push(row.kind);
      norms.push(row.norm === drugKey(row.norm) ? '' : row.norm);
      mapsTo.push(intern(row.mapsTo));
      refs.push(intern(row.ref));
    }
    return id;
  };
  const byWords = new Map<string, number>();
  const bankRows = new Map<string, number>();
  for (const row of rows) {
    const key = drugKey(row.norm);
    const held = byWords.get(key);
    // A generic spelled as its key replaces one spelled otherwise ("(+-)-cyclophosphamide" is found by "cyclophosphamide" too).
    const plainer = held !== undefined && row.kind === 'generic' && kinds[held] === 'generic' && norms[held] !== '' && row.norm === key;
    if (key !== '' && (held === undefined || (row.kind === 'generic' && kinds[held] === 'brand') || plainer)) byWords.set(key, keep(row));
    if (row.kind === 'generic' && /^DB\d+$/.test(row.ref)) {
      const canonical = drugKey(row.mapsTo);
      if (!bankRows.has(canonical)) bankRows.set(canonical, keep(row));
      if (!bankRows.has(key)) bankRows.set(key, keep(row));
    }
  }
  const rowByWords = new PackedStringMap(byWords);
  const isBrand = Uint8Array.from(kinds, (kind) => (kind === 'brand' ? 1 : 0));
  const ownNorms = new PackedStrings(norms);
  // Build-time maps: the closure below shares their scope.
  interned.clear();
  kept.clear();
  byWords.clear();
  kinds.length = 0;
  norms.length = 0;
  return {
    row: (key) => {
      const id = rowByWords.get(key);
      if (id === undefined) return undefined;
      const norm = ownNorms.at(id);
      return { name: '', kind: isBrand[id] === 1 ? 'brand' : 'generic', norm: norm === '' ? key : norm, mapsTo: mapsTo[id] as string, ref: refs[id] as string };
    },
    mapsTo,
    refs,
    bankRows: new PackedStringMap(bankRows),
  };
}

/** Form and route words written around a drug's name ("Tab", "inj.", "syrup"), and units: never a name alone. */
const DOSE_WORDS = new Set(['tab', 'tabs', 'tablet', 'tablets', 'cap', 'caps', 'capsule', 'capsules', 'inj', 'injection', 'syp', 'syr', 'syrup', 'susp', 'suspension', 'oint', 'ointment', 'cream', 'gel', 'drops', 'drop', 'inhaler', 'mg', 'mcg', 'g', 'gm', 'ml', 'iu', 'units', 'od', 'bd', 'tds', 'qid', 'hs', 'sos', 'po', 'iv', 'im', 'sc', 'x', 'for', 'days', 'day']);

const DRUG_WORD = /[a-z0-9]+/g;

/**
 * A name the vocabulary gives several products ("Acetaminophen + Codeine|Acetaminophen" for TYLENOL, "Bupivacaine|
 * Bupivacaine + Epinephrine"): the one of fewest ingredients, then shortest, is the product the bare name means.
 */
function simplestProduct(mapsTo: string): string {
  if (!mapsTo.includes('|')) return mapsTo;
  const size = (product: string): number => product.split(' + ').length;
  return mapsTo.split('|').reduce((best, product) => (size(product) < size(best) || (size(product) === size(best) && product.length < best.length) ? product : best));
}

/**
 * Whether a vocabulary's name of a generic is another spelling of its ingredient's name: a letter or two at the
 * end ("pantoprazol", "doxycyclin", "amoxicilline"), or a misspelling by sound ("dexamethazone", "ibuprophen",
 * "amoxicilin"). Such a name gives the ingredient's, where a name of its own is kept: paracetamol for
 * acetaminophen, and the US and international names that differ by more than sound (acyclovir, aciclovir).
 */
function spellingOf(name: string, ingredient: string): boolean {
  // International names write "f" for the US "ph" (cefalexin, cephalexin): a name of its own, as aciclovir is.
  if (name === ingredient || ingredient.replace(/ph/g, 'f') === name) return false;
  const [shorter, longer] = name.length <= ingredient.length ? [name, ingredient] : [ingredient, name];
  if (shorter.length >= 5 && longer.startsWith(shorter) && longer.length - shorter.length <= 2) return true;
  return shorter.length >= 6 && bySound(name) === bySound(ingredient);
}

/** A name as it sounds: "ph" as "f", "z" as "s", a doubled letter once. */
function bySound(name: string): string {
  return name.replace(/ph/g, 'f').replace(/z/g, 's').replace(/([a-z])\1+/g, '$1');
}

/** Names of a kind of drug the vocabularies list only by its members ("insulin": insulin human, glargine, …). */
const DRUG_CLASSES: ReadonlyMap<string, DrugRow> = new Map([['insulin', { name: 'insulin', kind: 'generic', norm: 'insulin', mapsTo: 'insulin', ref: '' }]]);

/** British spellings of drug names as the vocabularies write them (sulphate → sulfate). */
const DRUG_SPELLING: Readonly<Record<string, string>> = { sulphate: 'sulfate', sulphur: 'sulfur', aluminium: 'aluminum', oestradiol: 'estradiol' };

function drugWords(name: string): string[] {
  const words = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().match(DRUG_WORD) ?? [];
  return words.map((w) => DRUG_SPELLING[w] ?? w);
}

function drugKey(name: string): string {
  return drugWords(name).join(' ');
}


export function stripQualifiers(description: string): string {
  return description.replace(/\([^)]*\)|\[[^\]]*\]/g, ' ').toLowerCase().replace(QUALIFIER, ' ');
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
