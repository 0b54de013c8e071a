import { CsvError, parse } from 'csv-parse/sync';

/**
 * A CSV file (RFC 4180: a header row, quoted fields may span lines, "" is a quote inside one) read record
 * by record, so that one bad record costs that record only. Records are delimited first (a line break
 * outside quotes ends one), then each is parsed by csv-parse on its own. A record whose quotes are wrong
 * (a quote never closed, a closing quote followed by text) is reported at the line where it starts, and
 * reading resumes on the next line: an unclosed quote would otherwise swallow every record after it. The
 * lines such a record spanned inside its quotes are then read as records of their own (and usually
 * reported too). Reasons name the problem, the line and the column, never the text.
 */
export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  /** The fields by header name. */
  fields: Record<string, string>;
}

export interface CsvProblem {
  line: number;
  reason: string;
}

export interface CsvReading {
  header: string[];
  records: CsvRecord[];
  problems: CsvProblem[];
}

const QUOTE_ERRORS = new Set(['CSV_QUOTE_NOT_CLOSED', 'CSV_INVALID_CLOSING_QUOTE', 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE', 'INVALID_OPENING_QUOTE']);

/** Where the record starting at `start` ends (exclusive, before its line break) and where the next one starts. */
function delimitRecord(content: string, start: number): { end: number; next: number } {
  let quoted = false;
  for (let pos = start; pos < content.length; pos++) {
    const c = content.charCodeAt(pos);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x0a && !quoted) return { end: pos > start && content.charCodeAt(pos - 1) === 0x0d ? pos - 1 : pos, next: pos + 1 };
  }
  return { end: content.length, next: content.length };
}

/** The start offsets of every line, to turn offsets into line numbers and to resume on a line. */
function lineStarts(content: string): number[] {
  const starts = [0];
  for (let pos = content.indexOf('\n'); pos !== -1; pos = content.indexOf('\n', pos + 1)) starts.push(pos + 1);
  return starts;
}

/** The 0-based index of the line holding `offset`. */
function lineIndexOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] as number) <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

function fieldName(error: CsvError, header: readonly string[]): string {
  const { column, index } = error as { column?: unknown; index?: unknown };
  if (typeof column === 'string' && column !== '') return ` in column "${column}"`;
  if (typeof index === 'number') return header[index] !== undefined ? ` in column "${header[index]}"` : ` in field ${index + 1}`;
  return '';
}

/** Why csv-parse refused a record, in words of our own: its messages quote the field's value. */
function describeCsvError(error: CsvError, record: string, header: readonly string[]): string {
  const where = fieldName(error, header);
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `a quoted field opened here is never closed${where}`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `a closing quote is followed by other characters${where} (a quote inside a quoted field is written "")`;
    case 'INVALID_OPENING_QUOTE':
      return `a quote inside an unquoted field${where} (quote the whole field and write the quote as "")`;
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const fields = (parse(record, { relax_column_count: true, relax_quotes: true }) as string[][])[0]?.length;
      const count = fields === undefined ? 'a different number of fields' : `${fields} field${fields === 1 ? '' : 's'}`;
      return `the record has ${count}, the header ${header.length} (a comma in a text must be inside quotes)`;
    }
    default:
      return `not a valid CSV record (${error.code})`;
  }
}

export function readCsvRecords(text: string): CsvReading {
  const content = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const starts = lineStarts(content);
  const problems: CsvProblem[] = [];
  const records: CsvRecord[] = [];
  let header: string[] | undefined;
  let pos = 0;
  while (pos < content.length) {
    const { end, next } = delimitRecord(content, pos);
    const record = content.slice(pos, end);
    const lineIndex = lineIndexOf(starts, pos);
    if (record.trim() === '') {
      pos = next;
      continue;
    }
    try {
      if (header === undefined) {
        header = (parse(record) as string[][])[0] ?? [];
      } else {
        const [fields] = parse(record, { columns: header }) as Record<string, string>[];
        if (fields) records.push({ line: lineIndex + 1, fields });
      }
      pos = next;
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      if (header === undefined) {
        problems.push({ line: lineIndex + 1, reason: `the header is not readable: ${describeCsvError(error, record, [])}; the file is skipped` });
        return { header: [], records, problems };
      }
      problems.push({ line: lineIndex + 1, reason: describeCsvError(error, record, header) });
      // Quotes gone wrong leave the record's extent unknown: resume on the line after its first.
      pos = QUOTE_ERRORS.has(error.code) ? (starts[lineIndex + 1] ?? content.length) : next;
    }
  }
  return { header: header ?? [], records, problems };
}
