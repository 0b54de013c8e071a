import type { SectionNames } from '../diagnosis-section.js';
import type { Entity, Sentence } from '../../text/types.js';
import type { ConceptIndex } from './concept-index.js';

/**
 * The record step that codes entities: a disease gets its ICD-10-CM candidates (best first) and its Disease
 * Ontology term; a drug its active ingredients (`generic`, unless an earlier step such as a brand table set
 * them) and their DrugBank ids. A procedure, and a name no vocabulary knows, get nothing.
 */
export function conceptEnricher(index: ConceptIndex): { name: string; apply(note: { text: string; sentences: readonly Sentence[] }, entities: Entity[]): void } {
  return {
    name: 'concept-codes',
    apply: (_note, entities) => {
      for (const entity of entities) codeEntity(index, entity);
    },
  };
}

export function codeEntity(index: ConceptIndex, entity: Entity): void {
  if (entity.type === 'disease') {
    const codes = index.disease(entity.text);
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
  const drug = index.drug(entity.text);
  if (!drug) return;
  entity.generic = drug.generic;
  if (drug.codes.length > 0 && !entity.codes) entity.codes = drug.codes;
}

/** A diagnosis section's items named by the index (clinical/diagnosis-section.ts): the best score of its disease concepts. */
export function conceptSectionNames(index: ConceptIndex): SectionNames {
  return { diseaseScore: (name) => index.disease(name).reduce((best, code) => Math.max(best, code.score), 0) };
}
