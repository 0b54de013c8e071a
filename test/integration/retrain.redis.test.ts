import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { DEFAULT_TRAINING_PARAMETERS } from '../../src/core/tagger/crfsuite-binding.js';
import { readAnnotationsJsonl } from '../../src/corpus/jsonl-annotations.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { lastRetrainKey, queueRetrain, retrainIfEnoughCorrections, retrainOnDrift, startTrainWorker, trainQueue } from '../../src/queue/train-queue.js';
import { TRAIN_QUEUE } from '../../src/queue/queues.js';
import { promoteVersion } from '../../src/registry/model-registry.js';
import { readProductionVersion } from '../../src/registry/model-store.js';
import { listRuns } from '../../src/registry/runs.js';
import type { CorrectionStore } from '../../src/store/correction-store.js';
import { decidePromotion, retrain, type CorrectedNote } from '../../src/training/retrain.js';
import { trainModelVersion } from '../../src/training/train-model-version.js';
import { services, uniqueName } from '../helpers/services.js';

const SAMPLE_DIR = join(PROJECT_ROOT, 'corpus', 'sample');

describe('retraining decision', () => {
  it('promotes a challenger that is not worse than the champion by more than the margin', () => {
    const champion = { mean: 0.6, sd: 0.01, perFold: [] };
    expect(decidePromotion(champion, { mean: 0.61, sd: 0, perFold: [] }, 0.005).promote).toBe(true);
    expect(decidePromotion(champion, { mean: 0.596, sd: 0, perFold: [] }, 0.005)).toMatchObject({ promote: true, reason: expect.stringMatching(/^not worse/) });
    expect(decidePromotion(champion, { mean: 0.594, sd: 0, perFold: [] }, 0.005)).toMatchObject({ promote: false, reason: expect.stringMatching(/^worse by more than the margin/) });
  });
});

describe('retrain (sample corpus, hand-written corrections)', () => {
  let dir: string;
  let corrections: CorrectedNote[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retrain-'));
    await trainModelVersion({
      corpusDir: SAMPLE_DIR, lexiconDir: join(dir, 'none'), notesFile: join(dir, 'none.csv'), modelDir: join(dir, 'models'),
      spec: { templates: ['lower', 'suffix', 'shape'], spanRules: [], labelEncoding: 'BIO', parameters: { ...DEFAULT_TRAINING_PARAMETERS, maxIterations: 20 } },
      folds: 2, seed: 7, evaluateTest: true, entityBias: { D: 0, T: 0 }, version: 'rt.1',
    });
    await promoteVersion(join(dir, 'models'), 'rt.1', { by: 'test' });
    corrections = (await readAnnotationsJsonl(join(SAMPLE_DIR, 'notes.jsonl'))).notes.map((n) => ({ noteId: n.id, text: n.text, entities: n.entities }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const request = (margin: number) => ({
    corpusDir: SAMPLE_DIR, lexiconDir: join(dir, 'none'), notesFile: join(dir, 'none.csv'), modelDir: join(dir, 'models'), runsDir: join(dir, 'runs'),
    corrections, margin, trigger: 'manual' as const, by: 'test',
  });

  it('compares champion and challenger on the same folds, trains the challenger, and promotes it within the margin', async () => {
    const outcome = await retrain(request(1));
    expect(outcome.comparison).toMatchObject({ champion: { version: 'rt.1' }, folds: 2, seed: 7, promote: true });
    expect(outcome.comparison?.champion.cv.perFold).toHaveLength(2);
    expect(outcome.comparison?.challenger.correctionNotes).toBe(corrections.length);
    expect(outcome.promoted).toBe(true);
    expect(await readProductionVersion(join(dir, 'models'))).toBe(outcome.challengerVersion);
    const card = JSON.parse(await readFile(join(dir, 'models', outcome.challengerVersion as string, 'model-card.json'), 'utf8'));
    expect(card.data.split).toBe('train+corrections');
    expect(card.data.files.map((f: { path: string }) => f.path)).toContain('corrections');
    expect(typeof outcome.test.challenger).toBe('number');
    const [run] = await listRuns(join(dir, 'runs'), { kind: 'retrain' });
    expect(run).toMatchObject({ id: outcome.runId, modelVersion: outcome.challengerVersion, details: { promoted: true, trigger: 'manual', champion: 'rt.1' } });
  });

  it('keeps production when the challenger is worse than the margin allows, and records the decision', async () => {
    const before = await readProductionVersion(join(dir, 'models'));
    // A negative margin asks the challenger to beat the champion by that much: here by 1.0 of F1, which it cannot.
    const outcome = await retrain(request(-1));
    expect(outcome.promoted).toBe(false);
    expect(outcome.reason).toMatch(/stays production/);
    expect(await readProductionVersion(join(dir, 'models'))).toBe(before);
    const runs = await listRuns(join(dir, 'runs'), { kind: 'retrain' });
    expect(runs.at(-1)).toMatchObject({ id: outcome.runId, details: { promoted: false } });
  });
});

describe('train queue triggers (real Redis)', () => {
  const prefix = uniqueName('train');
  const redis = createRedisConnection(services.redisUrl, { forBullmq: true });
  let queue: Queue;
  beforeAll(() => {
    queue = trainQueue(redis, prefix);
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.del(lastRetrainKey(prefix));
    redis.disconnect();
  });

  it('queues one retraining per trigger at a time: on a drift verdict of retrain, and once enough corrections arrived', async () => {
    expect(await retrainOnDrift(queue, '2026-03-04', { level: 'watch', score: 0.03 })).toBe(false);
    expect(await retrainOnDrift(queue, '2026-03-04', { level: 'alert', score: 0.2 })).toBe(false);
    expect(await retrainOnDrift(queue, '2026-03-04', { level: 'retrain', score: 0.06 })).toBe(true);
    expect(await retrainOnDrift(queue, '2026-03-05', { level: 'retrain', score: 0.07 })).toBe(false);
    let stored = 3;
    const corrections = { countSince: async () => stored } as unknown as CorrectionStore;
    expect(await retrainIfEnoughCorrections({ queue, redis, prefix, corrections, threshold: 5 })).toEqual({ corrections: 3, queued: false });
    stored = 5;
    expect(await retrainIfEnoughCorrections({ queue, redis, prefix, corrections, threshold: 5 })).toEqual({ corrections: 5, queued: true });
    expect(await queueRetrain(queue, 'manual', 'by hand')).toBe(true);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.data.trigger).sort()).toEqual(['corrections', 'drift', 'manual']);
  });

  it('a worker runs the queued retrainings one at a time and notes when the last one finished', async () => {
    const seen: string[] = [];
    const worker = startTrainWorker({ connection: redis, prefix, logger: pino({ level: 'silent' }), retrain: async (data) => void seen.push(data.trigger) });
    try {
      for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen.sort()).toEqual(['corrections', 'drift', 'manual']);
      const finished = await redis.get(lastRetrainKey(prefix));
      expect(Date.now() - new Date(finished as string).getTime()).toBeLessThan(30_000);
      expect(TRAIN_QUEUE).toBe('train');
    } finally {
      await worker.close();
    }
  });
});
