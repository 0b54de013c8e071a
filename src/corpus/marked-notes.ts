import { ASSERTIONS, type Assertion, type EntityType } from '../core/text/types.js';
import { NerError, type ErrorCode } from '../errors.js';
import { readCorpusFile, splitLines, type CorpusFileHash } from './behealthy-format.js';
import type { AnnotatedNote, NoteEntity } from './jsonl-annotations.js';

/**
 * Marked notes (`*.marked.txt`): notes written by hand with their entities marked inline.
 *
 * ```
 * # comment (only before the first record)
 * ## rx-001
 * Pt c/o [fever]{D} x3d. Rx: tab [azithromycin]{T} 500mg OD x5d.
 * No h/o [asthma]{D:absent}.
 * ```
 *
 * A record is a `## <id>` line and the lines after it up to the next `## ` line; blank lines at its start
 * and end are dropped, line breaks inside it are kept as `\n`. `[surface]{D}`, `{T}`, `{D:<assertion>}`
 * mark an entity; `\[ \] \{ \} \\` are literal characters. Offsets are into the text without the markup.
 */

const LAYOUT =
  'expected a marked-notes file: "## <id>" lines, each followed by the note text with entities marked ' +
  'as [surface]{D}, [surface]{T} or [surface]{D:absent} (assertions: ' +
  `${ASSERTIONS.join(', ')})`;

const TYPE_OF_LETTER: Readonly<Record<string, EntityType>> = { D: 'disease', T: 'treatment' };
const LETTER_OF_TYPE: Readonly<Record<EntityType, string>> = { disease: 'D', treatment: 'T' };
const ESCAPED = new Set(['[', ']', '{', '}', '\\']);
/** `## id` starts a record; `##` followed by nothing or whitespace is a header with a missing id. */
const HEADER = /^##(?:[ \t]|$)/u;
/** Before the first record: `# …` (or a lone `#`) is a comment. */
const COMMENT = /^#(?:[ \t]|$)/u;

interface Location {
  file: string;
  line: number;
}

interface RawRecord {
  id: string;
  at: Location;
  lines: { raw: string; at: Location }[];
}

/** Parses marked notes; every malformed line is an NerError naming `file:line`. An empty file gives `[]`. */
export function parseMarkedNotes(text: string, file: string): AnnotatedNote[] {
  const records: RawRecord[] = [];
  const idLines = new Map<string, number>();
  let current: RawRecord | undefined;
  splitLines(text).forEach((raw, index) => {
    const at = { file, line: index + 1 };
    if (HEADER.test(raw)) {
      const id = raw.slice(2).trim();
      if (id === '') fail('NER_ERR_CORPUS_BAD_LINE', 'record header "## <id>" has no id', at);
      if (/\s/u.test(id)) fail('NER_ERR_CORPUS_BAD_LINE', `record id ${JSON.stringify(id)} contains whitespace`, at);
      const firstLine = idLines.get(id);
      if (firstLine !== undefined) {
        fail('NER_ERR_CORPUS_BAD_LINE', `record id ${JSON.stringify(id)} is already used on line ${firstLine}`, at);
      }
      idLines.set(id, at.line);
      current = { id, at, lines: [] };
      records.push(current);
      return;
    }
    if (current !== undefined) {
      current.lines.push({ raw, at });
      return;
    }
    if (raw.trim() !== '' && !COMMENT.test(raw)) {
      fail('NER_ERR_CORPUS_BAD_LINE', 'text before the first "## <id>" record header (comments start with "# ")', at);
    }
  });
  return records.map(buildNote);
}

/** Reads a marked-notes file and the sha256 of its bytes. */
export async function readMarkedNotes(path: string): Promise<{ notes: AnnotatedNote[]; files: CorpusFileHash[] }> {
  const { text, hash } = await readCorpusFile(path, LAYOUT);
  return { notes: parseMarkedNotes(text, path), files: [hash] };
}

function buildNote(record: RawRecord): AnnotatedNote {
  const isBlank = (line: { raw: string }) => line.raw.trim() === '';
  const first = record.lines.findIndex((line) => !isBlank(line));
  if (first === -1) fail('NER_ERR_CORPUS_BAD_LINE', `record ${JSON.stringify(record.id)} has no text`, record.at);
  const last = record.lines.length - 1 - [...record.lines].reverse().findIndex((line) => !isBlank(line));
  const parts: string[] = [];
  const entities: NoteEntity[] = [];
  let offset = 0;
  for (const { raw, at } of record.lines.slice(first, last + 1)) {
    const line = parseLine(raw, offset, at);
    parts.push(line.text);
    entities.push(...line.entities);
    offset += line.text.length + 1;
  }
  return { id: record.id, text: parts.join('\n'), entities };
}

/** Removes the markup of one line; entity offsets are shifted by `offset` (where the line starts in the note). */
function parseLine(raw: string, offset: number, at: Location): { text: string; entities: NoteEntity[] } {
  let text = '';
  const entities: NoteEntity[] = [];
  let open: { column: number; start: number } | undefined;
  for (let index = 0; index < raw.length; index++) {
    const char = raw.charAt(index);
    const column = `column ${index + 1}`;
    if (char === '\\') {
      const next = raw.charAt(index + 1);
      if (!ESCAPED.has(next)) {
        fail('NER_ERR_CORPUS_BAD_LINE', `${column}: "\\" must be followed by one of [ ] { } \\ (write "\\\\" for a backslash)`, at);
      }
      text += next;
      index++;
    } else if (char === '[') {
      if (open !== undefined) {
        fail('NER_ERR_CORPUS_BAD_LINE', `${column}: "[" inside the entity opened at column ${open.column} (entities do not nest; write "\\[" for a bracket)`, at);
      }
      open = { column: index + 1, start: text.length };
    } else if (char === ']') {
      if (open === undefined) fail('NER_ERR_CORPUS_BAD_LINE', `${column}: "]" without an opening "[" (write "\\]" for a bracket)`, at);
      const label = readLabel(raw, index + 1, at);
      const surface = text.slice(open.start);
      if (surface === '') fail('NER_ERR_CORPUS_BAD_LINE', `column ${open.column}: empty entity text`, at);
      if (surface.trim() !== surface) {
        fail('NER_ERR_CORPUS_BAD_LINE', `column ${open.column}: entity text ${JSON.stringify(surface)} starts or ends with whitespace`, at);
      }
      entities.push({ type: label.type, start: offset + open.start, end: offset + text.length, assertion: label.assertion });
      open = undefined;
      index = label.end;
    } else if (char === '{' && open !== undefined) {
      fail('NER_ERR_CORPUS_BAD_LINE', `column ${open.column}: "[" is not closed before the "{" at column ${index + 1} (write [surface]{D})`, at);
    } else if (char === '{' || char === '}') {
      fail('NER_ERR_CORPUS_BAD_LINE', `${column}: "${char}" outside an entity label (write "\\${char}")`, at);
    } else {
      text += char;
    }
  }
  if (open !== undefined) {
    fail('NER_ERR_CORPUS_BAD_LINE', `column ${open.column}: "[" is not closed on its line (write "\\[" for a bracket)`, at);
  }
  return { text, entities };
}

/** Reads the `{D}` / `{T:absent}` label that must follow the `]` just before `from`; `end` is the index of its `}`. */
function readLabel(raw: string, from: number, at: Location): { type: EntityType; assertion: Assertion; end: number } {
  const close = raw.indexOf('}', from);
  if (raw.charAt(from) !== '{' || close === -1) {
    fail('NER_ERR_CORPUS_BAD_LINE', `column ${from}: "]" must be followed by {D}, {T}, {D:<assertion>} or {T:<assertion>}`, at);
  }
  const label = raw.slice(from + 1, close);
  const colon = label.indexOf(':');
  const letter = colon === -1 ? label : label.slice(0, colon);
  const type = Object.hasOwn(TYPE_OF_LETTER, letter) ? TYPE_OF_LETTER[letter] : undefined;
  if (type === undefined) {
    fail('NER_ERR_CORPUS_UNKNOWN_LABEL', `column ${from + 1}: unknown entity type ${JSON.stringify(letter)} in {${label}} (use D or T)`, at);
  }
  if (colon === -1) return { type, assertion: 'present', end: close };
  const assertion = label.slice(colon + 1);
  if (!ASSERTIONS.includes(assertion as Assertion)) {
    fail('NER_ERR_CORPUS_UNKNOWN_LABEL', `column ${from + 1}: unknown assertion ${JSON.stringify(assertion)} in {${label}} (use one of ${ASSERTIONS.join(', ')})`, at);
  }
  return { type, assertion: assertion as Assertion, end: close };
}

/**
 * Writes notes as marked notes (the inverse of `parseMarkedNotes`): a blank line between records, an
 * entity without an assertion is written as present (`{D}`). Throws NER_ERR_INPUT_INVALID for a note the
 * format cannot hold (bad id, blank first or last line, a line starting with "##", a carriage return,
 * entities out of order, overlapping, empty, spanning a line break or with whitespace at either end).
 */
export function formatMarkedNotes(notes: AnnotatedNote[]): string {
  const seen = new Set<string>();
  const records = notes.map((note) => {
    if (note.id === '' || /\s/u.test(note.id)) invalidNote(note, 'the id must be non-empty and hold no whitespace');
    if (seen.has(note.id)) invalidNote(note, 'the id is used by an earlier note');
    seen.add(note.id);
    return `## ${note.id}\n${formatText(note)}`;
  });
  return records.length === 0 ? '' : `${records.join('\n\n')}\n`;
}

function formatText(note: AnnotatedNote): string {
  const lines = note.text.split('\n');
  if (note.text.includes('\r')) invalidNote(note, 'the text holds a carriage return');
  if ((lines[0] ?? '').trim() === '' || (lines[lines.length - 1] ?? '').trim() === '') {
    invalidNote(note, 'the text is empty or starts or ends with a blank line');
  }
  if (lines.some((line) => HEADER.test(line))) invalidNote(note, 'a line of the text starts with "##"');
  let out = '';
  let position = 0;
  note.entities.forEach((entity, index) => {
    const name = `entities[${index}] [${entity.start}, ${entity.end})`;
    if (!Number.isInteger(entity.start) || !Number.isInteger(entity.end) || entity.start < position || entity.end > note.text.length) {
      invalidNote(note, `${name} is out of range, out of order or overlaps the entity before it`);
    }
    const surface = note.text.slice(entity.start, entity.end);
    if (surface === '' || surface.trim() !== surface || surface.includes('\n')) {
      invalidNote(note, `${name} is empty, spans a line break or starts or ends with whitespace`);
    }
    const assertion = entity.assertion === undefined || entity.assertion === 'present' ? '' : `:${entity.assertion}`;
    out += `${escape(note.text.slice(position, entity.start))}[${escape(surface)}]{${LETTER_OF_TYPE[entity.type]}${assertion}}`;
    position = entity.end;
  });
  return out + escape(note.text.slice(position));
}

function escape(text: string): string {
  return text.replace(/[[\]{}\\]/gu, (char) => `\\${char}`);
}

function invalidNote(note: AnnotatedNote, message: string): never {
  throw new NerError('NER_ERR_INPUT_INVALID', `note ${JSON.stringify(note.id)}: ${message}`);
}

function fail(code: ErrorCode, message: string, at: Location): never {
  throw new NerError(code, message, at);
}
