import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAnnotationsJsonl, readAnnotationsJsonl } from '../../src/corpus/index.js';
import { NerError } from '../../src/errors.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE = 'reviews.jsonl';
const GOOD = JSON.stringify({
  id: 'n1',
  text: 'Gout treated with colchicine.',
  entities: [
    { type: 'treatment', start: 18, end: 28 },
    { type: 'disease', start: 0, end: 4 },
  ],
});

function expectInvalid(badLine: string, fragment: string): void {
  let error: unknown;
  try {
    parseAnnotationsJsonl(`${GOOD}\n\n${badLine}\n`, FILE);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(NerError);
  const nerError = error as NerError;
  expect(nerError.code).toBe('NER_ERR_INPUT_INVALID');
  expect(nerError.line).toBe(3);
  expect(nerError.message.startsWith(`${FILE}:3: `)).toBe(true);
  expect(nerError.message).toContain(fragment);
}

const note = (entities: unknown, text = 'Asthma: salbutamol inhaler.') => JSON.stringify({ id: 'n2', text, entities });

describe('parseAnnotationsJsonl', () => {
  it('parses notes, sorting entities by start and skipping blank lines', () => {
    expect(parseAnnotationsJsonl(`\uFEFF${GOOD}\r\n\r\n${note([])}`, FILE)).toEqual([
      {
        id: 'n1',
        text: 'Gout treated with colchicine.',
        entities: [
          { type: 'disease', start: 0, end: 4 },
          { type: 'treatment', start: 18, end: 28 },
        ],
      },
      { id: 'n2', text: 'Asthma: salbutamol inhaler.', entities: [] },
    ]);
  });

  it('returns no note for an empty file', () => {
    expect(parseAnnotationsJsonl('', FILE)).toEqual([]);
  });

  it('counts offsets in UTF-16 code units', () => {
    const text = '😷 Influenza: oseltamivir';
    const [parsed] = parseAnnotationsJsonl(note([{ type: 'disease', start: 3, end: 12 }], text), FILE);
    const entity = parsed?.entities[0];
    expect(entity && text.slice(entity.start, entity.end)).toBe('Influenza');
  });

  it.each([
    ['bad JSON', '{"id": "n2", "text": ', 'not valid JSON'],
    ['an array', '[1, 2]', 'not a JSON object'],
    ['null', 'null', 'not a JSON object'],
    ['a missing id', JSON.stringify({ text: 'x', entities: [] }), '"id"'],
    ['a numeric id', JSON.stringify({ id: 7, text: 'x', entities: [] }), '"id"'],
    ['a missing text', JSON.stringify({ id: 'n2', entities: [] }), '"text"'],
    ['missing entities', JSON.stringify({ id: 'n2', text: 'x' }), '"entities"'],
    ['entities as an object', JSON.stringify({ id: 'n2', text: 'x', entities: {} }), '"entities"'],
    ['an entity that is not an object', note(['asthma']), 'entities[0]'],
    ['an unknown type', note([{ type: 'drug', start: 0, end: 6 }]), 'entities[0].type'],
    ['a missing end', note([{ type: 'disease', start: 0 }]), 'integers'],
    ['a fractional offset', note([{ type: 'disease', start: 0.5, end: 6 }]), 'integers'],
    ['a string offset', note([{ type: 'disease', start: '0', end: 6 }]), 'integers'],
    ['a negative start', note([{ type: 'disease', start: -1, end: 6 }]), 'entities[0]: offsets [-1, 6)'],
    ['start equal to end', note([{ type: 'disease', start: 6, end: 6 }]), 'offsets [6, 6)'],
    ['start after end', note([{ type: 'disease', start: 6, end: 0 }]), 'offsets [6, 0)'],
    ['an end past the text', note([{ type: 'disease', start: 8, end: 99 }]), '<= 27 (text length)'],
    [
      'overlapping entities',
      note([
        { type: 'treatment', start: 8, end: 26 },
        { type: 'disease', start: 0, end: 6 },
        { type: 'treatment', start: 19, end: 26 },
      ]),
      'entities[2] [19, 26) overlaps entities[0] [8, 26)',
    ],
    ['a duplicate id', JSON.stringify({ id: 'n1', text: 'x', entities: [] }), 'id "n1" is already used on line 1'],
  ])('rejects %s with file:line', (_name, line, fragment) => {
    expectInvalid(line, fragment);
  });

  it('accepts touching but not overlapping entities', () => {
    const [parsed] = parseAnnotationsJsonl(
      note([
        { type: 'disease', start: 0, end: 6 },
        { type: 'treatment', start: 6, end: 7 },
      ]),
      FILE,
    );
    expect(parsed?.entities).toHaveLength(2);
  });
});

describe('readAnnotationsJsonl', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corpus-jsonl-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the full path and line of a bad note', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, `${GOOD}\n{oops}\n`);
    await expect(readAnnotationsJsonl(path)).rejects.toMatchObject({
      code: 'NER_ERR_INPUT_INVALID',
      message: expect.stringContaining(`${path}:2: line is not valid JSON`),
    });
  });

  it('reports a missing file', async () => {
    await expect(readAnnotationsJsonl(join(dir, 'missing.jsonl'))).rejects.toMatchObject({
      code: 'NER_ERR_CORPUS_FILE_MISSING',
    });
  });

  it('reads corpus/sample/notes.jsonl, whose offsets cover exactly the annotated words', async () => {
    const { notes, files } = await readAnnotationsJsonl(join(REPO_ROOT, 'corpus', 'sample', 'notes.jsonl'));
    expect(files[0]?.sha256).toMatch(/^[0-9a-f]{64}$/u);
    const surface = notes.map((parsed) => ({
      id: parsed.id,
      entities: parsed.entities.map((entity) => `${entity.type}:${parsed.text.slice(entity.start, entity.end)}`),
    }));
    expect(surface).toEqual([
      {
        id: 'note-001',
        entities: ['disease:type 2 diabetes mellitus', 'disease:hypertension', 'treatment:metformin', 'treatment:amlodipine'],
      },
      { id: 'note-002', entities: ['disease:uncomplicated cystitis', 'treatment:nitrofurantoin'] },
      { id: 'note-003', entities: ['disease:atrial fibrillation', 'treatment:apixaban'] },
      { id: 'note-004', entities: [] },
      {
        id: 'note-005',
        entities: [
          'disease:ulcerative colitis',
          'treatment:mesalamine',
          'treatment:prednisolone',
          'treatment:vedolizumab',
          'disease:steroid-dependent disease',
        ],
      },
    ]);
    for (const parsed of notes) {
      for (const entity of parsed.entities) {
        // Entities start and end on word boundaries.
        expect(parsed.text.slice(entity.start - 1, entity.start)).not.toMatch(/\w/u);
        expect(parsed.text.slice(entity.end, entity.end + 1)).not.toMatch(/\w/u);
      }
    }
  });
});
