import { describe, expect, it } from 'vitest';
import { extract, extractInSteps } from '../../src/core/extract.js';
import { createExtractor } from '../../src/extractor.js';
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
