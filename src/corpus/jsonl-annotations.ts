import { ASSERTIONS, type Assertion, type EntityType } from '../core/text/types.js';
import { NerError } from '../errors.js';
import { readCorpusFile, splitLines, type CorpusFileHash } from './behealthy-format.js';
import { describeJsonSyntax } from './json-syntax-problem.js';

/** An annotated entity: UTF-16 offsets into its note's text, end exclusive. */
export interface NoteEntity {
  type: EntityType;
  start: number;
  end: number;
  /** Whether the note asserts the entity of the patient now; absent means not annotated (read as present). */
  assertion?: Assertion;
}

/** One hand-written or reviewer-corrected note; `entities` are sorted by start and do not overlap. */
export interface AnnotatedNote {
  id: string;
  text: string;
  entities: NoteEntity[];
}

const ENTITY_TYPES: readonly EntityType[] = ['disease', 'treatment'];
const JSONL_SHAPE =
  'each line must be {"id": string, "text": string, "entities": [{"type": "disease"|"treatment", "start": number, "end": number, "assertion"?: string}]}';

interface Location {
  file: string;
  line: number;
}

/** Parses JSONL annotations (one note per line; blank lines are skipped) and validates every line. */
export function parseAnnotationsJsonl(text: string, file: string): AnnotatedNote[] {
  const notes: AnnotatedNote[] = [];
  const idLines = new Map<string, number>();
  splitLines(text).forEach((raw, index) => {
    if (raw.trim() === '') return;
    const at = { file, line: index + 1 };
    const note = parseNote(parseJson(raw, at), at);
    const firstLine = idLines.get(note.id);
    if (firstLine !== undefined) invalid(`id ${JSON.stringify(note.id)} is already used on line ${firstLine}`, at);
    idLines.set(note.id, at.line);
    notes.push(note);
  });
  return notes;
}

/** Reads a JSONL annotations file and the sha256 of its bytes. */
export async function readAnnotationsJsonl(path: string): Promise<{ notes: AnnotatedNote[]; files: CorpusFileHash[] }> {
  const { text, hash } = await readCorpusFile(path, `expected a JSONL annotations file: ${JSONL_SHAPE}`);
  return { notes: parseAnnotationsJsonl(text, path), files: [hash] };
}

function parseJson(line: string, at: Location): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    // JSON.parse's message quotes the line, which holds a note.
    return invalid(`line is ${describeJsonSyntax(line)}; ${JSONL_SHAPE}`, at);
  }
}

function parseNote(value: unknown, at: Location): AnnotatedNote {
  if (!isRecord(value)) return invalid(`line is not a JSON object; ${JSONL_SHAPE}`, at);
  const { id, text, entities } = value;
  if (typeof id !== 'string' || id === '') return invalid('"id" must be a non-empty string', at);
  if (typeof text !== 'string') return invalid(`note ${JSON.stringify(id)}: "text" must be a string`, at);
  if (!Array.isArray(entities)) return invalid(`note ${JSON.stringify(id)}: "entities" must be an array`, at);
  const parsed = entities
    .map((entity: unknown, index) => parseEntity(entity, text.length, `entities[${index}]`, at))
    .sort((a, b) => a.entity.start - b.entity.start);
  checkNoOverlap(parsed, at);
  return { id, text, entities: parsed.map(({ entity }) => entity) };
}

function parseEntity(value: unknown, textLength: number, name: string, at: Location): { name: string; entity: NoteEntity } {
  if (!isRecord(value)) return invalid(`${name} must be an object with type, start and end`, at);
  const { type, start, end, assertion } = value;
  if (!ENTITY_TYPES.includes(type as EntityType)) {
    return invalid(`${name}.type must be "disease" or "treatment", got ${JSON.stringify(type)}`, at);
  }
  if (!Number.isInteger(start) || !Number.isInteger(end)) {
    return invalid(`${name}: "start" and "end" must be integers`, at);
  }
  const [from, to] = [start as number, end as number];
  if (from < 0 || from >= to || to > textLength) {
    return invalid(`${name}: offsets [${from}, ${to}) need 0 <= start < end <= ${textLength} (text length)`, at);
  }
  if (assertion === undefined) return { name, entity: { type: type as EntityType, start: from, end: to } };
  if (!ASSERTIONS.includes(assertion as Assertion)) {
    return invalid(`${name}.assertion must be one of ${ASSERTIONS.join(', ')}, got ${JSON.stringify(assertion)}`, at);
  }
  return { name, entity: { type: type as EntityType, start: from, end: to, assertion: assertion as Assertion } };
}

/** `entities` must be sorted by start. */
function checkNoOverlap(sorted: { name: string; entity: NoteEntity }[], at: Location): void {
  sorted.forEach((current, index) => {
    const previous = sorted[index - 1];
    if (previous !== undefined && current.entity.start < previous.entity.end) {
      invalid(`${current.name} ${describe(current.entity)} overlaps ${previous.name} ${describe(previous.entity)}`, at);
    }
  });
}

function describe(entity: NoteEntity): string {
  return `[${entity.start}, ${entity.end})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, at: Location): never {
  throw new NerError('NER_ERR_INPUT_INVALID', message, at);
}
