import type { Config } from '../config.js';
import { loadConceptIndex } from '../corpus/concept-vocabularies.js';
import type { LoadOptions } from './model-store.js';

/**
 * What a serving process (API, worker, CLI extraction) loads a model with besides its files: the concept index
 * of the configured vocabularies (CONCEPT_CODES, LEXICON_DIR), built once per process and kept across reloads.
 */
export async function servingLoadOptions(config: Pick<Config, 'conceptCodes' | 'lexiconDir'>): Promise<LoadOptions> {
  return config.conceptCodes ? { concepts: await loadConceptIndex(config.lexiconDir) } : {};
}
