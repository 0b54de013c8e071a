import type { SectionNames } from '../diagnosis-section.js';
import type { ConceptCode, Entity, Sentence } from '../../text/types.js';
import type { ConceptIndex } from './concept-index.js';

/**
 * The record step that codes entities: a disease gets its ICD-10-CM candidates (best first) and its Disease
 * Ontology term; a drug its active ingredients (`generic`, unless an earlier step such as a brand table set
 * them) and their DrugBank ids. A procedure, and a name no vocabulary knows, get nothing.
 */
export function conceptEnricher(index: ConceptIndex, spelling?: Spelling): { name: string; apply(note: { text: string; sentences: readonly Sentence[] }, entities: Entity[]): void } {
  const mend = spelling ? rememberedMending(spelling) : undefined;
  return {
    name: 'concept-codes',
    apply: ({ text }, entities) => {
      for (const entity of entities) {
        codeEntity(index, entity, mend);
        if (entity.type === 'disease' && entity.codes) {
          withExacerbation(index, text, entity);
          withSite(index, text, entity);
        }
      }
    },
  };
}

/** Past this many distinct names the memory of their mended forms starts over (a long-running API reads open text). */
const MAX_REMEMBERED_NAMES = 20_000;

/** respelled() of each name, remembered: most names an index does not know come back note after note. */
function rememberedMending(spelling: Spelling): (name: string) => string | undefined {
  const remembered = new Map<string, string | null>();
  return (name) => {
    let mended = remembered.get(name);
    if (mended === undefined) {
      const respelt = respelled(name, spelling);
      mended = respelt === name ? null : respelt;
      if (remembered.size >= MAX_REMEMBERED_NAMES) remembered.clear();
      remembered.set(name, mended);
    }
    return mended ?? undefined;
  };
}

/** The name word a lower-cased word misspells, if any (the tagger's gazetteer: tagger/fuzzy-words.ts). */
export type Spelling = (lowerWord: string) => string | undefined;

/** The name with each misspelt word of 6+ letters read as the word it misspells ("Paracetmol" → paracetamol). */
export function respelled(name: string, spelling: Spelling): string {
  return name.replace(/[A-Za-z]{6,}/g, (word) => spelling(word.toLowerCase()) ?? word);
}

/** The entity's codes (and a drug's ingredients); a name no vocabulary knows is read again with its misspellings mended. */
export function codeEntity(index: ConceptIndex, entity: Entity, mend?: (name: string) => string | undefined): void {
  const mended = (): string | undefined => mend?.(entity.text);
  if (entity.type === 'disease') {
    let codes = index.disease(entity.text);
    if (codes.length === 0) {
      const name = mended();
      if (name !== undefined) codes = index.disease(name);
    }
    if (codes.length > 0) entity.codes = codes;
    return;
  }
  if (entity.kind === 'procedure') return;
  if (entity.generic && entity.generic.length > 0) {
    if (!entity.codes) {
      const codes = index.ingredients(entity.generic);
      if (codes.length > 0) entity.codes = codes;
    }
    return;
  }
  let drug = index.drug(entity.text);
  if (!drug) {
    const name = mended();
    if (name !== undefined) drug = index.drug(name);
  }
  if (!drug) return;
  entity.generic = drug.generic;
  if (drug.codes.length > 0 && !entity.codes) entity.codes = drug.codes;
}

/** A diagnosis section's items named by the index (clinical/diagnosis-section.ts): the best score of its disease concepts. */
export function conceptSectionNames(index: ConceptIndex): SectionNames {
  return { diseaseScore: (name) => index.disease(name).reduce((best, code) => Math.max(best, code.score), 0) };
}

/** The code of a disease "with (acute) exacerbation" for its code without, where ICD-10-CM has one. */
const EXACERBATED: Readonly<Record<string, string>> = {
  'J44.9': 'J44.1', 'J45.20': 'J45.21', 'J45.30': 'J45.31', 'J45.40': 'J45.41', 'J45.50': 'J45.51', 'J45.909': 'J45.901',
};
const EXACERBATION_BEFORE = /\bexacerbations?\s+of\s+(?:(?:the|his|her|their|known)\s+)?$/i;
const EXACERBATION_AFTER = /^\s*exacerbations?\b/i;
const CONTEXT_CHARS = 40;

/**
 * A site the guideline keeps out of the span ("Osteoarthritis both knees", "OA right hip") still codes: a code of
 * unspecified site becomes the site's, when the words right after the name on its line name one.
 */
const SITED: Readonly<Record<string, readonly (readonly [RegExp, string])[]>> = {
  'M19.90': [[/^[^\n.;]{0,20}\bknees?\b/i, 'M17.9'], [/^[^\n.;]{0,20}\bhips?\b/i, 'M16.9']],
};

function withSite(index: ConceptIndex, text: string, entity: Entity): void {
  const sites = SITED[firstIcd(entity)?.code ?? ''];
  const after = text.slice(entity.end, entity.end + CONTEXT_CHARS);
  const sited = sites?.find(([site]) => site.test(after))?.[1];
  if (sited !== undefined) recode(index, entity, sited);
}

/** The entity's first ICD-10-CM code. */
function firstIcd(entity: Entity): ConceptCode | undefined {
  return entity.codes?.find((c) => c.system === 'ICD-10-CM');
}

/** The entity's first ICD-10-CM code replaced by `code`, when the index knows it. */
function recode(index: ConceptIndex, entity: Entity, code: string): void {
  const codes = entity.codes as readonly ConceptCode[];
  const at = codes.findIndex((c) => c.system === 'ICD-10-CM');
  const display = index.icdDisplay(code);
  // The index's lists are shared between mentions: this mention gets its own.
  if (at >= 0 && display !== undefined) entity.codes = codes.map((c, i) => (i === at ? { ...c, code, display } : c));
}

/**
 * An exacerbation the guideline keeps out of the span ("Acute exacerbation of bronchial asthma", "COPD
 * exacerbation") is still coded: the disease's ICD-10-CM code becomes its "with (acute) exacerbation" code.
 */
function withExacerbation(index: ConceptIndex, text: string, entity: Entity): void {
  const exacerbated = EXACERBATED[firstIcd(entity)?.code ?? ''];
  if (!exacerbated) return;
  const before = text.slice(Math.max(0, entity.start - CONTEXT_CHARS), entity.start);
  if (EXACERBATION_BEFORE.test(before) || EXACERBATION_AFTER.test(text.slice(entity.end, entity.end + CONTEXT_CHARS))) recode(index, entity, exacerbated);
}
