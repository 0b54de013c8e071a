import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isNerError, NerError, type ErrorCode } from '../../src/errors.js';

describe('error catalogue', () => {
  it('documents every code in docs/errors.md with its HTTP status', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(doc, `${code} is not documented`).toMatch(new RegExp(`\\| \`${code}\` \\| ${spec.statusCode} \\|`));
    }
  });

  it('documents no code that does not exist', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/`(NER_ERR_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(documented.filter((code) => !(code as string in ERROR_CATALOGUE))).toEqual([]);
  });

  it('prefixes the message with file and line and keeps the code and status', () => {
    const error = new NerError('NER_ERR_CORPUS_BAD_TOKEN', 'token has a space', { file: 'train_sent', line: 12 });
    expect(error.message).toBe('train_sent:12: token has a space');
    expect(error.code).toBe('NER_ERR_CORPUS_BAD_TOKEN');
    expect(error.statusCode).toBe(400);
    expect(isNerError(error, 'NER_ERR_CORPUS_BAD_TOKEN' as ErrorCode)).toBe(true);
    expect(isNerError(new Error('x'))).toBe(false);
  });
});
