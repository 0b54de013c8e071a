import { describe, expect, it } from 'vitest';
import type { SequenceTagger } from '../../src/core/extract.js';
import { createExtractor } from '../../src/extractor.js';
import { createServiceMetrics } from '../../src/monitoring/metrics.js';
import { dictionaryTagger } from '../helpers/test-app.js';

const LONG_NOTE = Array.from({ length: 200 }, (_, i) => `Visit ${i}: asthma treated with azithromycin.`).join('\n');
const next: SequenceTagger = { ...dictionaryTagger, version: 'dictionary-2', tag: (words) => words.map(() => 'O') };

describe('a swappable extractor (hot reload)', () => {
  it('a note in flight finishes on the model it started with; the next uses the new one', async () => {
    const extractor = createExtractor(dictionaryTagger, undefined, 50);
    const inFlight = extractor.extract(LONG_NOTE);
    // The long note yields between slices: swap while it is half-way.
    await new Promise((resolve) => setImmediate(resolve));
    extractor.swap(next);
    expect(extractor.modelVersion).toBe('dictionary-2');
    const finished = await inFlight;
    expect(finished.modelVersion).toBe('dictionary-1');
    expect(finished.diseases.length).toBe(200);
    const after = await extractor.extract(LONG_NOTE);
    expect(after).toMatchObject({ modelVersion: 'dictionary-2', diseases: [] });
  });

  it('a pinned extractor keeps its model across a swap (a batch comes from one version)', async () => {
    const extractor = createExtractor(dictionaryTagger);
    const pinned = extractor.pinned();
    extractor.swap(next);
    expect(pinned.modelVersion).toBe('dictionary-1');
    expect((await pinned.extract('Asthma.')).modelVersion).toBe('dictionary-1');
    expect((await pinned.pinned().extract('Asthma.')).modelVersion).toBe('dictionary-1');
    expect((await extractor.extract('Asthma.')).modelVersion).toBe('dictionary-2');
  });

  it('the model-version gauge names the version served now, only', async () => {
    const metrics = createServiceMetrics({ processMetrics: false });
    const extractor = createExtractor(dictionaryTagger, metrics);
    extractor.swap(next);
    const gauge = await metrics.modelInfo.get();
    expect(gauge.values).toEqual([{ value: 1, labels: { version: 'dictionary-2' } }]);
  });
});
