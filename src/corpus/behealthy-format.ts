import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CORPUS_LABELS, type CorpusLabel, type LabeledSentence } from '../core/text/types.js';
import { NerError } from '../errors.js';

export type BeHealthySplit = 'train' | 'test';

/** A file a corpus was read from, with the sha256 of its bytes (for the model card's data hash). */
export interface CorpusFileHash {
  path: string;
  sha256: string;
}

export interface BeHealthyNames {
  sentFile: string;
  labelFile: string;
}

const BEHEALTHY_LAYOUT =
  'expected a BeHealthy corpus directory holding train_sent, train_label, test_sent and test_label ' +
  '(one token per line, a blank line between sentences, line N of *_label labels line N of *_sent)';

/** Parses a BeHealthy sentence file and its label file, given as strings. */
export function parseBeHealthy(sentText: string, labelText: string, names: BeHealthyNames): LabeledSentence[] {
  const sentLines = splitLines(sentText);
  const labelLines = splitLines(labelText);
  const sentences: LabeledSentence[] = [];
  let current: LabeledSentence = { tokens: [], labels: [] };
  const lineCount = Math.max(sentLines.length, labelLines.length);
  for (let index = 0; index < lineCount; index++) {
    const line = index + 1;
    const token = sentLines[index];
    const label = labelLines[index];
    checkSameShape(sentLines, labelLines, index, names);
    if (isBlank(token)) {
      if (current.tokens.length > 0) sentences.push(current);
      current = { tokens: [], labels: [] };
      continue;
    }
    current.tokens.push(checkToken(token ?? '', { file: names.sentFile, line }));
    current.labels.push(checkLabel(label ?? '', { file: names.labelFile, line }));
  }
  if (current.tokens.length > 0) sentences.push(current);
  if (sentences.length === 0) {
    throw new NerError('NER_ERR_CORPUS_EMPTY', `corpus holds no sentence (label file ${names.labelFile})`, {
      file: names.sentFile,
      line: 1,
    });
  }
  return sentences;
}

/** Reads `<split>_sent` and `<split>_label` from a BeHealthy corpus directory. */
export async function readBeHealthySplit(
  corpusDir: string,
  split: BeHealthySplit,
): Promise<{ sentences: LabeledSentence[]; files: CorpusFileHash[] }> {
  const sentFile = join(corpusDir, `${split}_sent`);
  const labelFile = join(corpusDir, `${split}_label`);
  const [sent, label] = await Promise.all([
    readCorpusFile(sentFile, BEHEALTHY_LAYOUT),
    readCorpusFile(labelFile, BEHEALTHY_LAYOUT),
  ]);
  const sentences = parseBeHealthy(sent.text, label.text, { sentFile, labelFile });
  return { sentences, files: [sent.hash, label.hash] };
}

/**
 * Writes sentences in the BeHealthy format: one token per line, a blank line between sentences and,
 * like the published corpus, no newline after the last line.
 */
export function formatBeHealthy(sentences: LabeledSentence[]): { sent: string; label: string } {
  sentences.forEach(validateLabeledSentence);
  return {
    sent: sentences.map((sentence) => sentence.tokens.join('\n')).join('\n\n'),
    label: sentences.map((sentence) => sentence.labels.join('\n')).join('\n\n'),
  };
}

/** Checks a sentence can be written and read back unchanged (used by the writers). */
export function validateLabeledSentence(sentence: LabeledSentence, index: number): void {
  const where = `sentence ${index + 1}`;
  if (sentence.tokens.length === 0) {
    throw new NerError('NER_ERR_CORPUS_EMPTY', `${where} has no token`);
  }
  if (sentence.tokens.length !== sentence.labels.length) {
    throw new NerError(
      'NER_ERR_CORPUS_LENGTH_MISMATCH',
      `${where} has ${sentence.tokens.length} tokens but ${sentence.labels.length} labels`,
    );
  }
  sentence.tokens.forEach((token, tokenIndex) => checkToken(token, {}, `${where}, token ${tokenIndex + 1}: `));
  sentence.labels.forEach((label, tokenIndex) => checkLabel(label, {}, `${where}, token ${tokenIndex + 1}: `));
}

/** Throws NER_ERR_CORPUS_BAD_TOKEN unless the token is non-empty and holds no whitespace. */
export function checkToken(token: string, at: { file?: string; line?: number }, prefix = ''): string {
  if (token === '' || /\s/u.test(token)) {
    const problem = token === '' ? 'is empty' : 'contains whitespace';
    throw new NerError('NER_ERR_CORPUS_BAD_TOKEN', `${prefix}token ${JSON.stringify(token)} ${problem}`, at);
  }
  return token;
}

function checkLabel(label: string, at: { file?: string; line?: number }, prefix = ''): CorpusLabel {
  if (!(CORPUS_LABELS as readonly string[]).includes(label)) {
    throw new NerError(
      'NER_ERR_CORPUS_UNKNOWN_LABEL',
      `${prefix}unknown label ${JSON.stringify(label)}; allowed labels: ${CORPUS_LABELS.join(', ')}`,
      at,
    );
  }
  return label as CorpusLabel;
}

/** A token line and its label line must both be blank or both hold text; a missing line counts as blank. */
function checkSameShape(sentLines: string[], labelLines: string[], index: number, names: BeHealthyNames): void {
  const token = sentLines[index];
  const label = labelLines[index];
  if (isBlank(token) === isBlank(label)) return;
  const line = index + 1;
  const [kind, value, file, other, otherLines] = isBlank(token)
    ? ['label', label, names.labelFile, names.sentFile, sentLines]
    : ['token', token, names.sentFile, names.labelFile, labelLines];
  const otherState =
    index >= otherLines.length ? `${other} ends after line ${otherLines.length}` : `${other} has a blank line`;
  throw new NerError(
    'NER_ERR_CORPUS_LENGTH_MISMATCH',
    `${kind} ${JSON.stringify(value)} here, but ${otherState} ` +
      '(the sentence and label files must have the same lines and blank lines)',
    { file, line },
  );
}

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim() === '';
}

/**
 * Splits text into lines: drops a UTF-8 BOM, accepts `\n` and `\r\n`, and does not count the empty
 * remainder after a final newline as a line.
 */
export function splitLines(text: string): string[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body === '') return [];
  const lines = body.split(/\r?\n/u);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads a UTF-8 corpus file and hashes its bytes; a missing or unreadable file is NER_ERR_CORPUS_FILE_MISSING. */
export async function readCorpusFile(path: string, layout: string): Promise<{ text: string; hash: CorpusFileHash }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new NerError('NER_ERR_CORPUS_FILE_MISSING', `cannot read corpus file (${reason}); ${layout}`, {
      file: path,
      cause: error,
    });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { text: decodeUtf8(bytes, path), hash: { path, sha256 } };
}

function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // Decode again leniently only to point at the first line holding a bad byte.
    const lines = splitLines(bytes.toString('utf8'));
    const line = lines.findIndex((text) => text.includes('\uFFFD')) + 1;
    throw new NerError('NER_ERR_CORPUS_BAD_LINE', 'line is not valid UTF-8', { file, line: line || 1 });
  }
}
