import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NerError } from '../errors.js';
import { readCsvRecords } from './csv-records.js';
import { describeJsonSyntax } from './json-syntax-problem.js';

/**
 * The inbox the platform exports to: a folder per day, `<INBOX_DIR>/<YYYY-MM-DD>/`, holding any number of
 *   *.jsonl / *.ndjson  one note per line: {"id": "…", "text": "…"} (other fields are ignored)
 *   *.csv               a header row with `id` and `text` columns (RFC 4180: quoted fields may span lines)
 * read in file-name order. A bad line or record, or a note id seen earlier that day, is reported with its
 * file and line and skipped; the rest of the file and the day go on. Reasons never quote a note.
 */
export interface InboxNote {
  id: string;
  text: string;
}

export interface InboxProblem {
  file: string;
  line: number;
  /** The note id when the line had one. */
  noteId?: string;
  reason: string;
}

export interface InboxDay {
  day: string;
  notes: InboxNote[];
  problems: InboxProblem[];
  files: { name: string; sha256: string; notes: number }[];
  /** sha256 over the files' names and digests: the same export gives the same value. */
  sha256: string;
}

const NOTE_FILE = /\.(jsonl|ndjson|csv)$/i;

/** Parses one JSONL line into a note, or says what is wrong with it (never quoting the note). */
export function parseNoteLine(line: string): { id: string; text: string } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // JSON.parse's message quotes the line (the note): the reason is worked out without it.
    return { problem: describeJsonSyntax(line) };
  }
  const note = value as { id?: unknown; text?: unknown };
  if (typeof note !== 'object' || note === null || Array.isArray(note)) return { problem: 'expected an object {"id", "text"}' };
  if (typeof note.text !== 'string') return { problem: '"text" must be a string' };
  if (note.id !== undefined && typeof note.id !== 'string' && typeof note.id !== 'number') return { problem: '"id" must be a string or a number' };
  return { id: note.id === undefined ? '' : String(note.id), text: note.text };
}

export function assertDay(day: string): void {
  const date = new Date(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) {
    throw new NerError('NER_ERR_CLI_USAGE', `a day is written YYYY-MM-DD (a real date), got "${day}"`);
  }
}

function csvNotes(name: string, content: string, add: (line: number, id: unknown, text: unknown) => void, problem: (p: InboxProblem) => void): void {
  const { header, records, problems } = readCsvRecords(content);
  if (header.length > 0 && !(header.includes('id') && header.includes('text'))) {
    problem({ file: name, line: 1, reason: `the header must name an "id" and a "text" column (it has: ${header.join(', ')}); the file is skipped` });
    return;
  }
  // In line order, so a note's problems and the records around it read as in the file.
  const events = [...problems.map((p) => ({ line: p.line, reason: p.reason })), ...records.map((r) => ({ line: r.line, fields: r.fields }))].sort((a, b) => a.line - b.line);
  for (const event of events) {
    if ('reason' in event) problem({ file: name, line: event.line, reason: event.reason });
    else add(event.line, event.fields.id, event.fields.text);
  }
}

/** Reads a day of the inbox. A day without a folder is an error: there is nothing to run. */
export async function readInboxDay(inboxDir: string, day: string): Promise<InboxDay> {
  assertDay(day);
  const folder = join(inboxDir, day);
  const names = await readdir(folder).catch((cause: unknown) => {
    throw new NerError('NER_ERR_INBOX_DAY_MISSING', `no inbox folder for ${day} (expected ${folder} holding *.jsonl or *.csv files)`, { cause });
  });
  const notes: InboxNote[] = [];
  const problems: InboxProblem[] = [];
  const files: InboxDay['files'] = [];
  const firstSeen = new Map<string, string>();
  const digest = createHash('sha256');
  for (const name of names.filter((n) => NOTE_FILE.test(n)).sort()) {
    const bytes = await readFile(join(folder, name));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    digest.update(`${name}\0${sha256}\n`);
    const before = notes.length;
    const add = (line: number, id: unknown, text: unknown): void => {
      const noteId = typeof id === 'string' || typeof id === 'number' ? String(id).trim() : '';
      const earlier = firstSeen.get(noteId);
      if (noteId === '') problems.push({ file: name, line, reason: 'the note has no id (the nightly run stores records by note id)' });
      else if (typeof text !== 'string') problems.push({ file: name, line, noteId, reason: 'the note has no text' });
      else if (earlier) problems.push({ file: name, line, noteId, reason: `note id already seen at ${earlier}; this one is skipped` });
      else {
        firstSeen.set(noteId, `${name}:${line}`);
        notes.push({ id: noteId, text });
      }
    };
    const content = bytes.toString('utf8');
    if (/\.csv$/i.test(name)) {
      csvNotes(name, content, add, (p) => problems.push(p));
    } else {
      content.split('\n').forEach((raw, index) => {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line.trim() === '') return;
        const parsed = parseNoteLine(line);
        if ('problem' in parsed) problems.push({ file: name, line: index + 1, reason: parsed.problem });
        else add(index + 1, parsed.id, parsed.text);
      });
    }
    files.push({ name, sha256, notes: notes.length - before });
  }
  return { day, notes, problems, files, sha256: digest.digest('hex') };
}
