import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNerError, type ErrorCode } from '../../src/errors.js';
import type { ModelCard } from '../../src/registry/model-card.js';
import {
  CARD_FILE, listModelVersions, loadModel, MODEL_FILE, nextVersionName, saveModel, sha256,
} from '../../src/registry/model-store.js';
import { CLUSTERS_FILE, GAZETTEER_FILE } from '../../src/corpus/resource-files.js';
import { readSample, sampleModel, writeSampleModelsDir } from '../helpers/sample-model.js';
import { buildConceptIndex } from '../../src/core/clinical/concept-codes/concept-index.js';
import type { Entity } from '../../src/core/text/types.js';
import { createIndicationKnowledge } from '../../src/core/clinical/indications.js';

const VERSION = '2026-01-01.1';

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(isNerError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

describe('model store', () => {
  let modelsDir: string;
  let versionDir: string;

  beforeEach(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'models-'));
    await writeSampleModelsDir(modelsDir, VERSION);
    versionDir = join(modelsDir, VERSION);
  });
  afterEach(() => rm(modelsDir, { recursive: true, force: true }));

  async function editCard(edit: (card: ModelCard) => void): Promise<void> {
    const path = join(versionDir, CARD_FILE);
    const card = JSON.parse(await readFile(path, 'utf8')) as ModelCard;
    edit(card);
    await writeFile(path, JSON.stringify(card));
  }

  /** Replaces the model file and updates the card's checksum, as a careless or hostile edit would. */
  async function replaceModelFile(bytes: Uint8Array): Promise<void> {
    await writeFile(join(versionDir, MODEL_FILE), bytes);
    await editCard((card) => {
      card.files.model.sha256 = sha256(bytes);
      card.files.model.bytes = bytes.length;
    });
  }

  it('codes entities with the concepts it is loaded with, and a reload that reuses the serving model keeps them', async () => {
    const concepts = buildConceptIndex({
      icd10cm: [{ code: 'C3490', description: 'Malignant neoplasm of unspecified part of unspecified bronchus or lung' }],
      doid: [],
      drugs: [{ name: 'Cisplatin', kind: 'generic', norm: 'cisplatin', mapsTo: 'Cisplatin', ref: 'DB00515' }],
      shorthand: [{ name: 'lung cancer', icd10cm: 'C34.90', term: 'lung cancer' }],
    });
    const plain = await loadModel(modelsDir);
    expect(plain.model.enrichers?.map((e) => e.name) ?? []).not.toContain('concept-codes');
    const coded = await loadModel(modelsDir, undefined, { concepts });
    const reloaded = await loadModel(modelsDir, VERSION, { reuse: coded });
    for (const { model } of [coded, reloaded]) {
      const step = model.enrichers?.find((e) => e.name === 'concept-codes');
      const entities: Entity[] = [
        { type: 'disease', text: 'lung cancer', start: 0, end: 11, assertion: 'present', confidence: 1 },
        { type: 'treatment', text: 'cisplatin', start: 17, end: 26, assertion: 'present', confidence: 1 },
      ];
      step?.apply({ text: 'lung cancer with cisplatin', sentences: [] }, entities);
      expect(entities[0]?.codes?.[0]?.code).toBe('C34.90');
      expect(entities[1]?.generic).toEqual(['cisplatin']);
    }
  });

  it('loads the shipped indication list unless told otherwise, and a reload that reuses the serving model keeps its list', async () => {
    const own = createIndicationKnowledge([{ name: 'zyxoprofen', treats: ['M15-M19'] }]);
    const drug = (generic: string): Entity => ({ type: 'treatment', text: generic, start: 0, end: generic.length, assertion: 'present', confidence: 1, generic: [generic] });
    const shipped = await loadModel(modelsDir);
    expect(shipped.model.indications?.forTreatment(drug('metformin'))?.('E11.9')).toBe(true);
    expect((await loadModel(modelsDir, undefined, { indications: null })).model.indications).toBeUndefined();
    const reloaded = await loadModel(modelsDir, VERSION, { reuse: await loadModel(modelsDir, undefined, { indications: own }) });
    expect(reloaded.model.indications?.forTreatment(drug('zyxoprofen'))?.('M17.0')).toBe(true);
    expect(reloaded.model.indications?.forTreatment(drug('metformin'))).toBeNull();
  });

  it('loads the production version and tags like the model it was saved from', async () => {
    const { model, card } = await loadModel(modelsDir);
    expect(card.version).toBe(VERSION);
    const trained = (await sampleModel()).model;
    for (const sentence of await readSample('test')) expect(model.tag(sentence.tokens)).toEqual(trained.tag(sentence.tokens));
    expect(await listModelVersions(modelsDir)).toEqual([VERSION]);
    expect(await nextVersionName(modelsDir, new Date('2026-01-01T12:00:00Z'))).toBe('2026-01-01.2');
    expect(await nextVersionName(modelsDir, new Date('2026-01-02T12:00:00Z'))).toBe('2026-01-02.1');
  });

  it('never reuses a gap in the day\'s version numbers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'behealthy-versions-'));
    try {
      for (const version of ['2026-01-01.2', '2026-01-01.9', '2025-12-31.40']) await mkdir(join(dir, version));
      await writeFile(join(dir, '2026-01-01.2', CARD_FILE), '{}');
      await writeFile(join(dir, '2026-01-01.9', CARD_FILE), '{}');
      await writeFile(join(dir, '2025-12-31.40', CARD_FILE), '{}');
      expect(await nextVersionName(dir, new Date('2026-01-01T12:00:00Z'))).toBe('2026-01-01.10');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing version, directory or pointer', async () => {
    await expectCode(loadModel(modelsDir, '2099-01-01.1'), 'NER_ERR_MODEL_NOT_FOUND');
    await expectCode(loadModel(join(modelsDir, 'nowhere')), 'NER_ERR_MODEL_NOT_FOUND');
    await expectCode(loadModel(modelsDir, '../etc'), 'NER_ERR_MODEL_NOT_FOUND');
    await writeFile(join(modelsDir, 'production.json'), '{"name": 1}');
    await expectCode(loadModel(modelsDir), 'NER_ERR_MODEL_PRODUCTION_POINTER');
  });

  it('refuses a truncated model file by its checksum, before CRFsuite can see it', async () => {
    await truncate(join(versionDir, MODEL_FILE), 100);
    await expectCode(loadModel(modelsDir), 'NER_ERR_MODEL_CHECKSUM');
  });

  it('refuses a tampered model file (same size, one byte changed)', async () => {
    const path = join(versionDir, MODEL_FILE);
    const bytes = await readFile(path);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    await writeFile(path, bytes);
    await expectCode(loadModel(modelsDir), 'NER_ERR_MODEL_CHECKSUM');
  });

  it('refuses a foreign or truncated file even when the card was updated to match it', async () => {
    await replaceModelFile(Buffer.from('this is not a CRFsuite model\n'));
    await expectCode(loadModel(modelsDir), 'NER_ERR_MODEL_FORMAT');
    const real = (await sampleModel()).crfBytes;
    for (const length of [0, 4, 47, 48, 200, Math.floor(real.length / 2), real.length - 1]) {
      await replaceModelFile(real.subarray(0, length));
      await expectCode(loadModel(modelsDir), 'NER_ERR_MODEL_FORMAT');
    }
  });

  it('refuses a model whose templates this code lacks, naming them', async () => {
    await editCard((card) => card.templates.push('word-embeddings-v9'));
    const error = await loadModel(modelsDir).catch((e: unknown) => e);
    expect(isNerError(error, 'NER_ERR_MODEL_TEMPLATES')).toBe(true);
    expect(String(error)).toContain('word-embeddings-v9');
  });

  it('refuses a card that is not valid JSON', async () => {
    await writeFile(join(versionDir, CARD_FILE), '{ not json');
    await expectCode(loadModel(modelsDir), 'NER_ERR_MODEL_CARD_INVALID');
  });

  it.each([GAZETTEER_FILE, CLUSTERS_FILE])('refuses a %s that does not match its checksum', async (name) => {
    await writeFile(join(versionDir, name), 'garbage');
    await expectCode(loadModel(modelsDir), 'NER_ERR_MODEL_CHECKSUM');
  });

  it('never overwrites an existing version', async () => {
    const crfFile = join(modelsDir, 'trained.crfsuite');
    await writeFile(crfFile, (await sampleModel()).crfBytes);
    const card = JSON.parse(await readFile(join(versionDir, CARD_FILE), 'utf8')) as ModelCard;
    await expectCode(saveModel(modelsDir, card, crfFile, {}), 'NER_ERR_MODEL_CARD_INVALID');
  });
});
