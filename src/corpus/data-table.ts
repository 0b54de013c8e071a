import { readFile } from 'node:fs/promises';
import { NerError, type ErrorCode } from '../errors.js';

/**
 * The shipped data tables (data/brands.tsv, data/indications.tsv) and a deployment's own: UTF-8, tab-separated,
 * `#` comments and blank lines anywhere, one header line naming the columns in order. Every malformed line is
 * the table's error code naming the file and line.
 */
export interface DataRow {
  /** The row's fields, trimmed, one per column. */
  fields: string[];
  line: number;
  /** Throws the table's error at this line. */
  fail(message: string): never;
}

export function forEachDataRow(text: string, file: string, columns: readonly string[], code: ErrorCode, visit: (row: DataRow) => void): void {
  let header = false;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const fail = (message: string): never => {
      throw new NerError(code, message, { file, line });
    };
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const fields = raw.split('\t');
    if (!header) {
      if (fields.join('\t') !== columns.join('\t')) fail(`expected the header line "${columns.join('<TAB>')}"`);
      header = true;
      return;
    }
    if (fields.length !== columns.length) fail(`expected ${columns.length} tab-separated fields (${columns.join(', ')}), got ${fields.length}`);
    visit({ fields: fields.map((f) => f.trim()), line, fail });
  });
  if (!header) throw new NerError(code, `no header line "${columns.join('<TAB>')}"`, { file });
}

/** A data file's text; a file that cannot be read is `code`, naming it (a data table, annotated notes). */
export async function readDataTable(file: string, what: string, code: ErrorCode): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new NerError(code, `cannot read the ${what} file`, { file, cause });
  }
}
