/**
 * Builds the prescription sets' JSONL files in corpus/prescriptions from their hand-written sources (the format
 * is in corpus/prescriptions/README.md). Run after editing a source:
 *   npx tsx scripts/build-prescriptions.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config.js';
import { formatPrescriptionNote, parsePrescriptionsMarked } from '../src/corpus/prescriptions.js';

export const PRESCRIPTIONS_DIR = join(PROJECT_ROOT, 'corpus', 'prescriptions');

/** Each set: its marked source and the JSONL built from it. */
export const PRESCRIPTION_SETS = [
  { source: 'notes.marked.txt', jsonl: 'prescriptions.jsonl' },
  { source: 'second-writer.marked.txt', jsonl: 'second-writer.jsonl' },
  { source: 'third-writer.marked.txt', jsonl: 'third-writer.jsonl' },
  { source: 'fourth-writer.marked.txt', jsonl: 'fourth-writer.jsonl' },
  { source: 'fifth-writer.marked.txt', jsonl: 'fifth-writer.jsonl' },
] as const;

export async function buildPrescriptions(source: string = PRESCRIPTION_SETS[0].source): Promise<string> {
  const file = join(PRESCRIPTIONS_DIR, source);
  const notes = parsePrescriptionsMarked(await readFile(file, 'utf8'), file);
  return `${notes.map(formatPrescriptionNote).join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const set of PRESCRIPTION_SETS) {
    const jsonl = await buildPrescriptions(set.source);
    await writeFile(join(PRESCRIPTIONS_DIR, set.jsonl), jsonl);
    process.stdout.write(`${JSON.stringify({ set: set.jsonl, notes: jsonl.trim().split('\n').length })}\n`);
  }
}
