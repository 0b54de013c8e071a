import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorpusLabel, LabeledSentence } from '../../src/core/text/types.js';
import { formatBeHealthy, parseBeHealthy, readBeHealthySplit } from '../../src/corpus/index.js';
import { NerError, type ErrorCode } from '../../src/errors.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAMES = { sentFile: 'x_sent', labelFile: 'x_label' };

function thrown(run: () => unknown): NerError {
  try {
    run();
  } catch (error) {
    if (error instanceof NerError) return error;
    throw error;
  }
  throw new Error('expected a NerError, nothing was thrown');
}

function expectError(run: () => unknown, code: ErrorCode, file: string, line: number): NerError {
  const error = thrown(run);
  expect(error.code).toBe(code);
  expect(error.file).toBe(file);
  expect(error.line).toBe(line);
  expect(error.message.startsWith(`${file}:${line}: `)).toBe(true);
  return error;
}

const parse = (sent: string, label: string) => parseBeHealthy(sent, label, NAMES);

const TWO_SENTENCES: LabeledSentence[] = [
  { tokens: ['Aspirin', 'prevents', 'stroke'], labels: ['T', 'O', 'D'] },
  { tokens: ['No', 'labels', 'here'], labels: ['O', 'O', 'O'] },
];

describe('parseBeHealthy', () => {
  it('reads sentences separated by a blank line', () => {
    expect(parse('Aspirin\nprevents\nstroke\n\nNo\nlabels\nhere', 'T\nO\nD\n\nO\nO\nO')).toEqual(TWO_SENTENCES);
  });

  it.each([
    ['CRLF line endings', 'Aspirin\r\nprevents\r\nstroke\r\n\r\nNo\r\nlabels\r\nhere', 'T\r\nO\r\nD\r\n\r\nO\r\nO\r\nO'],
    ['a trailing newline', 'Aspirin\nprevents\nstroke\n\nNo\nlabels\nhere\n', 'T\nO\nD\n\nO\nO\nO\n'],
    ['a trailing newline in one file only', 'Aspirin\nprevents\nstroke\n\nNo\nlabels\nhere\n', 'T\nO\nD\n\nO\nO\nO'],
    ['several blank lines in a row', '\n\nAspirin\nprevents\nstroke\n\n\n\nNo\nlabels\nhere\n\n', '\n\nT\nO\nD\n\n\n\nO\nO\nO\n\n'],
    ['whitespace-only separator lines', 'Aspirin\nprevents\nstroke\n \nNo\nlabels\nhere', 'T\nO\nD\n\t\nO\nO\nO'],
    ['a UTF-8 BOM', '\uFEFFAspirin\nprevents\nstroke\n\nNo\nlabels\nhere', '\uFEFFT\nO\nD\n\nO\nO\nO'],
  ])('accepts %s', (_name, sent, label) => {
    expect(parse(sent, label)).toEqual(TWO_SENTENCES);
  });

  it('keeps non-ASCII tokens', () => {
    expect(parse('Sjögren\nsyndrome', 'D\nD')).toEqual([{ tokens: ['Sjögren', 'syndrome'], labels: ['D', 'D'] }]);
  });

  it('reports a token facing a blank label line', () => {
    const error = expectError(() => parse('a\nb\nc\n\nd', 'O\nO\n\nO\nO'), 'NER_ERR_CORPUS_LENGTH_MISMATCH', 'x_sent', 3);
    expect(error.message).toContain('x_label has a blank line');
  });

  it('reports a label facing a blank token line', () => {
    const error = expectError(() => parse('a\n\nb', 'O\nO\nO'), 'NER_ERR_CORPUS_LENGTH_MISMATCH', 'x_label', 2);
    expect(error.message).toContain('x_sent has a blank line');
  });

  it('reports where the label file ends', () => {
    const error = expectError(() => parse('a\nb\n\nc\nd', 'O\nO\n\nO\n'), 'NER_ERR_CORPUS_LENGTH_MISMATCH', 'x_sent', 5);
    expect(error.message).toContain('x_label ends after line 4');
  });

  it('reports where the sentence file ends', () => {
    const error = expectError(() => parse('a\nb', 'O\nO\n\n\nO'), 'NER_ERR_CORPUS_LENGTH_MISMATCH', 'x_label', 5);
    expect(error.message).toContain('x_sent ends after line 2');
  });

  it.each([['X'], ['d'], ['B-D'], ['D ']])('rejects the label %j, quoting it and listing the allowed ones', (label) => {
    const error = expectError(() => parse('a\nb\n\nc', `O\nO\n\n${label}`), 'NER_ERR_CORPUS_UNKNOWN_LABEL', 'x_label', 4);
    expect(error.message).toContain(JSON.stringify(label));
    expect(error.message).toContain('D, T, O');
  });

  it('counts lines after a BOM and CRLF correctly', () => {
    expectError(() => parse('\uFEFFa\r\nb\r\n\r\nc', '\uFEFFO\r\nO\r\n\r\nZ'), 'NER_ERR_CORPUS_UNKNOWN_LABEL', 'x_label', 4);
  });

  it.each([['two words'], ['tab\tinside'], [' leading'], ['no-break\u00A0space']])(
    'rejects the token %j',
    (token) => {
      const error = expectError(() => parse(`a\n${token}`, 'O\nO'), 'NER_ERR_CORPUS_BAD_TOKEN', 'x_sent', 2);
      expect(error.message).toContain('whitespace');
    },
  );

  it.each([[''], ['\n\n\n'], ['\uFEFF'], ['\r\n \r\n']])('rejects an empty corpus %j', (text) => {
    const error = expectError(() => parse(text, text), 'NER_ERR_CORPUS_EMPTY', 'x_sent', 1);
    expect(error.message).toContain('x_label');
  });
});

describe('formatBeHealthy', () => {
  it('writes the corpus layout without a trailing newline', () => {
    expect(formatBeHealthy(TWO_SENTENCES)).toEqual({
      sent: 'Aspirin\nprevents\nstroke\n\nNo\nlabels\nhere',
      label: 'T\nO\nD\n\nO\nO\nO',
    });
  });

  it('round-trips any valid corpus', () => {
    const token = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).filter((text) => !/\s/u.test(text));
    const label = fc.constantFrom<CorpusLabel>('D', 'T', 'O');
    const sentence = fc
      .array(fc.tuple(token, label), { minLength: 1, maxLength: 6 })
      .map((pairs) => ({ tokens: pairs.map(([text]) => text), labels: pairs.map(([, tag]) => tag) }));
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 5 }), (sentences) => {
        const { sent, label: labels } = formatBeHealthy(sentences);
        expect(parse(sent, labels)).toEqual(sentences);
      }),
    );
  });

  it.each<[string, LabeledSentence, ErrorCode]>([
    ['a token with a space', { tokens: ['a b'], labels: ['O'] }, 'NER_ERR_CORPUS_BAD_TOKEN'],
    ['an empty token', { tokens: [''], labels: ['O'] }, 'NER_ERR_CORPUS_BAD_TOKEN'],
    ['an unknown label', { tokens: ['a'], labels: ['X' as CorpusLabel] }, 'NER_ERR_CORPUS_UNKNOWN_LABEL'],
    ['fewer labels than tokens', { tokens: ['a', 'b'], labels: ['O'] }, 'NER_ERR_CORPUS_LENGTH_MISMATCH'],
    ['an empty sentence', { tokens: [], labels: [] }, 'NER_ERR_CORPUS_EMPTY'],
  ])('refuses %s, naming the sentence', (_name, bad, code) => {
    const error = thrown(() => formatBeHealthy([TWO_SENTENCES[0]!, bad]));
    expect(error.code).toBe(code);
    expect(error.message).toContain('sentence 2');
  });
});

describe('readBeHealthySplit', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corpus-behealthy-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeSplit(name: string, sent: string | Buffer, label: string | Buffer): Promise<string> {
    const splitDir = join(dir, name);
    await mkdir(splitDir, { recursive: true });
    await writeFile(join(splitDir, 'train_sent'), sent);
    await writeFile(join(splitDir, 'train_label'), label);
    return splitDir;
  }

  it('reads a split and the sha256 of both files', async () => {
    const splitDir = await writeSplit('ok', 'Aspirin\nprevents\nstroke', 'T\nO\nD');
    const { sentences, files } = await readBeHealthySplit(splitDir, 'train');
    expect(sentences).toEqual([TWO_SENTENCES[0]]);
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(files).toEqual([
      { path: join(splitDir, 'train_sent'), sha256: sha('Aspirin\nprevents\nstroke') },
      { path: join(splitDir, 'train_label'), sha256: sha('T\nO\nD') },
    ]);
  });

  it('names the missing file and the expected layout', async () => {
    const splitDir = await writeSplit('ok2', 'a', 'O');
    const error = await readBeHealthySplit(splitDir, 'test').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NerError);
    expect((error as NerError).code).toBe('NER_ERR_CORPUS_FILE_MISSING');
    expect((error as NerError).message).toContain(join(splitDir, 'test_'));
    expect((error as NerError).message).toContain('train_sent, train_label, test_sent and test_label');
  });

  it('reports a missing directory as a missing file', async () => {
    await expect(readBeHealthySplit(join(dir, 'nowhere'), 'train')).rejects.toMatchObject({
      code: 'NER_ERR_CORPUS_FILE_MISSING',
    });
  });

  it('names the full path and line of a bad label', async () => {
    const splitDir = await writeSplit('bad-label', 'a\nb\n\nc', 'O\nO\n\nQ');
    const path = join(splitDir, 'train_label');
    await expect(readBeHealthySplit(splitDir, 'train')).rejects.toMatchObject({
      code: 'NER_ERR_CORPUS_UNKNOWN_LABEL',
      message: expect.stringContaining(`${path}:4: unknown label "Q"`),
    });
  });

  it('rejects a file that is not UTF-8, naming the line', async () => {
    const latin1 = Buffer.concat([Buffer.from('a\nb\n\n'), Buffer.from([0x53, 0x6a, 0xf6, 0x67, 0x72, 0x65, 0x6e])]);
    const splitDir = await writeSplit('latin1', latin1, 'O\nO\n\nD');
    await expect(readBeHealthySplit(splitDir, 'train')).rejects.toMatchObject({
      code: 'NER_ERR_CORPUS_BAD_LINE',
      message: expect.stringContaining(`${join(splitDir, 'train_sent')}:4:`),
    });
  });
});

describe('the sample corpus in corpus/sample', () => {
  const sampleDir = join(REPO_ROOT, 'corpus', 'sample');

  function count(sentences: LabeledSentence[]) {
    const labels = sentences.flatMap((sentence) => sentence.labels);
    return {
      sentences: sentences.length,
      tokens: labels.length,
      D: labels.filter((label) => label === 'D').length,
      T: labels.filter((label) => label === 'T').length,
      unlabelled: sentences.filter((sentence) => sentence.labels.every((label) => label === 'O')).length,
    };
  }

  it.each([
    ['train', { sentences: 42, tokens: 536, D: 50, T: 41, unlabelled: 20 }],
    ['test', { sentences: 15, tokens: 157, D: 20, T: 21, unlabelled: 6 }],
  ] as const)('parses the %s split with the documented counts', async (split, expected) => {
    const { sentences } = await readBeHealthySplit(sampleDir, split);
    expect(count(sentences)).toEqual(expected);
  });

  it.each(['train', 'test'] as const)('is written exactly as formatBeHealthy writes the %s split', async (split) => {
    const { sentences } = await readBeHealthySplit(sampleDir, split);
    const written = formatBeHealthy(sentences);
    expect(written.sent).toBe(await readFile(join(sampleDir, `${split}_sent`), 'utf8'));
    expect(written.label).toBe(await readFile(join(sampleDir, `${split}_label`), 'utf8'));
  });
});

describe('the shared BeHealthy corpus', () => {
  const corpusDir = resolve(REPO_ROOT, process.env.CORPUS_DIR ?? '../shared/corpus/behealthy');

  it.each([
    ['train', { sentences: 2599, tokens: 45902, D: 3439, T: 2780 }],
    ['test', { sentences: 1056, tokens: 18618, D: 1450, T: 1041 }],
  ] as const)('%s split has the counts its README states', async (split, expected) => {
    const { sentences, files } = await readBeHealthySplit(corpusDir, split);
    const labels = sentences.flatMap((sentence) => sentence.labels);
    expect({
      sentences: sentences.length,
      tokens: labels.length,
      D: labels.filter((label) => label === 'D').length,
      T: labels.filter((label) => label === 'T').length,
    }).toEqual(expected);
    expect(files.map((file) => file.path)).toEqual([join(corpusDir, `${split}_sent`), join(corpusDir, `${split}_label`)]);
    expect(files.every((file) => /^[0-9a-f]{64}$/u.test(file.sha256))).toBe(true);
  });
});
