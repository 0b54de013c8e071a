/**
 * Builds corpus/clinical-notes/docs.jsonl, the training corpus of the project's own hand-annotated notes, from
 * the dev halves of its evaluation sets (their test halves are never trained on). Run after editing a source:
 *   npx tsx scripts/build-clinical-notes.ts
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config.js';
import { readMarkedNotes } from '../src/corpus/marked-notes.js';
import { readPrescriptions } from '../src/corpus/prescriptions.js';

const CORPUS_DIR = join(PROJECT_ROOT, 'corpus');
export const CLINICAL_NOTES_FILE = join(CORPUS_DIR, 'clinical-notes', 'docs.jsonl');

interface SourceDocument {
  id: string;
  text: string;
  /** Source types: the kind where the set annotates it (diagnosis, symptom, drug, procedure), else the type. */
  entities: { type: string; start: number; end: number; text: string }[];
}

/** The dev halves, each document's id prefixed with its set's name. */
export const CLINICAL_NOTES_SOURCES = [
  { set: 'note-style', file: 'note-style/dev.marked.txt', format: 'marked' },
  { set: 'assertion', file: 'assertion/dev.marked.txt', format: 'marked' },
  { set: 'prescriptions', file: 'prescriptions/prescriptions.jsonl', format: 'prescriptions' },
  { set: 'second-writer', file: 'prescriptions/second-writer.jsonl', format: 'prescriptions' },
  { set: 'third-writer', file: 'prescriptions/third-writer.jsonl', format: 'prescriptions' },
  { set: 'fourth-writer', file: 'prescriptions/fourth-writer.jsonl', format: 'prescriptions' },
] as const;

async function documentsOf(source: (typeof CLINICAL_NOTES_SOURCES)[number]): Promise<SourceDocument[]> {
  const path = join(CORPUS_DIR, source.file);
  if (source.format === 'marked') {
    const { notes } = await readMarkedNotes(path);
    return notes.map((note) => ({
      id: `${source.set}:${note.id}`,
      text: note.text,
      entities: note.entities.map((e) => ({ type: e.type, start: e.start, end: e.end, text: note.text.slice(e.start, e.end) })),
    }));
  }
  return (await readPrescriptions(path))
    .filter((note) => note.split === 'dev')
    .map((note) => ({
      id: `${source.set}:${note.id}`,
      text: note.text,
      entities: note.entities.map((e) => ({ type: e.kind, start: e.start, end: e.end, text: note.text.slice(e.start, e.end) })),
    }));
}

export async function buildClinicalNotes(): Promise<string> {
  const documents: SourceDocument[] = [];
  for (const source of CLINICAL_NOTES_SOURCES) documents.push(...(await documentsOf(source)));
  return `${documents.map((d) => JSON.stringify(d)).join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jsonl = await buildClinicalNotes();
  await writeFile(CLINICAL_NOTES_FILE, jsonl);
  process.stdout.write(`${JSON.stringify({ file: 'corpus/clinical-notes/docs.jsonl', documents: jsonl.trim().split('\n').length })}\n`);
}
