import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildClinicalNotes, CLINICAL_NOTES_FILE } from '../../scripts/build-clinical-notes.js';
import { readMarkedNotes } from '../../src/corpus/marked-notes.js';
import { readPrescriptions } from '../../src/corpus/prescriptions.js';

const CORPUS = join(import.meta.dirname, '../../corpus');

describe('the clinical-notes training corpus', () => {
  it('is up to date with the evaluation sets it is built from (npx tsx scripts/build-clinical-notes.ts)', async () => {
    expect(await readFile(CLINICAL_NOTES_FILE, 'utf8')).toBe(await buildClinicalNotes());
  });

  it('holds no note of a test half', async () => {
    const trained = new Set((await readFile(CLINICAL_NOTES_FILE, 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { text: string }).text));
    const held: string[] = [];
    for (const file of ['prescriptions/prescriptions.jsonl', 'prescriptions/second-writer.jsonl', 'prescriptions/third-writer.jsonl']) {
      held.push(...(await readPrescriptions(join(CORPUS, file))).filter((n) => n.split === 'test').map((n) => n.text));
    }
    for (const file of ['note-style/test.marked.txt', 'assertion/test.marked.txt']) held.push(...(await readMarkedNotes(join(CORPUS, file))).notes.map((n) => n.text));
    expect(held.length).toBeGreaterThan(100);
    expect(held.filter((text) => trained.has(text))).toEqual([]);
  });
});
