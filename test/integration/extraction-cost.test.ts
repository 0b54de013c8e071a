import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { extract } from '../../src/core/extract.js';
import { readMtSamples } from '../../src/corpus/mtsamples.js';
import { loadModel, type LoadedModel } from '../../src/registry/model-store.js';

/**
 * Extraction's cost is linear in the note, whatever its shape: one huge word, long runs of one character,
 * one endless sentence, a note-style list of thousands of names. Each input is timed at two sizes 8x apart
 * with the shipped model: a quadratic step makes the time per character 8x larger at the larger size (one
 * 100,000-letter word once took 44 s in the stemmer), and many times that of real notes. The bounds are
 * ratios a loaded machine cannot reach with a linear pipeline.
 */

interface Shape {
  /** Repeated in turn; with `counter`, each repetition gets its index appended, so no two words repeat. */
  pieces: string[];
  counter: boolean;
  separator: string;
}

function build(shape: Shape, length: number): string {
  const parts: string[] = [];
  let total = 0;
  for (let i = 0; total < length; i++) {
    const piece = `${shape.pieces[i % shape.pieces.length] as string}${shape.counter ? String(i) : ''}${shape.separator}`;
    parts.push(piece);
    total += piece.length;
  }
  return parts.join('').slice(0, length);
}

const SMALL = 20_000;
const LARGE = 8 * SMALL;
/** Below this a timing is mostly noise (a cached, repetitive input takes well under it). */
const FLOOR_MS = 3;
/** Linear: about 1 (less when fixed costs weigh at the small size); quadratic: 8. */
const MAX_GROWTH = 4;
/** Real notes are the yardstick; the slowest linear shapes found cost about 5x their time per character. */
const MAX_TIMES_REAL_NOTES = 40;

const CHARACTERS = ['x', 'X', 's', 'a', 'y', '1', '0', '.', '-', '/', "'", ',', ':', '(', ')', '"', '+', '=', '_', '*', '#', 'é', '\u0301', '\u200d', '😀', '\u00a0', '\t', '\n', ' ', 'µ', '中'];
const FRAGMENTS = [
  'fever', 'Fever', 'aspirin', 'tab', 'Rx:', 'Dx:', 'no', 'denies', 'history of', 'family history:', 'HISTORY:', 'mother', '(', ')', ',', ';', '.',
  'and', 'or', 'treated with', 'lung cancer', 'chemotherapy', '500mg', 'x5d', 'BD', 'Dr.', 'e.g.', 'b.i.d.', '-', '•', '1.', 'mg/kg', 'ruled out',
];
const SEPARATORS = ['', ' ', '\n', ', ', '. ', '\n\n', ' - '];

const shapeArbitrary: fc.Arbitrary<Shape> = fc.oneof(
  fc.record({ pieces: fc.array(fc.constantFrom(...CHARACTERS), { minLength: 1, maxLength: 3 }), counter: fc.constant(false), separator: fc.constant('') }),
  fc.record({ pieces: fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 6 }), counter: fc.boolean(), separator: fc.constantFrom(...SEPARATORS) }),
  fc.record({ pieces: fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), counter: fc.boolean(), separator: fc.constantFrom(...SEPARATORS) }),
);

describe('extraction cost', () => {
  let loaded: LoadedModel;
  let realMsPerChar: number;
  /** A note-style prescription naming a different drug and disease of the model's lexicon on every line. */
  let prescriptionLines: string[];

  const msPerChar = (text: string): number => {
    const started = performance.now();
    extract(text, loaded.model);
    return Math.max(performance.now() - started, FLOOR_MS) / text.length;
  };

  beforeAll(async () => {
    const config = loadConfig();
    loaded = await loadModel(config.modelDir);
    const notes: string[] = [];
    let length = 0;
    for await (const note of readMtSamples(config.notesFile)) {
      notes.push(note.text);
      length += note.text.length;
      if (length >= LARGE) break;
    }
    const real = notes.join('\n\n').slice(0, LARGE);
    msPerChar(real); // warm the JIT (and the word caches, which makes the yardstick stricter)
    realMsPerChar = Math.min(msPerChar(real), msPerChar(real));
    const names = (loaded.model.noteLexicon?.entries() ?? []).filter((e) => e.tokens.length === 1 && /^[a-z]{4,}$/.test(e.tokens[0] as string));
    const drugs = names.filter((e) => e.kind === 'drug').map((e) => e.tokens[0] as string);
    const diseases = names.filter((e) => e.kind === 'disease').map((e) => e.tokens[0] as string);
    expect(Math.min(drugs.length, diseases.length)).toBeGreaterThan(1_000);
    prescriptionLines = Array.from({ length: 4_000 }, (_, i) => `tab ${drugs[i % drugs.length] as string} BD for ${diseases[i % diseases.length] as string}`);
  }, 120_000);

  it('grows linearly with the note, for long words, runs, endless sentences and repeated or distinct names', () => {
    const known: [Shape][] = [
      [{ pieces: ['x'], counter: false, separator: '' }],
      [{ pieces: ['1'], counter: false, separator: '' }],
      [{ pieces: ['é'], counter: false, separator: '' }],
      // a line of list marks and dashes only: each token's line start was read back to the line's beginning
      [{ pieces: ['1.'], counter: false, separator: ' - ' }],
      // a header on every line: each sentence's section was looked for among all of them
      [{ pieces: ['Dx:'], counter: false, separator: '\n' }],
      [{ pieces: ['Rx:\ntab aspirin for fever'], counter: false, separator: '\n' }],
      [{ pieces: prescriptionLines, counter: false, separator: '\n' }],
      [{ pieces: ['lung cancer', 'treated with', 'chemotherapy', 'and'], counter: true, separator: ' ' }],
    ];
    fc.assert(
      fc.property(shapeArbitrary, (shape) => {
        const small = msPerChar(build(shape, SMALL));
        const large = msPerChar(build(shape, LARGE));
        const label = JSON.stringify({ ...shape, pieces: shape.pieces.slice(0, 3) });
        expect(large / small, `time per character ${SMALL} -> ${LARGE} chars: ${label}`).toBeLessThan(MAX_GROWTH);
        expect(large / realMsPerChar, `time per character against real notes: ${label}`).toBeLessThan(MAX_TIMES_REAL_NOTES);
      }),
      { numRuns: 24, examples: known },
    );
  }, 180_000);
});
