/**
 * What the cross-validation experiments (decoding-cv, ensemble-cv, stacking-cv, rerank-cv) start from: the
 * production model's card and training spec, its resources without those learned from training sentences
 * (each fold learns them again from its own), the train split (never the test split) and its folds.
 */
import { loadConfig } from '../../src/config.js';
import type { ModelCard } from '../../src/registry/model-card.js';
import { specOfCard } from '../../src/registry/model-card.js';
import type { FeatureResources } from '../../src/core/tagger/feature-templates.js';
import { kFoldIndices } from '../../src/core/text/folds.js';
import type { LabeledSentence } from '../../src/core/text/types.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { readFixedResources } from '../../src/corpus/resource-files.js';
import { loadModel } from '../../src/registry/model-store.js';
import type { TrainingSpec } from '../../src/core/tagger/training-spec.js';

export interface ProductionFolds {
  card: ModelCard;
  spec: TrainingSpec;
  resources: FeatureResources;
  sentences: LabeledSentence[];
  folds: number[][];
}

export async function productionFolds(folds: number, seed = 42): Promise<ProductionFolds> {
  const config = loadConfig();
  const { card, directory } = await loadModel(config.modelDir);
  const resources = await readFixedResources(directory);
  const { sentences } = await readBeHealthySplit(config.corpusDir, 'train');
  return { card, spec: specOfCard(card), resources, sentences, folds: kFoldIndices(sentences.length, folds, seed) };
}
