import type { Config } from '../config.js';
import { readBrandLexicon } from '../corpus/brands.js';
import { loadConceptIndex } from '../corpus/concept-vocabularies.js';
import type { LoadOptions } from './model-store.js';

/**
 * What a serving process (API, worker, AMQP bridge, CLI extraction) loads a model with besides its files: the
 * brand list (the shipped one and BRANDS_FILE) and the concept index of the configured vocabularies
 * (CONCEPT_CODES, LEXICON_DIR), built once per process and kept across reloads.
 */
export async function servingLoadOptions(config: Pick<Config, 'conceptCodes' | 'lexiconDir' | 'brandsFile'>): Promise<LoadOptions> {
  const brands = await readBrandLexicon(config.brandsFile);
  return config.conceptCodes ? { brands, concepts: await loadConceptIndex(config.lexiconDir) } : { brands };
}
