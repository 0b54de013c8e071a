import type { SectionNames } from '../diagnosis-section.js';
import type { Entity, Sentence } from '../../text/types.js';
import type { ConceptIndex } from './concept-index.js';

/**
 * The record step that codes entities: a disease gets its ICD-10-CM candidates (best first) and its Disease
 * Ontology term; a drug its active ingredients (`generic`, unless an earlier step such as a brand table set
 * them) and their DrugBank ids. A procedure, and a name no vocabulary knows, get nothing.
 */
export function conceptEnricher(index: ConceptIndex, spelling?: Spelling): { name: string; apply(note: { text: string; sentences: readonly Sentence[] }, entities: Entity[]): void } {
  return {
    name: 'concept-codes',
    apply: (_note, entities) => {
      for (const entity of entities) codeEntity(index, entity, spelling);
    },
  };
}

/** The name word a lower-cased word misspells, if any (the tagger's gazetteer: tagger/fuzzy-words.ts). */
export type Spelling = (lowerWord: string) => string | undefined;

/** The name with each misspelt word of 6+ letters read as the word it misspells ("Paracetmol" → paracetamol). */
export function respelled(name: string, spelling: Spelling): string {
  return name.replace(/[A-Za-z]{6,}/g, (word) => spelling(word.toLowerCase()) ?? word);
}

/** The entity's codes (and a drug's ingredients); a name no vocabulary knows is read again with its misspellings mended. */
export function codeEntity(index: ConceptIndex, entity: Entity, spelling?: Spelling): void {
  const mended = (): string | undefined => {
    if (!spelling) return undefined;
    const name = respelled(entity.text, spelling);
    return name === entity.text ? undefined : name;
  };
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
