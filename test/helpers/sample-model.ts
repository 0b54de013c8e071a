import { readFile, rm, writeFile } from 'node:fs/promises';
import { serializeResources } from '../../src/corpus/resource-files.js';
import { saveModel, setProductionVersion } from '../../src/registry/model-store.js';
import { join } from 'node:path';
import { DEFAULT_TRAINING_PARAMETERS } from '../../src/core/tagger/crfsuite-binding.js';
import { DEFAULT_TEMPLATES } from '../../src/core/tagger/feature-templates.js';
import { DEFAULT_SPAN_RULES } from '../../src/core/clinical/span-rules.js';
import { buildGazetteer } from '../../src/core/tagger/gazetteer.js';
import { parseBeHealthy } from '../../src/corpus/behealthy-format.js';
import { trainTagger, type TrainedTagger } from '../../src/training/train-tagger.js';
import type { TrainingSpec } from '../../src/core/tagger/training-spec.js';
import type { LabeledSentence } from '../../src/core/text/types.js';
import { learnPosLexicon, type FeatureResources } from '../../src/core/tagger/feature-templates.js';
import { DEFAULT_CLUSTER_OPTIONS, learnWordClusters } from '../../src/core/tagger/word-clusters.js';

export const SAMPLE_DIR = join(import.meta.dirname, '../../corpus/sample');

export async function readSample(split: 'train' | 'test'): Promise<LabeledSentence[]> {
  const sentFile = join(SAMPLE_DIR, `${split}_sent`);
  const labelFile = join(SAMPLE_DIR, `${split}_label`);
  return parseBeHealthy(await readFile(sentFile, 'utf8'), await readFile(labelFile, 'utf8'), { sentFile, labelFile });
}

/** A small gazetteer written for tests (not the shared lexicons). */
export const sampleGazetteer = buildGazetteer([
  { tokens: ['cisplatin'], kind: 'drug' },
  { tokens: ['metformin'], kind: 'drug' },
  { tokens: ['azithromycin'], kind: 'drug' },
  { tokens: ['lung', 'cancer'], kind: 'disease' },
  { tokens: ['typhoid'], kind: 'disease' },
  { tokens: ['type', '2', 'diabetes'], kind: 'disease' },
]);

export const sampleSpec: TrainingSpec = {
  templates: [...new Set([...DEFAULT_TEMPLATES, 'cluster', 'gazetteer', 'relevance', 'pos-lexicon', 'pos-notes'])],
  labelEncoding: 'BIO',
  spanRules: [...DEFAULT_SPAN_RULES],
  parameters: { ...DEFAULT_TRAINING_PARAMETERS, maxIterations: 60 },
};

/** Word clusters learned from the sample corpus itself, small enough for tests. */
export async function sampleResources(): Promise<FeatureResources> {
  const text = [...(await readSample('train')), ...(await readSample('test'))].map((s) => s.tokens);
  return {
    gazetteer: sampleGazetteer,
    clusters: learnWordClusters(text, { ...DEFAULT_CLUSTER_OPTIONS, levels: [16, 4], minCount: 1, dimensions: 32 }),
    relevance: null,
    posLexicon: learnPosLexicon(text),
    notesPosLexicon: learnPosLexicon(text.slice(0, 10)),
    spanLexicon: null,
  };
}

let cached: Promise<TrainedTagger> | undefined;

/** A CRF trained in-process on corpus/sample (about a second), shared by the tests of one file. */
export function sampleModel(): Promise<TrainedTagger> {
  cached ??= (async () => trainTagger(await readSample('train'), sampleSpec, await sampleResources(), { version: 'sample-1' }))();
  return cached;
}

/** A models directory holding the sample model as production version `version`, as `behealthy train` writes it. */
export async function writeSampleModelsDir(modelsDir: string, version = '2026-01-01.1'): Promise<void> {
  const { crfBytes } = await sampleModel();
  const crfFile = join(modelsDir, 'trained.crfsuite');
  await writeFile(crfFile, crfBytes);
  await saveModel(
    modelsDir,
    {
      schemaVersion: 1, version, created: '2026-01-01T00:00:00.000Z', gitCommit: null, description: 'sample model for tests',
      labelEncoding: sampleSpec.labelEncoding, templates: sampleSpec.templates, spanRules: sampleSpec.spanRules, trainingParameters: sampleSpec.parameters,
      data: { corpus: 'sample', split: 'train', sentences: 1, tokens: 1, files: [], sha256: '0'.repeat(64) },
      metrics: { crossValidation: null, test: null }, environment: { node: process.version, crfsuite: 'test' },
    },
    crfFile,
    serializeResources((await sampleModel()).resources),
  );
  await rm(crfFile);
  await setProductionVersion(modelsDir, version);
}
