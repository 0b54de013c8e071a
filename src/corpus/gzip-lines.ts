import { gunzipSync, gzipSync } from 'node:zlib';
import { NerError } from '../errors.js';

/** gzip-compressed UTF-8 lines: the shape of every resource file. */
export function gzipLines(lines: readonly string[]): Buffer {
  return gzipSync(Buffer.from(lines.join('\n'), 'utf8'), { level: 9 });
}

export function gunzipLines(bytes: Uint8Array, file: string, what: string): string[] {
  try {
    return gunzipSync(bytes).toString('utf8').split('\n');
  } catch (cause) {
    throw new NerError('NER_ERR_LEXICON_INVALID', `not a gzip-compressed ${what}`, { file, cause });
  }
}
