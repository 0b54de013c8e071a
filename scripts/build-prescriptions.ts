/**
 * Builds corpus/prescriptions/prescriptions.jsonl from its hand-written source, notes.marked.txt (the format
 * is in corpus/prescriptions/README.md). Run after editing the source:
 *   npx tsx scripts/build-prescriptions.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config.js';
import { formatPrescriptionNote, parsePrescriptionsMarked } from '../src/corpus/prescriptions.js';

export const PRESCRIPTIONS_DIR = join(PROJECT_ROOT, 'corpus', 'prescriptions');

export async function buildPrescriptions(): Promise<string> {
  const source = join(PRESCRIPTIONS_DIR, 'notes.marked.txt');
  const notes = parsePrescriptionsMarked(await readFile(source, 'utf8'), source);
  return `${notes.map(formatPrescriptionNote).join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jsonl = await buildPrescriptions();
  await writeFile(join(PRESCRIPTIONS_DIR, 'prescriptions.jsonl'), jsonl);
  process.stdout.write(`${JSON.stringify({ notes: jsonl.trim().split('\n').length })}\n`);
}
