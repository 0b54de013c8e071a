import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPrescriptions, PRESCRIPTION_SETS, PRESCRIPTIONS_DIR } from '../../scripts/build-prescriptions.js';
import { evaluatePrescriptions, formatPrescriptionReport, goldEntityPairs, perDay, type PrescriptionNote } from '../../src/core/evaluation/prescription-evaluation.js';
import type { Entity, ExtractionRecord } from '../../src/core/text/types.js';
import { formatPrescriptionNote, parsePrescriptionsJsonl, parsePrescriptionsMarked, readPrescriptions } from '../../src/corpus/prescriptions.js';
import { isNerError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';

const JSONL = join(PRESCRIPTIONS_DIR, 'prescriptions.jsonl');

describe('prescriptions set', () => {
  it('each set\'s JSONL is built from its marked source as it is now', async () => {
    expect(PRESCRIPTION_SETS[0].jsonl).toBe('prescriptions.jsonl');
    for (const set of PRESCRIPTION_SETS) expect(await readFile(join(PRESCRIPTIONS_DIR, set.jsonl), 'utf8'), set.jsonl).toBe(await buildPrescriptions(set.source));
  });

  it('codes every annotated diagnosis with a category ICD-10-CM has (the vocabulary and the codes added since)', async () => {
    const { readConceptVocabularies } = await import('../../src/corpus/concept-vocabularies.js');
    const { ICD10CM_ADDITIONS } = await import('../../src/core/clinical/concept-codes/icd10cm-additions.js');
    const { loadConfig } = await import('../../src/config.js');
    const vocabularies = await readConceptVocabularies(loadConfig().lexiconDir);
    const categories = new Set([...vocabularies.icd10cm, ...ICD10CM_ADDITIONS].map((row) => row.code.slice(0, 3)));
    for (const set of PRESCRIPTION_SETS) {
      for (const note of await readPrescriptions(join(PRESCRIPTIONS_DIR, set.jsonl))) {
        for (const entity of note.entities) if (entity.icd10cm) expect(categories.has(entity.icd10cm), `${note.id}: ${entity.icd10cm}`).toBe(true);
      }
    }
  });

  it('holds at least 80 notes, split dev / test by odd / even number, with brands, dosage, codes and pairs', async () => {
    const notes = await readPrescriptions(JSONL);
    expect(notes.length).toBeGreaterThanOrEqual(80);
    for (const note of notes) expect(note.split).toBe(Number(note.id.slice(3)) % 2 === 1 ? 'dev' : 'test');
    const test = notes.filter((n) => n.split === 'test');
    expect(test.length).toBeGreaterThanOrEqual(40);
    const entities = test.flatMap((n) => n.entities);
    expect(entities.filter((e) => e.brand).length).toBeGreaterThanOrEqual(30);
    expect(entities.filter((e) => e.dosage?.timing).length).toBeGreaterThanOrEqual(50);
    expect(entities.filter((e) => e.icd10cm).length).toBeGreaterThanOrEqual(40);
    expect(test.flatMap((n) => n.pairs).length).toBeGreaterThanOrEqual(80);
    // every pair names entities of its note
    for (const note of notes) {
      const surfaces = new Set(note.entities.map((e) => note.text.slice(e.start, e.end).toLowerCase()));
      for (const pair of note.pairs) expect(surfaces.has(pair.disease) && surfaces.has(pair.treatment), `${note.id}: ${pair.disease} | ${pair.treatment}`).toBe(true);
    }
  });

  it('reads the marked source: offsets without the markup, attributes, pairs', () => {
    const [note] = parsePrescriptionsMarked('# set\n## rx-007\nDx: [HTN]{D dx icd=I10}\nTab [Dolo 650]{T rx brand g=paracetamol dose=650mg freq=1/6h dur=5d prn form=tablet} q6h\n>> htn | dolo 650\n', 'x.marked.txt');
    expect(note).toMatchObject({ id: 'rx-007', split: 'dev', text: 'Dx: HTN\nTab Dolo 650 q6h', pairs: [{ disease: 'htn', treatment: 'dolo 650' }] });
    const [htn, dolo] = note?.entities ?? [];
    expect(htn).toMatchObject({ type: 'disease', kind: 'diagnosis', start: 4, end: 7, icd10cm: 'I10' });
    expect(dolo).toMatchObject({
      type: 'treatment', kind: 'drug', brand: true, generic: ['paracetamol'], start: 12, end: 20,
      dosage: { doseQuantity: { value: 650, unit: 'mg' }, timing: { frequency: 1, period: 6, periodUnit: 'h' }, boundsDuration: { value: 5, unit: 'd' }, asNeeded: true, form: 'tablet' },
    });
    // the JSONL line reads back the same
    expect(parsePrescriptionsJsonl(formatPrescriptionNote(note as PrescriptionNote), 'x.jsonl')).toEqual([note]);
  });

  it('a bad line names its file and line', () => {
    const problem = (text: string, parse = parsePrescriptionsMarked): string => {
      try {
        parse(text, 'x');
      } catch (error) {
        if (isNerError(error, 'NER_ERR_INPUT_INVALID')) return error.message;
        throw error;
      }
      return 'no error';
    };
    expect(problem('## rx-1\n[a]{T rx dose=5stones}')).toMatch(/^x:2: dose "5stones"/);
    expect(problem('## rx-1\nok\n[a]{D rx}')).toMatch(/^x:3: a disease needs its kind/);
    expect(problem('{"id":"a","split":"x","text":"ab","entities":[],"pairs":[]}', parsePrescriptionsJsonl)).toMatch(/^x:1: split/);
  });
});

describe('evaluatePrescriptions', () => {
  const text = 'Dx: HTN\nTab Dolo 650 BD x5d';
  const gold: PrescriptionNote = {
    id: 'n', split: 'test', text,
    entities: [
      { type: 'disease', kind: 'diagnosis', start: 4, end: 7, assertion: 'present', icd10cm: 'I10' },
      { type: 'treatment', kind: 'drug', start: 12, end: 20, assertion: 'present', brand: true, generic: ['paracetamol'], dosage: { doseQuantity: { value: 650, unit: 'mg' }, timing: { frequency: 2, period: 1, periodUnit: 'd' }, form: 'tablet' } },
    ],
    pairs: [{ disease: 'htn', treatment: 'dolo 650' }],
  };
  const entity = (start: number, end: number, extra: Partial<Entity>): Entity => ({ type: 'treatment', text: text.slice(start, end), start, end, assertion: 'present', confidence: 0.9, ...extra });

  it('scores each field where the gold states it, and counts spurious values where it does not', () => {
    const record: ExtractionRecord = {
      modelVersion: 'm', diseases: [], treatments: [],
      entities: [
        entity(4, 7, { type: 'disease', kind: 'diagnosis', codes: [{ system: 'ICD-10-CM', code: 'I10', display: 'Essential hypertension', score: 1 }] }),
        entity(12, 16, { kind: 'drug', generic: ['Acetaminophen'], dosage: { text: '', start: 8, end: 27, doseQuantity: { value: 650, unit: 'mg' }, timing: { frequency: 1, period: 12, periodUnit: 'h' }, boundsDuration: { value: 5, unit: 'd' } } }),
      ],
      pairs: [{ disease: 'HTN', treatment: 'Dolo', evidence: 'same-line' }],
    };
    const report = evaluatePrescriptions([gold], () => record);
    expect(report.spans.disease).toMatchObject({ gold: 1, predicted: 1, correct: 1 });
    expect(report.spans.treatment).toMatchObject({ gold: 1, predicted: 1, correct: 0 });
    expect(report.icdCategory).toEqual({ total: 1, right: 1, accuracy: 1 });
    expect(report.generic.accuracy).toBe(1);
    expect(report.brands).toMatchObject({ mentions: 1, found: 1, mapped: 1 });
    expect(report.dosage.dose).toMatchObject({ stated: 1, right: 1, spurious: 0 });
    expect(report.dosage.frequency).toMatchObject({ stated: 1, right: 1 });
    expect(report.dosage.duration).toMatchObject({ stated: 0, unstated: 1, spurious: 1 });
    expect(report.dosage.form).toMatchObject({ stated: 1, right: 0 });
    expect(report.pairs).toMatchObject({ gold: 1, predicted: 1, correct: 0 });
    expect(report.errors).toContain('n: pair "htn" — "dolo 650" missed');
    expect(report.errors).toContain('n: pair "htn" — "dolo" spurious (same-line)');
    expect(formatPrescriptionReport(report)).toMatch(/duration\s+0\s+0\s+0\.000\s+1\s+1/);
  });

  it('scores the pairs the rules give the annotated entities apart, when asked', () => {
    const none = (): ExtractionRecord => ({ modelVersion: 'm', diseases: [], treatments: [], entities: [], pairs: [] });
    expect(goldEntityPairs(gold)).toEqual([{ disease: 'HTN', treatment: 'Dolo 650', evidence: 'single-diagnosis' }]);
    const report = evaluatePrescriptions([gold], none, { pairsOfGold: (note) => goldEntityPairs(note) });
    expect(report.pairs).toMatchObject({ gold: 1, predicted: 0, correct: 0 });
    expect(report.pairsOfGoldEntities).toMatchObject({ gold: 1, predicted: 1, correct: 1 });
    expect(formatPrescriptionReport(report)).toMatch(/pairs the rules give the annotated entities: predicted 1, correct 1/);
    expect(evaluatePrescriptions([gold], none).pairsOfGoldEntities).toBeUndefined();
  });

  it('a brand not found is neither found nor mapped; frequencies compare per day', () => {
    const report = evaluatePrescriptions([gold], () => ({ modelVersion: 'm', diseases: [], treatments: [], entities: [], pairs: [] }));
    expect(report.brands).toMatchObject({ mentions: 1, found: 0, mapped: 0 });
    expect(report.dosage.dose.stated).toBe(0);
    expect(perDay({ frequency: 1, period: 6, periodUnit: 'h' })).toBe(4);
    expect(perDay({ frequency: 2, period: 1, periodUnit: 'wk' })).toBeCloseTo(2 / 7);
  });
});

describe('behealthy evaluate --prescriptions', () => {
  it('prints every field for a split, as a table and as JSON', async () => {
    const json = await runCli(['evaluate', '--prescriptions', JSONL, '--split', 'dev', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { split: string; notes: number; dosage: Record<string, { stated: number }>; brands: { mentions: number } };
    expect(report.split).toBe('dev');
    expect(report.notes).toBe(42);
    expect(report.dosage.frequency?.stated).toBeGreaterThan(0);
    expect(report.brands.mentions).toBeGreaterThan(0);
    const table = await runCli(['evaluate', '--prescriptions', JSONL, '--split', 'test']);
    expect(table.stdout).toMatch(/test: 42 notes/);
    expect(table.stdout).toMatch(/brands found and mapped/);
    expect((await runCli(['evaluate', '--prescriptions', JSONL, '--split', 'train'])).code).not.toBe(0);
  }, 60_000);
});
