import { describe, expect, it } from 'vitest';
import { workerEnv, workerExecArgv } from '../../src/http/api-cluster.js';

describe('workerExecArgv', () => {
  it('gives workers single-threaded GC when they fill the cores, keeping the flags node was started with', () => {
    expect(workerExecArgv(['--enable-source-maps'], 2, 2)).toEqual(['--enable-source-maps', '--single-threaded-gc']);
    expect(workerExecArgv([], 4, 2)).toEqual(['--single-threaded-gc']);
  });

  it('leaves GC threads alone when cores are free, or when the operator chose', () => {
    expect(workerExecArgv([], 2, 8)).toEqual([]);
    expect(workerExecArgv(['--no-single-threaded-gc'], 2, 2)).toEqual(['--no-single-threaded-gc']);
    expect(workerExecArgv(['--single-threaded-gc'], 2, 2)).toEqual(['--single-threaded-gc']);
  });

  it('starts workers with the API heap limit and 8 MB semi-spaces unless node was given its own', () => {
    expect(workerExecArgv([], 2, 8, 256)).toEqual(['--max-old-space-size=256', '--max-semi-space-size=8']);
    expect(workerExecArgv([], 2, 2, 256)).toEqual(['--single-threaded-gc', '--max-old-space-size=256', '--max-semi-space-size=8']);
    expect(workerExecArgv(['--max-old-space-size=512'], 2, 8, 256)).toEqual(['--max-old-space-size=512', '--max-semi-space-size=8']);
    expect(workerExecArgv(['--max-semi-space-size=4'], 2, 8, 256)).toEqual(['--max-semi-space-size=4', '--max-old-space-size=256']);
    expect(workerExecArgv([], 2, 8, 0)).toEqual([]);
  });
});

describe('workerEnv', () => {
  it("gives the workers glibc malloc's arena and trim settings, unless the deployment sets its own", () => {
    expect(workerEnv({})).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' });
    expect(workerEnv({ MALLOC_ARENA_MAX: '4' })).toEqual({ MALLOC_TRIM_THRESHOLD_: '131072' });
    expect(workerEnv({ MALLOC_ARENA_MAX: '4', MALLOC_TRIM_THRESHOLD_: '0' })).toEqual({});
  });
});
