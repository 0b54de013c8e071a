import { readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { isNerError, type ErrorCode } from '../../src/errors.js';
import {
  HISTORY_FILE, listVersionSummaries, LOCK_FILE, productionStack, promoteVersion, readPromotionHistory, rollbackVersion, verifyModelVersion, type PromotionRecord,
} from '../../src/registry/model-registry.js';
import { GAZETTEER_FILE } from '../../src/corpus/resource-files.js';
import { loadModel, MODEL_FILE, PRODUCTION_POINTER, readProductionVersion } from '../../src/registry/model-store.js';
import { extract } from '../../src/core/extract.js';
import { copyShippedModels, copyVersion, editCard, OLDER, PRODUCTION, replaceModelFile } from '../helpers/models-dir.js';

const NEW = '2026-12-09.1';
const by = 'tester@ci';

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

describe('model registry: promote, rollback, history', () => {
  let models: Awaited<ReturnType<typeof copyShippedModels>>;
  beforeEach(async () => {
    models = await copyShippedModels();
  });
  afterEach(() => models.remove());

  it('promotes a verified version: the pointer moves and the history records who, when, from and to', async () => {
    const at = new Date('2026-12-01T10:00:00Z');
    const result = await promoteVersion(models.dir, OLDER, { by, reason: 'compare', now: () => at });
    expect(result.changed).toBe(true);
    expect(result.loaded.card.version).toBe(OLDER);
    expect(await readProductionVersion(models.dir)).toBe(OLDER);
    const pointer = JSON.parse(await readFile(join(models.dir, PRODUCTION_POINTER), 'utf8')) as { promotedAt: string };
    expect(Date.parse(pointer.promotedAt)).toBeGreaterThan(0);
    expect(await readPromotionHistory(models.dir)).toEqual([{ at: at.toISOString(), action: 'promote', from: PRODUCTION, to: OLDER, by, reason: 'compare' }]);
    // The lock is released.
    await expect(stat(join(models.dir, LOCK_FILE))).rejects.toThrow();
  });

  it('promoting the production version changes nothing and records nothing', async () => {
    const result = await promoteVersion(models.dir, PRODUCTION, { by });
    expect(result.changed).toBe(false);
    expect(await readPromotionHistory(models.dir)).toEqual([]);
  });

  it('rolls back to the version production had before, step by step, then refuses with NER_ERR_MODEL_NO_ROLLBACK', async () => {
    await copyVersion(models.dir, OLDER, NEW);
    await promoteVersion(models.dir, OLDER, { by });
    await promoteVersion(models.dir, NEW, { by });
    expect((await rollbackVersion(models.dir, { by })).record).toMatchObject({ action: 'rollback', from: NEW, to: OLDER });
    expect(await readProductionVersion(models.dir)).toBe(OLDER);
    expect((await rollbackVersion(models.dir, { by })).record).toMatchObject({ action: 'rollback', from: OLDER, to: PRODUCTION });
    expect(await readProductionVersion(models.dir)).toBe(PRODUCTION);
    const error = await failure(rollbackVersion(models.dir, { by }));
    expect(isNerError(error, 'NER_ERR_MODEL_NO_ROLLBACK'), String(error)).toBe(true);
    expect(await readProductionVersion(models.dir)).toBe(PRODUCTION);
    expect((await readPromotionHistory(models.dir)).map((r) => `${r.action} ${r.from}→${r.to}`)).toEqual([
      `promote ${PRODUCTION}→${OLDER}`,
      `promote ${OLDER}→${NEW}`,
      `rollback ${NEW}→${OLDER}`,
      `rollback ${OLDER}→${PRODUCTION}`,
    ]);
  });

  it('refuses a rollback with no history', async () => {
    const error = await failure(rollbackVersion(models.dir, { by }));
    expect(isNerError(error, 'NER_ERR_MODEL_NO_ROLLBACK')).toBe(true);
    expect(String(error)).toMatch(/names no version that was in production before 2026-12-02\.1/);
  });

  const corruptions: [string, ErrorCode, (dir: string) => Promise<void>][] = [
    ['a truncated model file', 'NER_ERR_MODEL_CHECKSUM', (dir) => truncate(join(dir, NEW, MODEL_FILE), 1_000)],
    ['a foreign file in place of the model', 'NER_ERR_MODEL_CHECKSUM', (dir) => replaceModelFile(dir, NEW, Buffer.from('PK\u0003\u0004 not a CRF model at all'), false)],
    ['a foreign file with the card\'s digest edited to match', 'NER_ERR_MODEL_FORMAT', (dir) => replaceModelFile(dir, NEW, Buffer.from('{"weights": [1, 2, 3]}\n'), true)],
    [
      'a truncated model file with the card\'s digest edited to match',
      'NER_ERR_MODEL_FORMAT',
      async (dir) => replaceModelFile(dir, NEW, (await readFile(join(dir, NEW, MODEL_FILE))).subarray(0, 100_000), true),
    ],
    ['an edited checksum in the card', 'NER_ERR_MODEL_CHECKSUM', (dir) => editCard(dir, NEW, (card) => void (card.files.model.sha256 = `0${card.files.model.sha256.slice(1)}`))],
    ['a tampered resource file', 'NER_ERR_MODEL_CHECKSUM', (dir) => writeFile(join(dir, NEW, GAZETTEER_FILE), 'garbage')],
    ['templates this code does not have', 'NER_ERR_MODEL_TEMPLATES', (dir) => editCard(dir, NEW, (card) => void card.templates.push('word-embeddings-v9'))],
    ['labels that are not the card\'s encoding (a model of another task)', 'NER_ERR_MODEL_FORMAT', (dir) => editCard(dir, NEW, (card) => void (card.labelEncoding = 'IO'))],
    ['a card naming another version than its directory', 'NER_ERR_MODEL_CARD_INVALID', (dir) => editCard(dir, NEW, (card) => void (card.version = OLDER))],
    ['a card that is not JSON', 'NER_ERR_MODEL_CARD_INVALID', (dir) => writeFile(join(dir, NEW, 'model-card.json'), '{ "schemaVersion": 1,')],
  ];

  it.each(corruptions)('refuses to promote a version with %s (%s); production and history stay', async (_what, code, corrupt) => {
    await copyVersion(models.dir, OLDER, NEW);
    await corrupt(models.dir);
    const pointerBefore = await readFile(join(models.dir, PRODUCTION_POINTER));
    const error = await failure(promoteVersion(models.dir, NEW, { by }));
    expect(isNerError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    expect(String(error)).toContain(`refused to promote ${NEW} (production stays ${PRODUCTION})`);
    expect(await readFile(join(models.dir, PRODUCTION_POINTER))).toEqual(pointerBefore);
    await expect(stat(join(models.dir, HISTORY_FILE))).rejects.toThrow();
    await expect(stat(join(models.dir, LOCK_FILE))).rejects.toThrow();
  });

  it('refuses a version that does not exist or is not a version name', async () => {
    for (const version of ['2099-01-01.1', '../models']) {
      const error = await failure(promoteVersion(models.dir, version, { by }));
      expect(isNerError(error, 'NER_ERR_MODEL_NOT_FOUND'), String(error)).toBe(true);
    }
    expect(await readProductionVersion(models.dir)).toBe(PRODUCTION);
  });

  it('refuses to roll back to a version that no longer verifies', async () => {
    await promoteVersion(models.dir, OLDER, { by });
    await copyVersion(models.dir, OLDER, NEW);
    await promoteVersion(models.dir, NEW, { by });
    await truncate(join(models.dir, OLDER, MODEL_FILE), 10);
    const error = await failure(rollbackVersion(models.dir, { by }));
    expect(isNerError(error, 'NER_ERR_MODEL_CHECKSUM')).toBe(true);
    expect(String(error)).toContain(`refused to roll back to ${OLDER} (production stays ${NEW})`);
    expect(await readProductionVersion(models.dir)).toBe(NEW);
  });

  it('one change at a time: a held lock makes another wait, then NER_ERR_MODEL_REGISTRY_BUSY; a stale one is taken over', async () => {
    const lock = join(models.dir, LOCK_FILE);
    await writeFile(lock, '{"pid": 1}');
    const error = await failure(promoteVersion(models.dir, OLDER, { by, lockWaitMs: 300 }));
    expect(isNerError(error, 'NER_ERR_MODEL_REGISTRY_BUSY')).toBe(true);
    expect(await readProductionVersion(models.dir)).toBe(PRODUCTION);
    const longAgo = new Date(Date.now() - 5 * 60_000);
    await utimes(lock, longAgo, longAgo);
    expect((await promoteVersion(models.dir, OLDER, { by, lockWaitMs: 300 })).changed).toBe(true);
  });

  it('lists every version with its card summary, marking production; a broken card is listed with its problem', async () => {
    await copyVersion(models.dir, OLDER, NEW);
    await writeFile(join(models.dir, NEW, 'model-card.json'), 'not json');
    const list = await listVersionSummaries(models.dir, PRODUCTION);
    expect(list.map((v) => [v.version, v.production])).toEqual([
      [OLDER, false],
      [PRODUCTION, true],
      [NEW, false],
    ]);
    expect(list[1]).toMatchObject({ templates: 15, labelEncoding: 'BIO' });
    expect(list[1]?.created).toMatch(/^2026-12-02T00:/);
    expect(list[1]?.cvStrictMicroF1?.mean).toBeCloseTo(0.6171, 4);
    expect(list[1]?.testStrictMicroF1).toBeCloseTo(0.6354, 4);
    expect(list[2]?.problem?.code).toBe('NER_ERR_MODEL_CARD_INVALID');
  });
});

describe('loading a version next to the serving one (hot reload)', () => {
  it('reuses the resource files whose bytes did not change, and tags exactly as a fresh load', async () => {
    const models = await copyShippedModels();
    try {
      const serving = await loadModel(models.dir, PRODUCTION);
      const reused = await verifyModelVersion(models.dir, OLDER, { reuse: serving });
      const fresh = await loadModel(models.dir, OLDER);
      const shared = [...(reused.parsedResources ?? new Map()).entries()].filter(([key, parsed]) => serving.parsedResources?.get(key) === parsed);
      expect(shared.map(([key]) => key.split('\0')[0]).sort()).toEqual([GAZETTEER_FILE, 'pos-notes.tsv.gz', 'relevance.tsv.gz', 'train-spans.tsv.gz']);
      expect([...(reused.parsedResources ?? new Map()).keys()].sort()).toEqual([...(fresh.parsedResources ?? new Map()).keys()].sort());
      const text = 'Patients with advanced lung cancer were treated with cisplatin ; metformin for type 2 diabetes ( T2DM ) .'.split(' ');
      expect(reused.model.tag(text)).toEqual(fresh.model.tag(text));
      expect(extract('Asthma was treated with inhaled salbutamol and prednisone.', reused.model)).toEqual(extract('Asthma was treated with inhaled salbutamol and prednisone.', fresh.model));
    } finally {
      await models.remove();
    }
  });
});

describe('productionStack', () => {
  const record = (action: PromotionRecord['action'], from: string | null, to: string): PromotionRecord => ({ at: '', action, from, to, by });

  it('pushes promotions and pops rollbacks', () => {
    const history = [record('promote', 'a', 'b'), record('promote', 'b', 'c'), record('rollback', 'c', 'b')];
    expect(productionStack(history, 'b')).toEqual(['a', 'b']);
    expect(productionStack([...history, record('rollback', 'b', 'a')], 'a')).toEqual(['a']);
  });

  it('counts a pointer changed outside the registry as pushed where it is seen', () => {
    expect(productionStack([], 'x')).toEqual(['x']);
    expect(productionStack([record('promote', 'a', 'b')], 'z')).toEqual(['a', 'b', 'z']);
    expect(productionStack([record('promote', 'a', 'b'), record('promote', 'q', 'c')], 'c')).toEqual(['a', 'b', 'q', 'c']);
  });
});

describe('behealthy models', () => {
  let models: Awaited<ReturnType<typeof copyShippedModels>>;
  beforeEach(async () => {
    models = await copyShippedModels();
  });
  afterEach(() => models.remove());

  async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await main(argv, { stdout, stderr: stderr as unknown as NodeJS.WriteStream, stdin: Readable.from([]) });
    return { code, stdout: out, stderr: err };
  }

  it('list, promote, history and rollback from the command line', async () => {
    const list = await run(['models', 'list', '--models', models.dir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\*\s+2026-12-02\.1\s+2026-12-02 00:\d\d\s+15\s+0\.617 ± 0\.018\s+0\.635/);
    expect(list.stdout).toMatch(/^\s+2026-11-23\.3\s+2026-11-23 19:37\s+15\s+0\.609 ± 0\.014\s+0\.626/m);
    const json = JSON.parse((await run(['models', 'list', '--json', '--models', models.dir])).stdout) as { production: { version: string }; versions: unknown[] };
    expect(json.production.version).toBe(PRODUCTION);
    expect(json.versions).toHaveLength(2);

    const promote = await run(['models', 'promote', OLDER, '--by', 'alice', '--reason', 'A/B', '--models', models.dir]);
    expect(promote.code).toBe(0);
    expect(promote.stdout).toContain(`promoted ${OLDER} (production was ${PRODUCTION})`);
    expect((await run(['models', 'history', '--models', models.dir])).stdout).toMatch(new RegExp(`promote\\s+${PRODUCTION} → ${OLDER}\\s+by alice: A/B`));
    const rollback = await run(['models', 'rollback', '--json', '--models', models.dir]);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ changed: true, action: 'rollback', from: OLDER, to: PRODUCTION });
  });

  it('a refused promotion exits 1 with the code and says production stays', async () => {
    await copyVersion(models.dir, OLDER, NEW);
    await truncate(join(models.dir, NEW, MODEL_FILE), 4_096);
    const { code, stderr } = await run(['models', 'promote', NEW, '--models', models.dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^behealthy models: refused to promote 2026-12-09\.1 \(production stays 2026-12-02\.1\): .*does not match its model card.*\[NER_ERR_MODEL_CHECKSUM\]\n$/);
    const verify = await run(['models', 'list', '--verify', '--models', models.dir]);
    expect(verify.stdout).toMatch(/2026-12-09\.1\s.*NER_ERR_MODEL_CHECKSUM/);
  });

  it('usage errors', async () => {
    expect((await run(['models', 'promote'])).code).toBe(2);
    expect((await run(['models', 'demote', 'x'])).code).toBe(2);
  });
});
