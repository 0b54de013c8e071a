import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { collectGarbage } from '../../src/http/start-api.js';
import { extract } from '../../src/core/extract.js';
import { MAX_CACHED_WORDS } from '../../src/core/tagger/feature-encoder.js';
import { loadModel } from '../../src/registry/model-store.js';
import { servingLoadOptions } from '../../src/registry/serving-options.js';
import type { SequenceTagger } from '../../src/core/extract.js';
import { printFigure } from './attack-checks.js';

/**
 * A serving process tags open text for months: every word it has not seen (numbers, names, typos) enters the
 * per-word caches of the tagger, the router and the spelling step. Each is bounded, so the heap stops growing
 * however many distinct words arrive: 150,000 of them (three times the encoder's bound) leave the process
 * holding at most GROWTH_BOUND_MB more than before (about 1 KB a word for the encoder's 50,000, and the other
 * caches' bounds).
 */
const DISTINCT_WORDS = 150_000;
const GROWTH_BOUND_MB = 90;

describe('attack: an open vocabulary', () => {
  let model: SequenceTagger;
  beforeAll(async () => {
    const config = loadConfig();
    model = (await loadModel(config.modelDir, undefined, await servingLoadOptions(config))).model;
  }, 60_000);

  it(`keeps the heap within ${GROWTH_BOUND_MB} MB of where it started over ${DISTINCT_WORDS.toLocaleString('en')} distinct words`, () => {
    const note = 'Pt c/o fever x 3 days. Dx: viral fever. Rx: tab paracetamol 650 mg SOS. Seen with';
    extract(note, model);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let serial = 0;
    for (let n = 0; n < DISTINCT_WORDS / 50; n++) {
      const words: string[] = [];
      for (let k = 0; k < 50; k++) words.push(`q${(serial++).toString(36)}z`);
      extract(`${note} ${words.join(' ')}.`, model);
      if (n % 250 === 249) {
        collectGarbage();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    const growthMb = (peak - before) / 1e6;
    printFigure({ attack: 'vocabulary-growth', distinct_words: serial, encoder_bound_words: MAX_CACHED_WORDS, heap_growth_mb: Math.round(growthMb * 10) / 10 });
    expect(serial).toBe(DISTINCT_WORDS);
    expect(growthMb).toBeLessThan(GROWTH_BOUND_MB);
  }, 120_000);
});
