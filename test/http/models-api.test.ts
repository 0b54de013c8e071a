import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startApi, type RunningApi } from '../../src/http/start-api.js';
import { promoteVersion } from '../../src/registry/model-registry.js';
import { MODEL_FILE, setProductionVersion } from '../../src/registry/model-store.js';
import { copyShippedModels, copyVersion, OLDER, PRODUCTION } from '../helpers/models-dir.js';

const NEW = '2026-12-01.1';

interface ModelsBody {
  production: { version: string | null; promotedAt: string | null };
  versions: { version: string; production: boolean; templates: number | null; cvStrictMicroF1: { mean: number; sd: number } | null; testStrictMicroF1: number | null; created: string | null }[];
  processes: { pid: number; version: string; hotReload: boolean; refused: { version: string | null; code: string } | null }[];
  history: { action: string; from: string | null; to: string; by: string }[];
}

/** The real server (one process) on a temporary models directory: GET /v1/models, and hot reload as it serves. */
describe('GET /v1/models and hot reload in a serving process', () => {
  let models: Awaited<ReturnType<typeof copyShippedModels>>;
  let api: RunningApi;
  const extract = async (): Promise<{ status: number; version: string }> => {
    const response = await fetch(`${api.url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Asthma was treated with salbutamol.' }) });
    return { status: response.status, version: ((await response.json()) as { modelVersion: string }).modelVersion };
  };
  const getModels = async (): Promise<ModelsBody> => (await (await fetch(`${api.url}/v1/models`)).json()) as ModelsBody;

  beforeAll(async () => {
    models = await copyShippedModels();
    // A long poll: these tests drive the checks themselves (the watch may still beat them to it).
    api = await startApi({ ...loadConfig({ LOG_LEVEL: 'silent' }), port: 0, modelDir: models.dir, modelReloadPollMs: 600_000 });
  });
  afterAll(async () => {
    await api?.close();
    await models?.remove();
  });

  it('lists the versions with their card summaries, the production version and what this process serves', async () => {
    const body = await getModels();
    expect(body.production).toEqual({ version: PRODUCTION, promotedAt: '2026-11-23T19:37:01.418Z' });
    expect(body.versions.map((v) => [v.version, v.production, v.templates])).toEqual([
      [OLDER, false, 15],
      [PRODUCTION, true, 15],
    ]);
    expect(body.versions[0]?.cvStrictMicroF1?.mean).toBeCloseTo(0.6087, 4);
    expect(body.versions[1]?.cvStrictMicroF1?.mean).toBeCloseTo(0.6171, 4);
    expect(body.versions[1]?.testStrictMicroF1).toBeCloseTo(0.6354, 4);
    expect(body.processes).toEqual([expect.objectContaining({ pid: process.pid, version: PRODUCTION, hotReload: true, refused: null })]);
    expect(body.history).toEqual([]);
    expect(((await (await fetch(`${api.url}/docs/json`)).json()) as { paths: Record<string, unknown> }).paths).toHaveProperty('/v1/models');
  });

  it('switches to a promoted version without a restart: records, /ready, /v1/models and the metrics follow', async () => {
    expect(await extract()).toEqual({ status: 200, version: PRODUCTION });
    await promoteVersion(models.dir, OLDER, { by: 'test' });
    await api.reloader?.check();
    expect(await extract()).toEqual({ status: 200, version: OLDER });
    expect(((await (await fetch(`${api.url}/ready`)).json()) as { model: { version: string } }).model.version).toBe(OLDER);
    const body = await getModels();
    expect(body.production.version).toBe(OLDER);
    expect(body.processes[0]?.version).toBe(OLDER);
    expect(body.history).toEqual([expect.objectContaining({ action: 'promote', from: PRODUCTION, to: OLDER, by: 'test' })]);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/^behealthy_model_reloads_total 1$/m);
    expect(metrics).toMatch(new RegExp(`^behealthy_model_info\\{version="${OLDER.replace(/\./g, '\\.')}"\\} 1$`, 'm'));
    expect(metrics).not.toContain(`behealthy_model_info{version="${PRODUCTION}"}`);
    expect(metrics).toMatch(/^behealthy_model_reload_refused 0$/m);
  });

  it('refuses a pointer to a broken version: the old model keeps serving, the refusal is counted and shown', async () => {
    await copyVersion(models.dir, PRODUCTION, NEW);
    await truncate(join(models.dir, NEW, MODEL_FILE), 4_096);
    await setProductionVersion(models.dir, NEW); // bypasses the registry's verification, as a hand edit would
    expect(await api.reloader?.check()).toBe('refused');
    for (let i = 0; i < 5; i++) expect(await extract()).toEqual({ status: 200, version: OLDER });
    const body = await getModels();
    expect(body.production.version).toBe(NEW);
    expect(body.processes[0]).toMatchObject({ version: OLDER, refused: { version: NEW, code: 'NER_ERR_MODEL_CHECKSUM' } });
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/^behealthy_model_reload_refusals_total\{code="NER_ERR_MODEL_CHECKSUM"\} 1$/m);
    expect(metrics).toMatch(/^behealthy_model_reloads_total 1$/m);
    expect(metrics).toMatch(/^behealthy_model_reload_refused 1$/m);
  });

  it('a server started on a fixed version (serve --model) does not follow the pointer', async () => {
    const pinned = await startApi({ ...loadConfig({ LOG_LEVEL: 'silent' }), port: 0, modelDir: models.dir }, { modelVersion: PRODUCTION });
    try {
      expect(pinned.reloader).toBeUndefined();
      const body = (await (await fetch(`${pinned.url}/v1/models`)).json()) as ModelsBody;
      expect(body.processes[0]).toMatchObject({ version: PRODUCTION, hotReload: false });
    } finally {
      await pinned.close();
    }
  });
});
