import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabeledSentence } from '../../src/core/text/types.js';
import { formatConll, parseConll, readConll } from '../../src/corpus/index.js';
import { spansFromCorpusLabels as spansFromLabels } from '../../src/core/tagger/label-codec.js';
import { NerError, type ErrorCode } from '../../src/errors.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE = 'notes.conll';

function thrown(run: () => unknown): NerError {
  try {
    run();
  } catch (error) {
    if (error instanceof NerError) return error;
    throw error;
  }
  throw new Error('expected a NerError, nothing was thrown');
}

function expectError(text: string, code: ErrorCode, line: number): NerError {
  const error = thrown(() => parseConll(text, FILE));
  expect(error.code).toBe(code);
  expect(error.line).toBe(line);
  expect(error.message.startsWith(`${FILE}:${line}: `)).toBe(true);
  return error;
}

describe('parseConll', () => {
  it('reads IOB2 tags into labels and spans, keeping adjacent same-type entities apart', () => {
    const text = [
      '-DOCSTART-\tO',
      '',
      'Start\tO',
      'aspirin\tB-T',
      'clopidogrel\tB-T',
      'for\tO',
      'unstable\tB-D',
      'angina\tI-D',
      '',
      'Nothing\tO',
      'here\tO',
    ].join('\n');
    expect(parseConll(text, FILE)).toEqual({
      sentences: [
        { tokens: ['Start', 'aspirin', 'clopidogrel', 'for', 'unstable', 'angina'], labels: ['O', 'T', 'T', 'O', 'D', 'D'] },
        { tokens: ['Nothing', 'here'], labels: ['O', 'O'] },
      ],
      spans: [
        [
          { type: 'T', start: 1, end: 2 },
          { type: 'T', start: 2, end: 3 },
          { type: 'D', start: 4, end: 6 },
        ],
        [],
      ],
    });
  });

  it('reads IOB1, where I- starts a span and B- only splits adjacent ones', () => {
    const { sentences, spans } = parseConll('heart\tI-D\nfailure\tI-D\nand\tO\ngout\tI-D\nasthma\tB-D', FILE);
    expect(sentences[0]?.labels).toEqual(['D', 'D', 'O', 'D', 'D']);
    expect(spans[0]).toEqual([
      { type: 'D', start: 0, end: 2 },
      { type: 'D', start: 3, end: 4 },
      { type: 'D', start: 4, end: 5 },
    ]);
  });

  it('starts a new span when I- follows a span of another type', () => {
    expect(parseConll('a\tB-D\nb\tI-T', FILE).spans[0]).toEqual([
      { type: 'D', start: 0, end: 1 },
      { type: 'T', start: 1, end: 2 },
    ]);
  });

  it('maps entity type names through the default and a custom type map', () => {
    const text = 'a\tB-DISEASE\nb\tI-disease\nc\tB-TREATMENT\nd\tB-treatment';
    expect(parseConll(text, FILE).spans[0]).toEqual([
      { type: 'D', start: 0, end: 2 },
      { type: 'T', start: 2, end: 3 },
      { type: 'T', start: 3, end: 4 },
    ]);
    expect(parseConll('a\tB-Drug\nb\tB-Problem', FILE, { Drug: 'T', Problem: 'D' }).sentences[0]?.labels).toEqual(['T', 'D']);
  });

  it('accepts one space as separator, CRLF, a BOM, trailing whitespace and extra blank lines', () => {
    const text = '\uFEFF\r\n\r\nsevere B-D\r\nsepsis\tI-D  \r\n\r\n\r\n\r\n-DOCSTART- O\r\nok O\r\n';
    expect(parseConll(text, FILE).sentences).toEqual([
      { tokens: ['severe', 'sepsis'], labels: ['D', 'D'] },
      { tokens: ['ok'], labels: ['O'] },
    ]);
  });

  it('treats -DOCSTART- as a sentence boundary', () => {
    expect(parseConll('a\tO\n-DOCSTART- -X- O O\nb\tO', FILE).sentences).toHaveLength(2);
  });

  it.each([['E-D'], ['B-'], ['X'], ['o'], ['B_D'], ['S-T']])('rejects the malformed tag %j', (tag) => {
    const error = expectError(`a\tO\n\nb\t${tag}`, 'NER_ERR_CORPUS_UNKNOWN_LABEL', 3);
    expect(error.message).toContain(JSON.stringify(tag));
  });

  it.each([['B-Drug'], ['I-constructor'], ['B-__proto__']])('rejects the unmapped type in %j', (tag) => {
    const error = expectError(`a\tO\nb\t${tag}`, 'NER_ERR_CORPUS_UNKNOWN_LABEL', 2);
    expect(error.message).toContain('not mapped');
    expect(error.message).toContain('DISEASE');
  });

  it.each([
    ['a token without a tag', 'lonely'],
    ['a tab with nothing after it', 'lonely\t'],
    ['three tab-separated fields', 'a\tNN\tO'],
    ['two spaces', 'a NN O'],
    ['an empty tag between tabs', 'a\t\tO'],
  ])('rejects %s as a bad line', (_name, line) => {
    expectError(`x\tO\ny\tO\n\n${line}`, 'NER_ERR_CORPUS_BAD_LINE', 4);
  });

  it.each([['two words\tO'], ['\tO']])('rejects the bad token in %j', (line) => {
    expectError(`x\tO\n${line}`, 'NER_ERR_CORPUS_BAD_TOKEN', 2);
  });

  it.each([[''], ['\n\n'], ['-DOCSTART-\tO\n\n']])('rejects an empty file %j', (text) => {
    expectError(text, 'NER_ERR_CORPUS_EMPTY', 1);
  });
});

describe('formatConll', () => {
  const sentences: LabeledSentence[] = [
    { tokens: ['aspirin', 'clopidogrel', 'for', 'angina'], labels: ['T', 'T', 'O', 'D'] },
    { tokens: ['None'], labels: ['O'] },
  ];

  it('writes BIO tags, one entity per run of a label when no spans are given', () => {
    expect(formatConll(sentences)).toBe('aspirin\tB-T\nclopidogrel\tI-T\nfor\tO\nangina\tB-D\n\nNone\tO\n');
  });

  it('writes B- at every span start when spans are given', () => {
    const spans = [[{ type: 'T', start: 0, end: 1 }, { type: 'T', start: 1, end: 2 }, { type: 'D', start: 3, end: 4 }], []] as const;
    expect(formatConll(sentences, spans.map((list) => [...list]))).toBe(
      'aspirin\tB-T\nclopidogrel\tB-T\nfor\tO\nangina\tB-D\n\nNone\tO\n',
    );
  });

  it('rejects spans that disagree with the labels', () => {
    for (const spans of [
      [[{ type: 'D' as const, start: 0, end: 1 }], []],
      [[{ type: 'T' as const, start: 0, end: 2 }], []],
      [[{ type: 'T' as const, start: 0, end: 2 }, { type: 'T' as const, start: 1, end: 2 }, { type: 'D' as const, start: 3, end: 4 }], []],
      [[{ type: 'T' as const, start: 0, end: 2 }, { type: 'D' as const, start: 3, end: 9 }], []],
      [[{ type: 'T' as const, start: 0, end: 2 }, { type: 'D' as const, start: 3, end: 3 }], []],
      [[]],
    ]) {
      expect(thrown(() => formatConll(sentences, spans)).code).toBe('NER_ERR_INPUT_INVALID');
    }
  });

  it('refuses a token with whitespace', () => {
    expect(thrown(() => formatConll([{ tokens: ['a b'], labels: ['O'] }])).code).toBe('NER_ERR_CORPUS_BAD_TOKEN');
  });

  it('round-trips sentences and spans through parseConll', () => {
    const text = 'a\tB-D\nb\tB-D\nc\tI-D\nd\tO\ne\tB-T\n\nf\tO\n';
    const parsed = parseConll(text, FILE);
    expect(formatConll(parsed.sentences, parsed.spans)).toBe(text);
    expect(parseConll(formatConll(parsed.sentences, parsed.spans), FILE)).toEqual(parsed);
  });
});

describe('spansFromLabels', () => {
  it('makes one span per maximal run of a label', () => {
    expect(spansFromLabels(['D', 'D', 'T', 'O', 'T', 'T', 'D'])).toEqual([
      { type: 'D', start: 0, end: 2 },
      { type: 'T', start: 2, end: 3 },
      { type: 'T', start: 4, end: 6 },
      { type: 'D', start: 6, end: 7 },
    ]);
  });
});

describe('readConll', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corpus-conll-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file with its sha256', async () => {
    const path = join(dir, 'ok.conll');
    await writeFile(path, 'gout\tB-D\n');
    const corpus = await readConll(path);
    expect(corpus.sentences).toEqual([{ tokens: ['gout'], labels: ['D'] }]);
    expect(corpus.files).toEqual([{ path, sha256: createHash('sha256').update('gout\tB-D\n').digest('hex') }]);
  });

  it('names the full path and line of a bad tag', async () => {
    const path = join(dir, 'bad.conll');
    await writeFile(path, 'a\tO\n\nb\tO\nc\tB-XYZ\n');
    await expect(readConll(path)).rejects.toMatchObject({
      code: 'NER_ERR_CORPUS_UNKNOWN_LABEL',
      message: expect.stringContaining(`${path}:4: `),
    });
  });

  it('reports a missing file', async () => {
    const path = join(dir, 'missing.conll');
    await expect(readConll(path)).rejects.toMatchObject({
      code: 'NER_ERR_CORPUS_FILE_MISSING',
      message: expect.stringContaining(path),
    });
  });

  it('reads the sample corpus/sample/sample.conll and writes it back unchanged', async () => {
    const path = join(REPO_ROOT, 'corpus', 'sample', 'sample.conll');
    const { sentences, spans } = await readConll(path);
    expect(sentences).toHaveLength(4);
    expect(sentences[0]?.tokens.slice(3, 6)).toEqual(['metoprolol', 'ramipril', 'atorvastatin']);
    expect(spans[0]?.slice(0, 3)).toEqual([
      { type: 'T', start: 3, end: 4 },
      { type: 'T', start: 4, end: 5 },
      { type: 'T', start: 5, end: 6 },
    ]);
    expect(spans[1]?.filter((span) => span.type === 'D')).toEqual([
      { type: 'D', start: 3, end: 4 },
      { type: 'D', start: 4, end: 5 },
    ]);
    const original = await readFile(path, 'utf8');
    expect(`-DOCSTART-\tO\n\n${formatConll(sentences, spans)}`).toBe(original);
  });
});
