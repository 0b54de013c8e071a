import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/tune.js';
import { DEFAULT_TRAINING_PARAMETERS } from '../../src/core/tagger/crfsuite-binding.js';
import { DEFAULT_TEMPLATES, TEMPLATE_LIBRARY } from '../../src/core/tagger/feature-templates.js';
import { isNerError } from '../../src/errors.js';
import {
  configKey, CoordinateSearch, describeChange, estimateFinish, estimateFoldSeconds, searchSpace, type TrialConfig,
} from '../../src/training/tune-search.js';

const LIBRARY = TEMPLATE_LIBRARY.map((t) => t.name);
const incumbent: TrialConfig = {
  templates: [...DEFAULT_TEMPLATES],
  labelEncoding: 'BIO',
  spanRules: ['abbreviation-after'],
  parameters: { ...DEFAULT_TRAINING_PARAMETERS },
};
const noClusters = (t: string): boolean => t !== 'cluster';

describe('tune search space', () => {
  it('adds library templates not shipped (never pos; none whose resources are missing), removes the weakest', () => {
    const space = searchSpace(incumbent, LIBRARY, noClusters);
    expect(space.addable[0]).toBe('pos-notes-wide');
    expect(space.addable).not.toContain('pos');
    expect(space.addable).not.toContain('cluster');
    expect(space.addable.some((t) => DEFAULT_TEMPLATES.includes(t))).toBe(false);
    expect(space.removable.slice(0, 2)).toEqual(['stem', 'cues']);
  });
});

describe('coordinate search', () => {
  const start = (): CoordinateSearch => new CoordinateSearch(incumbent, searchSpace(incumbent, LIBRARY, noClusters), 42);
  const take = (search: CoordinateSearch): string => {
    const [first] = search.proposals();
    if (!first) throw new Error('no proposal');
    search.started(first);
    return describeChange(incumbent, first.config);
  };

  it('tries the incumbent first, then one change at a time, each dimension in turn', () => {
    const search = start();
    expect(take(search)).toBe('incumbent');
    expect([take(search), take(search), take(search), take(search), take(search), take(search)]).toEqual([
      'c1 0.1', '+pos-notes-wide', 'c2 0.0333', 'IO', '-stem', 'iterations 100',
    ]);
    expect(take(search)).toBe('c1 0.025');
  });

  it('never proposes a configuration twice', () => {
    const search = start();
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const [proposal] = search.proposals();
      if (!proposal) break;
      const key = configKey(proposal.config);
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      search.started(proposal);
    }
    expect(seen.size).toBe(60);
  });

  it('moves from a better configuration, repeating the move that improved', () => {
    const search = start();
    const [first] = search.proposals();
    search.started(first as never);
    search.completed(incumbent, 0.6);
    const [c1Up] = search.proposals();
    search.started(c1Up as never);
    expect(search.completed(c1Up?.config as TrialConfig, 0.61)).toBe(true);
    expect(search.best.parameters.c1).toBe(0.1);
    // The pattern step: c1 doubled again, from the new best.
    expect(describeChange(incumbent, search.proposals()[0]?.config as TrialConfig)).toBe('c1 0.2');
    // A worse or equal result does not move the centre.
    expect(search.completed(incumbent, 0.61)).toBe(false);
    expect(search.best.parameters.c1).toBe(0.1);
  });

  it('falls back to seeded random configurations when every one-step move is tried', () => {
    const tiny: TrialConfig = { ...incumbent, templates: ['lower'] };
    const space = { ...searchSpace(tiny, ['lower'], () => true), iterations: { min: 150, max: 150 } };
    const run = (): string[] => {
      const search = new CoordinateSearch(tiny, space, 7);
      const names: string[] = [];
      for (let i = 0; i < 9; i++) {
        const [p] = search.proposals();
        if (!p) break;
        search.started(p);
        names.push(`${p.dimension}:${describeChange(tiny, p.config)}`);
      }
      return names;
    };
    const names = run();
    expect(names.slice(0, 6).map((n) => n.split(':')[0])).toEqual(['random', 'c1', 'c2', 'encoding', 'c1', 'c2']);
    expect(names.slice(6).every((n) => n.startsWith('random:'))).toBe(true);
    expect(run()).toEqual(names);
  });
});

describe('tune time estimates', () => {
  it('scales the seconds per iteration seen so far, with a margin', () => {
    expect(estimateFoldSeconds([], incumbent)).toBeNull();
    const observed = [{ iterations: 150, seconds: 15 }, { iterations: 150, seconds: 21 }, { iterations: 100, seconds: 10 }];
    const estimate = estimateFoldSeconds(observed, { ...incumbent, parameters: { ...incumbent.parameters, maxIterations: 300 } });
    expect(estimate).toBeCloseTo(0.1 * 300 * 1.15, 6);
  });

  it('schedules folds on the slot free first', () => {
    // Two slots, one busy for 30 s more: 5 folds of 20 s, three on the free slot (to 60), two on the other (to 70).
    expect(estimateFinish([0, 30], 5, 20)).toBe(70);
    expect(estimateFinish([0, 10], 5, 20)).toBe(60);
    expect(estimateFinish([0, 0], 5, 20)).toBe(60);
    expect(estimateFinish([0], 2, 5)).toBe(10);
  });

  it('reads budgets as durations', () => {
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('1m30s')).toBe(90);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('45')).toBe(45);
    for (const bad of ['ten minutes', '10x', '0', '']) expect(isNerError((() => { try { parseDuration(bad); } catch (e) { return e; } })(), 'NER_ERR_CLI_USAGE')).toBe(true);
  });
});
