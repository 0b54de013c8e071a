import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateCodesAndPairs, type CodePairNote } from '../../src/core/evaluation/code-pair-evaluation.js';
import type { Entity, ExtractionRecord } from '../../src/core/text/types.js';
import { readCodePairNotes } from '../../src/corpus/code-pair-notes.js';
import { isNerError } from '../../src/errors.js';

const TEXT = 'HTN on amlodipine. Fever. Typhoid fever: azithromycin.';
const note: CodePairNote = {
  id: 'n1',
  text: TEXT,
  diseases: [{ text: 'HTN', icd10cm: 'I10' }, { text: 'Fever', icd10cm: 'R50.9' }, { text: 'Typhoid fever', icd10cm: 'A01.00' }],
  drugs: [{ text: 'amlodipine', generic: ['amlodipine'] }, { text: 'azithromycin', generic: ['azithromycin'] }],
  pairs: [{ disease: 'HTN', treatment: 'amlodipine' }, { disease: 'Typhoid fever', treatment: 'azithromycin' }],
};
const entity = (type: Entity['type'], text: string, extra: Partial<Entity> = {}): Entity => ({ type, text, start: TEXT.indexOf(text), end: TEXT.indexOf(text) + text.length, assertion: 'present', confidence: 1, ...extra });
const icd = (code: string) => [{ system: 'ICD-10-CM' as const, code, display: code, score: 1 }];

describe('scoring codes, generics and pairs', () => {
  it('scores each found entity against the annotated name it overlaps most, by ICD-10-CM category and full code', () => {
    // "fever" inside "Typhoid fever" is the typhoid's, not the symptom's; the model found "Typhoid" only.
    const diseases = [entity('disease', 'HTN', { codes: icd('I10') }), entity('disease', 'Typhoid', { codes: icd('A01.09') })];
    const treatments = [entity('treatment', 'amlodipine', { generic: ['amlodipine'] }), entity('treatment', 'azithromycin')];
    const record: ExtractionRecord = { modelVersion: 'm', diseases, treatments, entities: [...diseases, ...treatments], pairs: [{ disease: 'HTN', treatment: 'amlodipine', evidence: 'explicit-link' }, { disease: 'Typhoid', treatment: 'amlodipine', evidence: 'same-line' }] };
    const report = evaluateCodesAndPairs([note], () => record);
    expect(report.icd10cmCategory).toEqual({ correct: 2, total: 2, accuracy: 1 });
    expect(report.icd10cmCode).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(report.generic).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(report.diseasesFound).toEqual({ correct: 2, total: 3, accuracy: 0.667 });
    expect(report.pairs).toMatchObject({ predicted: 2, matchedPredicted: 1, gold: 2, matchedGold: 1, precision: 0.5, recall: 0.5 });
    expect(report.pairsOfFoundEntities).toEqual({ recall: 0.5, gold: 2, matchedGold: 1 });
    expect(report.byEvidence).toEqual({ 'explicit-link': { predicted: 1, correct: 1 }, 'same-line': { predicted: 1, correct: 0 } });
    expect(report.errors.map((e) => e.kind)).toEqual(['generic', 'spurious-pair', 'missed-pair']);
  });
});

describe('reading annotated notes', () => {
  it('reads notes and names the line of a bad one (a name not written in the text)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pairs-'));
    try {
      const file = join(dir, 'notes.jsonl');
      await writeFile(file, `${JSON.stringify({ ...note, split: 'dev' })}\n\n${JSON.stringify({ ...note, id: 'n2', pairs: [{ disease: 'asthma', treatment: 'amlodipine' }] })}\n`);
      const error = await readCodePairNotes(file).catch((e: unknown) => e);
      expect(isNerError(error) && error.code).toBe('NER_ERR_INPUT_INVALID');
      expect((error as Error).message).toMatch(/asthma/);
      expect((error as { line?: number }).line).toBe(3);
      await writeFile(file, `${JSON.stringify({ ...note, split: 'dev' })}\n`);
      expect((await readCodePairNotes(file))[0]).toMatchObject({ id: 'n1', split: 'dev', pairs: note.pairs });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
