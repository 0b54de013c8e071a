import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTIONS, type Assertion } from '../../src/core/text/types.js';
import { parseAnnotationsJsonl, type AnnotatedNote } from '../../src/corpus/jsonl-annotations.js';
import { formatMarkedNotes, parseMarkedNotes, readMarkedNotes } from '../../src/corpus/marked-notes.js';
import { NerError, type ErrorCode } from '../../src/errors.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE = 'notes.marked.txt';

/** Each entity's surface text, type and assertion, in order. */
function surfaces(note: AnnotatedNote | undefined): string[] {
  return (note?.entities ?? []).map((e) => `${note?.text.slice(e.start, e.end)}|${e.type}|${e.assertion}`);
}

function errorOf(text: string): NerError {
  try {
    parseMarkedNotes(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(NerError);
    return error as NerError;
  }
  throw new Error('expected parseMarkedNotes to throw');
}

describe('parseMarkedNotes', () => {
  it('reads records, strips the markup and points offsets into the clean text', () => {
    const text = [
      '# comment before the first record',
      '#',
      '',
      '## rx-001',
      'Pt c/o [fever]{D} x3d. Dx: [typhoid]{D}. Rx: tab [azithromycin]{T} 500mg OD x5d.',
      'No h/o [asthma]{D:absent}.',
      '',
      '## rx-002',
      '[Appendectomy]{T:historical}; mother had [breast cancer]{D:family}.',
    ].join('\n');
    const notes = parseMarkedNotes(text, FILE);
    expect(notes.map((note) => note.id)).toEqual(['rx-001', 'rx-002']);
    expect(notes[0]?.text).toBe('Pt c/o fever x3d. Dx: typhoid. Rx: tab azithromycin 500mg OD x5d.\nNo h/o asthma.');
    expect(notes[0]?.entities).toEqual([
      { type: 'disease', start: 7, end: 12, assertion: 'present' },
      { type: 'disease', start: 22, end: 29, assertion: 'present' },
      { type: 'treatment', start: 39, end: 51, assertion: 'present' },
      { type: 'disease', start: 73, end: 79, assertion: 'absent' },
    ]);
    expect(surfaces(notes[0])).toEqual(['fever|disease|present', 'typhoid|disease|present', 'azithromycin|treatment|present', 'asthma|disease|absent']);
    expect(surfaces(notes[1])).toEqual(['Appendectomy|treatment|historical', 'breast cancer|disease|family']);
  });

  it('reads every assertion class', () => {
    const body = ASSERTIONS.map((assertion) => `[x${assertion}]{D:${assertion}}`).join(' ');
    const [note] = parseMarkedNotes(`## a\n${body}\n`, FILE);
    expect(note?.entities.map((entity) => entity.assertion)).toEqual([...ASSERTIONS]);
  });

  it('keeps line breaks inside a record and trims blank lines around it', () => {
    const [note, next] = parseMarkedNotes('## n1\n\n  \nFamily history:\n\n[Diabetes]{D:family} in father.\n\n\n## n2\nok\n', FILE);
    expect(note?.text).toBe('Family history:\n\nDiabetes in father.');
    expect(surfaces(note)).toEqual(['Diabetes|disease|family']);
    expect(next?.text).toBe('ok');
  });

  it('keeps entities apart when they touch', () => {
    const [note] = parseMarkedNotes('## n\n[metformin]{T}[glipizide]{T}', FILE);
    expect(note?.text).toBe('metforminglipizide');
    expect(surfaces(note)).toEqual(['metformin|treatment|present', 'glipizide|treatment|present']);
  });

  it('reads escaped brackets, braces and backslashes as literal characters', () => {
    const [note] = parseMarkedNotes('## n\nRef \\[1\\] \\{x\\} a\\\\b [drug \\[A\\]]{T} done', FILE);
    expect(note?.text).toBe('Ref [1] {x} a\\b drug [A] done');
    expect(surfaces(note)).toEqual(['drug [A]|treatment|present']);
  });

  it('accepts CRLF line endings and a UTF-8 BOM', () => {
    const [note] = parseMarkedNotes('\uFEFF# c\r\n## n1\r\nNo [fever]{D:absent}\r\nor [cough]{D:absent}.\r\n', FILE);
    expect(note?.text).toBe('No fever\nor cough.');
    expect(surfaces(note)).toEqual(['fever|disease|absent', 'cough|disease|absent']);
  });

  it('counts offsets in UTF-16 code units', () => {
    const [note] = parseMarkedNotes('## n\n😷 [Influenza]{D}: [oseltamivir]{T}', FILE);
    expect(note?.entities[0]).toMatchObject({ start: 3, end: 12 });
    expect(surfaces(note)).toEqual(['Influenza|disease|present', 'oseltamivir|treatment|present']);
  });

  it('returns no note for an empty file or one holding only comments', () => {
    expect(parseMarkedNotes('', FILE)).toEqual([]);
    expect(parseMarkedNotes('# only a comment\n\n', FILE)).toEqual([]);
  });

  it('reads a line starting with "#" inside a record as text', () => {
    const [note] = parseMarkedNotes('## n\n# 1 [fever]{D}\n##x', FILE);
    expect(note?.text).toBe('# 1 fever\n##x');
  });

  it.each<[string, string, number, ErrorCode, string]>([
    ['an unclosed "["', '## a\nok\n## b\nNo [fever{D}.', 4, 'NER_ERR_CORPUS_BAD_LINE', 'column 4: "[" is not closed'],
    ['a "[" closed on a later line', '## a\n[chest\npain]{D}', 2, 'NER_ERR_CORPUS_BAD_LINE', 'not closed on its line'],
    ['a "]" without a label', '## a\n[fever] x3d', 2, 'NER_ERR_CORPUS_BAD_LINE', 'must be followed by {D}'],
    ['a "]" at the end of the line', '## a\n[fever]', 2, 'NER_ERR_CORPUS_BAD_LINE', 'must be followed by {D}'],
    ['an unclosed label', '## a\n[fever]{D:absent', 2, 'NER_ERR_CORPUS_BAD_LINE', 'must be followed by {D}'],
    ['a "]" without "["', '## a\nfever]{D}', 2, 'NER_ERR_CORPUS_BAD_LINE', '"]" without an opening "["'],
    ['nested brackets', '## a\n[[type 2]{D} diabetes]{D}', 2, 'NER_ERR_CORPUS_BAD_LINE', 'do not nest'],
    ['an unknown type', '## a\n\n[fever]{X}', 3, 'NER_ERR_CORPUS_UNKNOWN_LABEL', 'unknown entity type "X"'],
    ['a lower-case type', '## a\n[fever]{d}', 2, 'NER_ERR_CORPUS_UNKNOWN_LABEL', 'unknown entity type "d"'],
    ['an empty label', '## a\n[fever]{}', 2, 'NER_ERR_CORPUS_UNKNOWN_LABEL', 'unknown entity type ""'],
    ['an unknown assertion', '## a\n[fever]{D:negated}', 2, 'NER_ERR_CORPUS_UNKNOWN_LABEL', 'unknown assertion "negated"'],
    ['an empty assertion', '## a\n[fever]{T:}', 2, 'NER_ERR_CORPUS_UNKNOWN_LABEL', 'unknown assertion ""'],
    ['empty entity text', '## a\nNo []{D:absent}.', 2, 'NER_ERR_CORPUS_BAD_LINE', 'column 4: empty entity text'],
    ['leading whitespace in entity text', '## a\nNo [ fever]{D}.', 2, 'NER_ERR_CORPUS_BAD_LINE', 'starts or ends with whitespace'],
    ['trailing whitespace in entity text', '## a\nNo [fever ]{D}.', 2, 'NER_ERR_CORPUS_BAD_LINE', 'starts or ends with whitespace'],
    ['whitespace-only entity text', '## a\n[  ]{D}', 2, 'NER_ERR_CORPUS_BAD_LINE', 'starts or ends with whitespace'],
    ['a stray "{"', '## a\ndose {5} mg', 2, 'NER_ERR_CORPUS_BAD_LINE', 'column 6: "{" outside an entity label'],
    ['a stray "}"', '## a\ndose 5} mg', 2, 'NER_ERR_CORPUS_BAD_LINE', '"}" outside an entity label'],
    ['an unknown escape', '## a\nC:\\notes', 2, 'NER_ERR_CORPUS_BAD_LINE', 'column 3: "\\" must be followed by'],
    ['a backslash at the end of a line', '## a\nfever \\', 2, 'NER_ERR_CORPUS_BAD_LINE', '"\\" must be followed by'],
    ['a duplicate id', '## a\nx\n## b\ny\n## a\nz', 5, 'NER_ERR_CORPUS_BAD_LINE', 'record id "a" is already used on line 1'],
    ['a header without id', '## a\nx\n##   \ny', 3, 'NER_ERR_CORPUS_BAD_LINE', 'has no id'],
    ['an id with whitespace', '## rx 1\nx', 1, 'NER_ERR_CORPUS_BAD_LINE', 'contains whitespace'],
    ['text before the first record', '# comment\n\nPt c/o [fever]{D}\n## a\nx', 3, 'NER_ERR_CORPUS_BAD_LINE', 'text before the first "## <id>"'],
    ['a "#" line that is not a comment', '#comment\n## a\nx', 1, 'NER_ERR_CORPUS_BAD_LINE', 'text before the first'],
    ['an empty record', '## a\nx\n\n## b\n\n   \n## c\ny', 4, 'NER_ERR_CORPUS_BAD_LINE', 'record "b" has no text'],
    ['an empty last record', '## a\nx\n## b\n', 3, 'NER_ERR_CORPUS_BAD_LINE', 'record "b" has no text'],
  ])('rejects %s with file:line', (_name, text, line, code, fragment) => {
    const error = errorOf(text);
    expect(error.code).toBe(code);
    expect(error.file).toBe(FILE);
    expect(error.line).toBe(line);
    expect(error.message.startsWith(`${FILE}:${line}: `)).toBe(true);
    expect(error.message).toContain(fragment);
  });

  it('counts lines of a CRLF file with a BOM from 1', () => {
    const error = errorOf('\uFEFF## a\r\nok\r\n[fever]{Q}\r\n');
    expect(error.line).toBe(3);
  });
});

describe('formatMarkedNotes', () => {
  const notes: AnnotatedNote[] = [
    {
      id: 'rx-001',
      text: 'Pt c/o fever x3d.\nRx: tab azithromycin 500mg OD.\nNo h/o asthma [sic] {?}.',
      entities: [
        { type: 'disease', start: 7, end: 12, assertion: 'present' },
        { type: 'treatment', start: 26, end: 38, assertion: 'present' },
        { type: 'disease', start: 56, end: 62, assertion: 'absent' },
      ],
    },
    { id: 'rx-002', text: 'Mother: diabetes. a\\b', entities: [{ type: 'disease', start: 8, end: 16, assertion: 'family' }] },
    { id: 'rx-003', text: 'No entity here.', entities: [] },
  ];

  it('writes marked notes that read back unchanged', () => {
    const text = formatMarkedNotes(notes);
    expect(text).toBe(
      '## rx-001\nPt c/o [fever]{D} x3d.\nRx: tab [azithromycin]{T} 500mg OD.\nNo h/o [asthma]{D:absent} \\[sic\\] \\{?\\}.\n\n' +
        '## rx-002\nMother: [diabetes]{D:family}. a\\\\b\n\n## rx-003\nNo entity here.\n',
    );
    expect(parseMarkedNotes(text, FILE)).toEqual(notes);
    expect(formatMarkedNotes([])).toBe('');
  });

  it('writes an entity without assertion as present', () => {
    const text = formatMarkedNotes([{ id: 'j', text: 'Gout.', entities: [{ type: 'disease', start: 0, end: 4 }] }]);
    expect(text).toBe('## j\n[Gout]{D}.\n');
    expect(parseMarkedNotes(text, FILE)[0]?.entities).toEqual([{ type: 'disease', start: 0, end: 4, assertion: 'present' }]);
  });

  it('round-trips arbitrary notes', () => {
    const alphabet = fc.constantFrom('a', 'B', ' ', '[', ']', '{', '}', '\\', '#', ':', 'é', '😷');
    const word = fc.string({ unit: alphabet, minLength: 1, maxLength: 6 }).filter((s) => s.trim() === s);
    const segment = fc.record({
      before: fc.string({ unit: alphabet, maxLength: 5 }),
      surface: word,
      entity: fc.option(fc.record({ type: fc.constantFrom('disease' as const, 'treatment' as const), assertion: fc.constantFrom(...ASSERTIONS) })),
    });
    const line = fc.array(segment, { minLength: 1, maxLength: 4 });
    const note = fc.array(line, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(note, { maxLength: 4 }), (raw) => {
        const built: AnnotatedNote[] = raw.map((lines, index) => {
          const entities: AnnotatedNote['entities'] = [];
          const text = lines
            .map((segments) => segments.map((s) => s.before + s.surface).join('').replace(/^##/u, 'x#'))
            .map((lineText) => (lineText.trim() === '' ? 'x' : lineText))
            .join('\n');
          // Place entities by finding each surface again in the built text, left to right.
          let from = 0;
          lines.flat().forEach((s) => {
            const start = text.indexOf(s.surface, from);
            if (s.entity !== null && start !== -1 && !text.slice(start, start + s.surface.length).includes('\n')) {
              entities.push({ ...s.entity, start, end: start + s.surface.length });
              from = start + s.surface.length;
            }
          });
          return { id: `n${index}`, text, entities };
        });
        expect(parseMarkedNotes(formatMarkedNotes(built), FILE)).toEqual(built);
      }),
      { numRuns: 200 },
    );
  });

  it.each<[string, AnnotatedNote, string]>([
    ['an empty id', { id: '', text: 'x', entities: [] }, 'id must be non-empty'],
    ['an id with whitespace', { id: 'a b', text: 'x', entities: [] }, 'id must be non-empty'],
    ['an empty text', { id: 'a', text: '', entities: [] }, 'blank line'],
    ['a leading blank line', { id: 'a', text: ' \nx', entities: [] }, 'blank line'],
    ['a trailing blank line', { id: 'a', text: 'x\n', entities: [] }, 'blank line'],
    ['a header-like line', { id: 'a', text: 'x\n## y', entities: [] }, 'starts with "##"'],
    ['a carriage return', { id: 'a', text: 'x\r\ny', entities: [] }, 'carriage return'],
    ['overlapping entities', { id: 'a', text: 'chest pain', entities: [{ type: 'disease', start: 0, end: 10 }, { type: 'disease', start: 6, end: 10 }] }, 'overlaps'],
    ['an entity past the text', { id: 'a', text: 'gout', entities: [{ type: 'disease', start: 0, end: 9 }] }, 'out of range'],
    ['an entity spanning lines', { id: 'a', text: 'chest\npain', entities: [{ type: 'disease', start: 0, end: 10 }] }, 'line break'],
    ['an entity with whitespace at an end', { id: 'a', text: 'gout x', entities: [{ type: 'disease', start: 0, end: 5 }] }, 'whitespace'],
    ['an empty entity', { id: 'a', text: 'gout', entities: [{ type: 'disease', start: 2, end: 2 }] }, 'empty'],
  ])('refuses %s', (_name, note, fragment) => {
    expect(() => formatMarkedNotes([note])).toThrow(expect.objectContaining({ code: 'NER_ERR_INPUT_INVALID', message: expect.stringContaining(fragment) }));
  });

  it('refuses a duplicate id', () => {
    const note = { id: 'a', text: 'x', entities: [] };
    expect(() => formatMarkedNotes([note, note])).toThrow(/earlier note/u);
  });
});

describe('readMarkedNotes', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'marked-notes-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and hashes its bytes', async () => {
    const path = join(dir, 'a.marked.txt');
    await writeFile(path, '## a\n[Gout]{D}: [colchicine]{T}.\n');
    const { notes, files } = await readMarkedNotes(path);
    expect(surfaces(notes[0])).toEqual(['Gout|disease|present', 'colchicine|treatment|present']);
    expect(files).toEqual([{ path, sha256: expect.stringMatching(/^[0-9a-f]{64}$/u) }]);
  });

  it('names the file in a parse error', async () => {
    const path = join(dir, 'bad.marked.txt');
    await writeFile(path, '## a\n[Gout]{Z}\n');
    await expect(readMarkedNotes(path)).rejects.toMatchObject({ code: 'NER_ERR_CORPUS_UNKNOWN_LABEL', message: expect.stringContaining(`${path}:2: `) });
  });

  it('reports a missing file', async () => {
    await expect(readMarkedNotes(join(dir, 'missing.marked.txt'))).rejects.toMatchObject({ code: 'NER_ERR_CORPUS_FILE_MISSING' });
  });
});

describe('JSONL annotations with assertions', () => {
  it('accepts an optional assertion and rejects an unknown one', () => {
    const line = (assertion: unknown) =>
      JSON.stringify({ id: 'n', text: 'No gout.', entities: [{ type: 'disease', start: 3, end: 7, assertion }] });
    expect(parseAnnotationsJsonl(line('absent'), FILE)[0]?.entities).toEqual([{ type: 'disease', start: 3, end: 7, assertion: 'absent' }]);
    expect(parseAnnotationsJsonl(line(undefined), FILE)[0]?.entities).toEqual([{ type: 'disease', start: 3, end: 7 }]);
    expect(() => parseAnnotationsJsonl(line('negated'), FILE)).toThrow(/entities\[0\]\.assertion must be one of present, absent/u);
    expect(() => parseAnnotationsJsonl(line(null), FILE)).toThrow(/assertion/u);
  });
});

describe('the hand-annotated marked-notes sets', () => {
  const read = async (relative: string) => (await readMarkedNotes(join(REPO_ROOT, relative))).notes;
  const count = (notes: AnnotatedNote[], assertion: Assertion) =>
    notes.flatMap((note) => note.entities).filter((entity) => entity.assertion === assertion).length;

  it('hold at least the promised records and every assertion class', async () => {
    const [dev, test, noteStyleDev, noteStyleTest] = await Promise.all([
      read('corpus/assertion/dev.marked.txt'),
      read('corpus/assertion/test.marked.txt'),
      read('corpus/note-style/dev.marked.txt'),
      read('corpus/note-style/test.marked.txt'),
    ]);
    const noteStyle = [...noteStyleDev, ...noteStyleTest];
    expect(dev.length).toBeGreaterThanOrEqual(80);
    expect(test.length).toBeGreaterThanOrEqual(160);
    expect(noteStyle.length).toBeGreaterThanOrEqual(60);
    for (const assertion of ASSERTIONS) {
      expect(count(dev, assertion), `dev ${assertion}`).toBeGreaterThan(0);
      expect(count(test, assertion), `test ${assertion}`).toBeGreaterThanOrEqual(25);
    }
    for (const note of noteStyle) {
      const lines = note.text.split('\n').length;
      expect(lines >= 2 && lines <= 8, `${note.id} has ${lines} lines`).toBe(true);
    }
    for (const note of [...dev, ...test, ...noteStyle]) {
      expect(note.entities.length, `${note.id} has entities`).toBeGreaterThan(0);
    }
  });

  it('keep dev and test records apart', async () => {
    const [dev, test] = await Promise.all([read('corpus/assertion/dev.marked.txt'), read('corpus/assertion/test.marked.txt')]);
    const devTexts = new Set(dev.map((note) => note.text.toLowerCase()));
    expect(test.filter((note) => devTexts.has(note.text.toLowerCase()))).toEqual([]);
  });
});
