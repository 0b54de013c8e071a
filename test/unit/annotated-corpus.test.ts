import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentSentences, readJsonlCorpus, splitOfDocument, withoutOverlaps } from '../../src/corpus/annotated-corpus.js';
import { parseCorpusMapping, readCorpusMappings, type CorpusMapping } from '../../src/corpus/corpus-mapping.js';
import { isNerError } from '../../src/errors.js';

const MAPPING: CorpusMapping = parseCorpusMapping(
  {
    name: 'toy', description: 'test', citation: 'none', licence: 'CC0', format: 'jsonl', folder: 'toy',
    files: { all: ['docs.jsonl'] }, split: { devShare: 0.5, by: 'key', key: '^(T[0-9]+)_' },
    domain: 'toy-notes', policy: 'every-mention',
    types: { Disease_disorder: { type: 'disease', kind: 'diagnosis' }, Sign_symptom: { type: 'disease', kind: 'symptom' }, Medication: { type: 'treatment', kind: 'drug' } },
    ignoredTypes: ['Severity'], overlaps: 'longest', discontinuous: 'ignore', annotationPolicy: 'every mention', scoring: { unscoredTypes: ['Severity'] },
  },
  'toy.json',
);

const doc = (id: string, text: string, entities: { type: string; start: number; end: number }[]) =>
  JSON.stringify({ id, text, entities: entities.map((e) => ({ ...e, text: text.slice(e.start, e.end) })) });

describe('corpus mappings', () => {
  it('list every problem of a mapping in one error naming the file', () => {
    try {
      parseCorpusMapping({ name: 'x', format: 'csv', types: { A: { type: 'disease', kind: 'drug' } }, ignoredTypes: ['A'], files: {} }, 'bad.json');
      throw new Error('no error');
    } catch (error) {
      expect(isNerError(error, 'NER_ERR_CORPUS_MAPPING_INVALID')).toBe(true);
      const message = (error as Error).message;
      expect(message).toMatch(/^bad\.json: invalid corpus mapping/);
      for (const problem of ['"format"', '"description"', '"types.A.kind" must be one of diagnosis, symptom', '"A" is both mapped and ignored', '"files"', '"policy"']) expect(message).toContain(problem);
    }
  });

  it('the shipped mappings parse and cover every type their corpora use (read in place from ../shared)', async () => {
    const mappings = await readCorpusMappings(join(import.meta.dirname, '../../corpus/mappings'));
    expect([...mappings.keys()].sort()).toEqual(['bc5cdr', 'behealthy', 'chia', 'clinical-notes', 'maccrobat2020']);
    const corpora = join(import.meta.dirname, '../../../shared/corpus');
    for (const name of ['maccrobat2020', 'chia', 'bc5cdr']) {
      const corpus = await readJsonlCorpus(mappings.get(name) as CorpusMapping, corpora);
      const dev = corpus.documents.filter((d) => d.split === 'dev').length;
      expect(dev / corpus.documents.length, name).toBeGreaterThan(0.1);
      expect(dev / corpus.documents.length, name).toBeLessThan(0.55);
    }
    // The project's own notes are read from the repository, whatever the corpora directory.
    const own = await readJsonlCorpus(mappings.get('clinical-notes') as CorpusMapping, '/nonexistent');
    expect(own.documents.length).toBeGreaterThan(100);
    expect(own.documents.some((d) => d.split === 'dev') && own.documents.some((d) => d.split === 'train')).toBe(true);
  });
});

describe('a JSONL corpus read through its mapping', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corpus-'));
    await mkdir(join(dir, 'toy'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const write = (lines: string[]) => writeFile(join(dir, 'toy', 'docs.jsonl'), `${lines.join('\n')}\n`);

  it('maps types to product entities with kinds, drops ignored types, keeps the longest of overlapping ones', async () => {
    const text = 'Severe chest pain and asthma treated with salbutamol.';
    await write([
      doc('T1_inc', text, [
        { type: 'Severity', start: 0, end: 6 },
        { type: 'Sign_symptom', start: 7, end: 17 },
        { type: 'Sign_symptom', start: 13, end: 17 },
        { type: 'Disease_disorder', start: 22, end: 28 },
        { type: 'Medication', start: 42, end: 52 },
      ]),
    ]);
    const { documents, files } = await readJsonlCorpus(MAPPING, dir);
    expect(files).toHaveLength(1);
    expect(documents[0]?.entities).toEqual([
      { type: 'disease', kind: 'symptom', start: 7, end: 17, sourceType: 'Sign_symptom' },
      { type: 'disease', kind: 'diagnosis', start: 22, end: 28, sourceType: 'Disease_disorder' },
      { type: 'treatment', kind: 'drug', start: 42, end: 52, sourceType: 'Medication' },
    ]);
    const [sentence] = documentSentences(documents[0] as never, 'toy-notes');
    expect(sentence?.domain).toBe('toy-notes');
    expect(sentence?.labels).toEqual(['O', 'D', 'D', 'O', 'D', 'O', 'O', 'T', 'O']);
    expect(sentence?.spans).toEqual([{ type: 'D', start: 1, end: 3 }, { type: 'D', start: 4, end: 5 }, { type: 'T', start: 7, end: 8 }]);
  });

  it('names file and line of an unmapped type, a bad offset, text that does not match, and a repeated id', async () => {
    const cases: [string[], string, RegExp][] = [
      [[doc('T1_inc', 'fever', []), doc('T2_inc', 'a cough', [{ type: 'Lab_value', start: 2, end: 7 }])], 'NER_ERR_CORPUS_UNMAPPED_TYPE', /docs\.jsonl:2: document T2_inc, entities\[0\]: type "Lab_value" is neither mapped nor ignored/],
      [[JSON.stringify({ id: 'T1_inc', text: 'fever', entities: [{ type: 'Sign_symptom', start: 0, end: 9 }] })], 'NER_ERR_CORPUS_BAD_LINE', /docs\.jsonl:1: .*offsets \[0, 9\) need 0 <= start < end <= 5/],
      [[JSON.stringify({ id: 'T1_inc', text: 'fever', entities: [{ type: 'Sign_symptom', start: 0, end: 5, text: 'cough' }] })], 'NER_ERR_CORPUS_BAD_LINE', /docs\.jsonl:1: .*"text" is not text\.slice/],
      [[doc('T1_inc', 'fever', []), '', doc('T1_inc', 'cough', [])], 'NER_ERR_CORPUS_BAD_LINE', /docs\.jsonl:3: document id T1_inc is already used at .*docs\.jsonl:1/],
      [['{"id": "T1_inc", "text": "not closed'], 'NER_ERR_CORPUS_BAD_LINE', /docs\.jsonl:1: not valid JSON/],
    ];
    for (const [lines, code, message] of cases) {
      await write(lines);
      const error = await readJsonlCorpus(MAPPING, dir).then(() => null, (e: unknown) => e);
      expect(isNerError(error, code as never), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('not closed');
    }
  });

  it('splits by the key, so a trial\'s inclusion and exclusion texts share a split, the same way every time', () => {
    for (const trial of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6']) expect(splitOfDocument(MAPPING, `${trial}_inc`)).toBe(splitOfDocument(MAPPING, `${trial}_exc`));
    const splits = Array.from({ length: 400 }, (_, i) => splitOfDocument(MAPPING, `T${i}_inc`));
    expect(splits.filter((s) => s === 'dev').length).toBeGreaterThan(150);
    expect(splits.filter((s) => s === 'dev').length).toBeLessThan(250);
  });

  it('labels a token an entity covers only in part when it covers most of it, and not otherwise', () => {
    const text = 'lithium-induced tremor; Carbo given';
    const [sentence] = documentSentences({ text, entities: [{ type: 'treatment', start: 0, end: 7, sourceType: 'Chemical' }, { type: 'disease', start: 16, end: 22, sourceType: 'Disease' }, { type: 'treatment', start: 24, end: 28, sourceType: 'Medication' }] }, 'x');
    expect(sentence?.tokens).toEqual(['lithium-induced', 'tremor', ';', 'Carbo', 'given']);
    expect(sentence?.labels).toEqual(['O', 'D', 'O', 'T', 'O']);
  });

  it('keeps the longest of overlapping entities, then the earlier', () => {
    expect(withoutOverlaps([{ start: 0, end: 4 }, { start: 2, end: 9 }, { start: 9, end: 12 }, { start: 10, end: 13 }])).toEqual([{ start: 2, end: 9 }, { start: 9, end: 12 }]);
  });
});
