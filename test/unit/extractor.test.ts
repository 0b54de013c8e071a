import { describe, expect, it } from 'vitest';
import { extract, extractInSteps } from '../../src/core/extract.js';
import { characterBudget, createExtractor } from '../../src/extractor.js';
import { createServiceMetrics } from '../../src/monitoring/metrics.js';
import { dictionaryTagger } from '../helpers/test-app.js';

const LONG_NOTE = Array.from({ length: 200 }, (_, i) => `Visit ${i}: asthma treated with azithromycin.`).join('\n');

describe('extractInSteps', () => {
  it('pauses after every step of tokens and ends with the same record as extract()', () => {
    const steps = extractInSteps(LONG_NOTE, dictionaryTagger, { noteId: 'n', tokensPerStep: 50 });
    let pauses = 0;
    let step = steps.next();
    while (!step.done) {
      pauses++;
      step = steps.next();
    }
    expect(step.value.tokens).toBe(200 * 8);
    expect(pauses).toBe(Math.ceil(1_600 / 56) - 1);
    expect(step.value.record).toEqual(extract(LONG_NOTE, dictionaryTagger, 'n'));
  });

  it('does not pause on a note shorter than a step', () => {
    const steps = extractInSteps('Asthma.', dictionaryTagger, { tokensPerStep: 50 });
    expect(steps.next().done).toBe(true);
  });
});

describe('createExtractor', () => {
  it('lets other work run between slices of a long note', async () => {
    const extractor = createExtractor(dictionaryTagger, undefined, 100);
    const events: string[] = [];
    const other = new Promise<void>((resolve) => setImmediate(() => { events.push('other'); resolve(); }));
    const record = extractor.extract(LONG_NOTE).then((r) => { events.push('note'); return r; });
    await Promise.all([other, record]);
    expect(events).toEqual(['other', 'note']);
    expect((await record).entities).toHaveLength(400);
  });

  it('tags a note in one go when slicing is off', async () => {
    const extractor = createExtractor(dictionaryTagger);
    const events: string[] = [];
    const other = new Promise<void>((resolve) => setImmediate(() => { events.push('other'); resolve(); }));
    await extractor.extract(LONG_NOTE).then(() => events.push('note'));
    await other;
    expect(events).toEqual(['note', 'other']);
  });

  it('counts notes, tokens, entities by type and extraction time, and reports the model version', async () => {
    const metrics = createServiceMetrics({ processMetrics: false });
    const extractor = createExtractor(dictionaryTagger, metrics, 100);
    await extractor.extract(LONG_NOTE);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/behealthy_tokens_total 1600/);
    expect(text).toMatch(/behealthy_entities_total\{type="disease"\} 200/);
    expect(text).toMatch(/behealthy_entities_total\{type="treatment"\} 200/);
    expect(text).toMatch(/behealthy_extraction_duration_seconds_count 1/);
    expect(text).toMatch(/behealthy_model_info\{version="dictionary-1"\} 1/);
    expect(extractor.modelVersion).toBe('dictionary-1');
  });
});

describe('characterBudget', () => {
  const gate = () => {
    let open: () => void = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  };

  it('admits work while its characters fit, the rest in arrival order as room is made', async () => {
    const budget = characterBudget(100);
    const started: string[] = [];
    const a = gate();
    const b = gate();
    const c = gate();
    const runs = [
      budget.run(60, async () => { started.push('a'); await a.opened; }),
      budget.run(40, async () => { started.push('b'); await b.opened; }),
      budget.run(50, async () => { started.push('c'); await c.opened; }),
      budget.run(10, async () => { started.push('d'); }),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    expect({ started: [...started], inFlight: budget.inFlight, waiting: budget.waiting }).toEqual({ started: ['a', 'b'], inFlight: 100, waiting: 2 });
    // d would fit once c is in, but waits its turn behind c: first come, first served.
    a.open();
    await runs[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    b.open();
    c.open();
    await Promise.all(runs);
    expect(budget.inFlight).toBe(0);
  });

  it('runs a piece larger than the whole budget alone, and gives its room back when it throws', async () => {
    const budget = characterBudget(100);
    const big = gate();
    const running = budget.run(500, () => big.opened);
    let smallStarted = false;
    const small = budget.run(1, async () => {
      smallStarted = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(smallStarted).toBe(false);
    big.open();
    await Promise.all([running, small]);
    expect(smallStarted).toBe(true);
    await expect(budget.run(50, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(budget.inFlight).toBe(0);
  });

  it('bounds the notes an extractor works on at once (EXTRACT_MAX_CHARS_IN_FLIGHT)', async () => {
    // Sliced notes interleave; with room for one long note at a time, the second starts after the first ends.
    const extractor = createExtractor(dictionaryTagger, undefined, 100, LONG_NOTE.length);
    const order: string[] = [];
    await Promise.all([
      extractor.extract(LONG_NOTE, 'first').then(() => order.push('first')),
      extractor.extract(LONG_NOTE, 'second').then(() => order.push('second')),
      extractor.extract('Asthma.', 'short').then(() => order.push('short')),
    ]);
    expect(order).toEqual(['first', 'second', 'short']);
    const unbounded = createExtractor(dictionaryTagger, undefined, 100);
    const interleaved: string[] = [];
    await Promise.all([
      unbounded.extract(LONG_NOTE, 'first').then(() => interleaved.push('first')),
      unbounded.extract('Asthma.', 'short').then(() => interleaved.push('short')),
    ]);
    expect(interleaved).toEqual(['short', 'first']);
  });
});
