import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promoteVersion } from '../../src/registry/model-registry.js';
import { watchProductionModel, type ModelRefusal, type ModelReloader, type ModelReloaderOptions } from '../../src/registry/model-reloader.js';
import { loadModel, MODEL_FILE, PRODUCTION_POINTER, setProductionVersion, sha256, type LoadedModel } from '../../src/registry/model-store.js';
import { writeSampleModelsDir } from '../helpers/sample-model.js';

/**
 * The reloader on two small models (the sample model saved as two versions), so that loads take
 * milliseconds: it follows the production pointer, and refuses what does not verify.
 */
const V1 = '2026-01-01.1';
const V2 = '2026-01-01.2';

async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('model reloader', () => {
  let dir: string;
  let reloader: ModelReloader | undefined;
  let swaps: string[];
  let refusals: ModelRefusal[];
  let logged: { level: string; details: object; message: string }[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reloader-'));
    await writeSampleModelsDir(dir, V2);
    await writeSampleModelsDir(dir, V1); // production: V1
    swaps = [];
    refusals = [];
    logged = [];
  });
  afterEach(async () => {
    await reloader?.close();
    reloader = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(options: Partial<ModelReloaderOptions> = {}): Promise<ModelReloader> {
    const entry = (level: string) => (details: object, message: string) => void logged.push({ level, details, message });
    reloader = watchProductionModel({
      modelsDir: dir,
      initial: await loadModel(dir),
      pollMs: 60_000,
      log: { info: entry('info'), warn: entry('warn'), error: entry('error') },
      onSwap: (next) => void swaps.push(next.card.version),
      onRefused: (refusal) => void refusals.push(refusal),
      ...options,
    });
    return reloader;
  }

  it('sees a promotion through the directory watch and swaps to the verified version', async () => {
    const r = await start();
    expect(await r.check()).toBe('unchanged');
    await promoteVersion(dir, V2, { by: 'test' });
    await until('the swap', () => swaps.length > 0);
    expect(swaps).toEqual([V2]);
    expect(r.current.card.version).toBe(V2);
    expect(r.state).toMatchObject({ version: V2, refused: null });
    expect(logged.find((l) => l.message.startsWith('model reloaded'))?.details).toMatchObject({ from: V1, to: V2 });
  });

  it('without the watch, the poll picks the promotion up', async () => {
    await start({ watch: false, pollMs: 50 });
    await setProductionVersion(dir, V2);
    await until('the swap', () => swaps.length > 0);
    expect(swaps).toEqual([V2]);
  });

  it('refuses a pointer to a version that fails verification, keeps serving, and says so once', async () => {
    const r = await start({ watch: false });
    const good = await readFile(join(dir, V2, MODEL_FILE));
    await truncate(join(dir, V2, MODEL_FILE), 64);
    // As a hand edit (or a file broken after its promotion) would: the pointer moved without verification.
    await setProductionVersion(dir, V2);
    expect(await r.check()).toBe('refused');
    expect(await r.check()).toBe('refused');
    expect(r.current.card.version).toBe(V1);
    expect(swaps).toEqual([]);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ version: V2, code: 'NER_ERR_MODEL_CHECKSUM' });
    expect(r.state.refused).toMatchObject({ version: V2, code: 'NER_ERR_MODEL_CHECKSUM' });
    const errors = logged.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.details).toMatchObject({ code: 'NER_ERR_MODEL_CHECKSUM', refusedVersion: V2, servingVersion: V1 });

    // Repaired and promoted again (a new promotedAt): tried again, and swapped.
    await writeFile(join(dir, V2, MODEL_FILE), good);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await setProductionVersion(dir, V2);
    expect(await r.check()).toBe('swapped');
    expect(r.state).toMatchObject({ version: V2, refused: null });
  });

  it('refuses a foreign model file whose digest was edited to match', async () => {
    const r = await start({ watch: false });
    const bytes = Buffer.from('a text file, not a CRFsuite model');
    const cardFile = join(dir, V2, 'model-card.json');
    const card = JSON.parse(await readFile(cardFile, 'utf8')) as { files: { model: { sha256: string; bytes: number } } };
    card.files.model = { ...card.files.model, sha256: sha256(bytes), bytes: bytes.length };
    await writeFile(join(dir, V2, MODEL_FILE), bytes);
    await writeFile(cardFile, JSON.stringify(card));
    await setProductionVersion(dir, V2);
    expect(await r.check()).toBe('refused');
    expect(refusals[0]?.code).toBe('NER_ERR_MODEL_FORMAT');
    expect(r.current.card.version).toBe(V1);
  });

  it('refuses an unreadable pointer, and clears the refusal when the pointer names the serving version again', async () => {
    const r = await start({ watch: false });
    const pointer = await readFile(join(dir, PRODUCTION_POINTER));
    await writeFile(join(dir, PRODUCTION_POINTER), '{"versio');
    expect(await r.check()).toBe('refused');
    expect(refusals[0]).toMatchObject({ version: null, code: 'NER_ERR_MODEL_PRODUCTION_POINTER' });
    await writeFile(join(dir, PRODUCTION_POINTER), pointer);
    expect(await r.check()).toBe('unchanged');
    expect(r.state.refused).toBeNull();
  });

  it('concurrent checks share one load; a check during a load runs once after it', async () => {
    let loads = 0;
    const r = await start({
      watch: false,
      load: async (modelsDir, version) => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return loadModel(modelsDir, version);
      },
    });
    await r.check();
    await setProductionVersion(dir, V2);
    const outcomes = await Promise.all([r.check(), r.check(), r.check()]);
    expect(outcomes).toEqual(['swapped', 'swapped', 'swapped']);
    expect(loads).toBe(1);
  });

  it('after close() nothing is swapped, not even a load that was in progress', async () => {
    let release: (() => void) | undefined;
    const r = await start({
      watch: false,
      load: async (modelsDir, version): Promise<LoadedModel> => {
        await new Promise<void>((resolve) => (release = resolve));
        return loadModel(modelsDir, version);
      },
    });
    await r.check();
    await setProductionVersion(dir, V2);
    const pending = r.check();
    await until('the load to start', () => release !== undefined);
    const closed = r.close();
    release?.();
    expect(await pending).toBe('closed');
    await closed;
    expect(await r.check()).toBe('closed');
    expect(swaps).toEqual([]);
    expect(r.current.card.version).toBe(V1);
  });
});
