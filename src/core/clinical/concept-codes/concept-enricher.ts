import type { SectionNames } from '../diagnosis-section.js';
import type { Entity, Sentence } from '../../text/types.js';
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
    apply: (_note, entities) => {
      for (const entity of entities) codeEntity(index, entity, mend);
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
