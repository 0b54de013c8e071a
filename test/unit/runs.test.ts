import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AveragedReport, Prf, SpanScores, TokenScores } from '../../src/core/evaluation/evaluation.js';
import { averageReports } from '../../src/core/evaluation/evaluation.js';
import { DEFAULT_TEMPLATES } from '../../src/core/tagger/feature-templates.js';
import { formatComparison, formatRun, formatRunsTable, trainCommandOf } from '../../src/cli/runs-format.js';
import { isNerError } from '../../src/errors.js';
import { compareRuns, pairedDelta, templateSetName } from '../../src/training/run-records.js';
import { createRunId, listRuns, readRun, recordRun, resolveRunId, type Run, type RunCrossValidation } from '../../src/registry/runs.js';

const prf = (f1: number): Prf => ({ precision: f1, recall: f1, f1, support: 100 });
const spans = (f1: number): SpanScores => ({ disease: prf(f1 + 0.02), treatment: prf(f1 - 0.02), micro: prf(f1) });
const tokens = (f1: number): TokenScores => ({ D: prf(f1), T: prf(f1), O: prf(0.95), weighted: prf(0.93), accuracy: 0.93 });

function crossValidation(foldF1: number[], seed = 42): RunCrossValidation {
  const reports = foldF1.map((f1) => ({ strict: spans(f1), partial: spans(f1 + 0.15), token: tokens(f1), confusion: { labels: [], matrix: [] }, errors: [] }));
  const mean: AveragedReport = averageReports(reports);
  return {
    folds: foldF1.length,
    seed,
    perFold: foldF1.map((f1, fold) => ({ fold, seconds: 20, strict: spans(f1), partial: spans(f1 + 0.15), token: tokens(f1) })),
    mean,
    entityBiasSearch: [{ entityBias: { D: 0.25, T: 0.25 }, strictMicroF1: mean.strict.micro.f1 }],
  };
}

function fakeRun(overrides: Partial<Run> & { id: string }): Run {
  return {
    schemaVersion: 1,
    kind: 'train',
    status: 'completed',
    name: 'a run',
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: '2026-12-01T10:02:30.000Z',
    durationSeconds: 150,
    parentId: null,
    parameters: {
      c1: 0.05, c2: 0.1, iterations: 150, labelEncoding: 'BIO', entityBias: { D: 0.25, T: 0.25 }, entityBiasMode: 'auto',
      spanRules: ['abbreviation-after'], possibleTransitions: true, possibleStates: false,
    },
    templates: [...DEFAULT_TEMPLATES],
    data: { corpus: 'behealthy', split: 'train', sentences: 2599, tokens: 45902, files: [{ path: 'train_sent', sha256: 'a'.repeat(64) }], sha256: 'b'.repeat(64) },
    crossValidation: crossValidation([0.6, 0.61, 0.62]),
    test: null,
    modelVersion: null,
    gitCommit: 'c0ffee',
    environment: { node: 'v20.0.0', crfsuite: '1.0.1', natural: '8.1.1', compromise: '14.17.0' },
    ...overrides,
  };
}

describe('runs folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes ids that sort by time and are safe file names', () => {
    const a = createRunId(new Date('2026-12-01T09:59:59.999Z'));
    const b = createRunId(new Date('2026-12-01T10:00:00.000Z'));
    expect(a).toMatch(/^20261201T095959999Z-[0-9a-f]{6}$/);
    expect([b, a].sort()).toEqual([a, b]);
  });

  it('records, reads back and lists runs oldest first, filtered by kind', async () => {
    const first = fakeRun({ id: createRunId(new Date('2026-12-01T10:00:00Z')) });
    const second = fakeRun({ id: createRunId(new Date('2026-12-01T11:00:00Z')), kind: 'tune-trial', parentId: 'x' });
    await recordRun(dir, second);
    await recordRun(dir, first);
    expect(await readRun(dir, first.id)).toEqual(first);
    expect((await listRuns(dir)).map((r) => r.id)).toEqual([first.id, second.id]);
    expect((await listRuns(dir, { kind: 'tune-trial' })).map((r) => r.id)).toEqual([second.id]);
    // Written atomically: no staging file is left behind.
    expect((await readdir(dir)).sort()).toEqual([`${first.id}.json`, `${second.id}.json`]);
  });

  it('lists nothing from a folder that does not exist', async () => {
    expect(await listRuns(join(dir, 'missing'))).toEqual([]);
  });

  it('answers an unknown id, an ambiguous prefix and a path with NER_ERR_RUN_NOT_FOUND', async () => {
    const run = fakeRun({ id: '20261201T100000000Z-aaaaaa' });
    await recordRun(dir, run);
    await recordRun(dir, fakeRun({ id: '20261201T100000000Z-bbbbbb' }));
    expect(await resolveRunId(dir, '20261201T100000000Z-a')).toBe(run.id);
    for (const ref of ['nope', '20261201T1000']) {
      const error = await resolveRunId(dir, ref).catch((e: unknown) => e);
      expect(isNerError(error, 'NER_ERR_RUN_NOT_FOUND')).toBe(true);
    }
    expect(((await resolveRunId(dir, '20261201T1000').catch((e: Error) => e)) as Error).message).toContain('matches 2 runs');
    for (const id of ['missing-run', '../etc/passwd']) {
      const error = await readRun(dir, id).catch((e: unknown) => e);
      expect(isNerError(error, 'NER_ERR_RUN_NOT_FOUND')).toBe(true);
    }
  });

  it('reports a bad run file with NER_ERR_RUN_INVALID, or skips it when asked', async () => {
    await recordRun(dir, fakeRun({ id: 'good' }));
    await writeFile(join(dir, 'broken.json'), '{ not json');
    await writeFile(join(dir, 'partial.json'), JSON.stringify({ schemaVersion: 1, id: 'partial', kind: 'train' }));
    const error = await listRuns(dir).catch((e: unknown) => e);
    expect(isNerError(error, 'NER_ERR_RUN_INVALID')).toBe(true);
    const skipped: string[] = [];
    expect((await listRuns(dir, { onInvalid: (file) => skipped.push(file) })).map((r) => r.id)).toEqual(['good']);
    expect(skipped.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['broken.json', 'partial.json']);
    expect(isNerError(await readRun(dir, 'broken').catch((e: unknown) => e), 'NER_ERR_RUN_INVALID')).toBe(true);
  });
});

describe('comparing runs', () => {
  const a = fakeRun({ id: 'a', crossValidation: crossValidation([0.6, 0.61, 0.62]) });
  const b = fakeRun({
    id: 'b',
    kind: 'tune-trial',
    parameters: { ...a.parameters, c1: 0.1, labelEncoding: 'IO' },
    templates: [...DEFAULT_TEMPLATES.filter((t) => t !== 'stem'), 'pos-notes-wide'],
    crossValidation: crossValidation([0.62, 0.6, 0.65]),
  });

  it('lists the parameters that differ, the templates added and removed, and metric deltas per type', () => {
    const c = compareRuns(a, b);
    expect(c.differences.map((d) => [d.name, d.a, d.b])).toEqual([
      ['kind', 'train', 'tune-trial'],
      ['c1', '0.05', '0.1'],
      ['label encoding', 'BIO', 'IO'],
    ]);
    expect(c.templatesAdded).toEqual(['pos-notes-wide']);
    expect(c.templatesRemoved).toEqual(['stem']);
    const micro = c.crossValidation.find((m) => m.level === 'strict' && m.type === 'micro');
    expect(micro?.delta).toBeCloseTo(0.0133, 4);
    expect(c.crossValidation.map((m) => `${m.level} ${m.type}`)).toEqual([
      'strict disease', 'strict treatment', 'strict micro', 'partial disease', 'partial treatment', 'partial micro', 'token weighted',
    ]);
    expect(c.paired).toMatchObject({ better: 2, folds: 3 });
    expect(c.paired?.mean).toBeCloseTo(0.0133, 4);
    expect(c.test).toEqual([]);
    const text = formatComparison(c);
    expect(text).toContain('label encoding');
    expect(text).toContain('+pos-notes-wide, -stem');
    expect(text).toContain('strict micro fold by fold, b − a: +0.0133');
  });

  it('compares fold by fold only on the same folds', () => {
    expect(pairedDelta(crossValidation([0.5, 0.6]), crossValidation([0.5, 0.6], 7))).toBeNull();
    expect(compareRuns(a, fakeRun({ id: 'c', crossValidation: crossValidation([0.5, 0.6]) })).paired).toBeNull();
  });

  it('names template sets by their change from the shipped set', () => {
    expect(templateSetName(DEFAULT_TEMPLATES)).toBe('default');
    expect(templateSetName([...DEFAULT_TEMPLATES.filter((t) => t !== 'stem'), 'wide'])).toBe('default-stem+wide');
    expect(templateSetName(['lower', 'suffix'])).toBe('lower,suffix');
    expect(templateSetName(['lower', 'suffix', 'shape', 'flags', 'wide', 'pos'])).toBe('custom');
  });

  it('prints a table row per run and a run in full', () => {
    const tune = fakeRun({ id: 't', kind: 'tune', tune: {
      budgetSeconds: 600, maxTrials: null, concurrency: 2, incumbent: { modelVersion: 'v1', runId: 'a', cvStrictMicroF1: { mean: 0.61, sd: 0.01 }, cardCvStrictMicroF1: null },
      trials: [], best: { runId: 'b', name: 'c1 0.1', cvStrictMicroF1: { mean: 0.62, sd: 0.02 } }, stopReason: 'budget reached', atBudget: 'cancelled',
      resources: { reusedFrom: 'v1', built: [] }, trainedRunId: null, promoted: false,
    } });
    const table = formatRunsTable([a, b, tune]);
    expect(table.split('\n')).toHaveLength(5);
    expect(table).toContain('0.6100 ± 0.0100');
    expect(table).toContain('15 default');
    expect(table).toContain('best: c1 0.1');
    const shown = formatRun(b);
    expect(shown).toContain('c1 0.1, c2 0.1, iterations 150, IO');
    expect(shown).toContain('train_sent');
    expect(shown).toContain('crfsuite 1.0.1, natural 8.1.1, compromise 14.17.0');
    expect(trainCommandOf(b)).toBe(
      `behealthy train --templates ${b.templates.join(',')} --encoding IO --c1 0.1 --c2 0.1 --iterations 150 --span-rules abbreviation-after --entity-bias auto --folds 3 --seed 42`,
    );
  });
});
