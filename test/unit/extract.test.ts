import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { caseForTagging, extract } from '../../src/core/extract.js';
import type { CrfNerModel } from '../../src/core/crf-ner-model.js';
import type { Entity, ExtractionRecord } from '../../src/core/text/types.js';
import { sampleModel } from '../helpers/sample-model.js';

function expectValidRecord(text: string, record: ExtractionRecord): void {
  let previousEnd = 0;
  for (const entity of record.entities) {
    expect(Number.isInteger(entity.start) && Number.isInteger(entity.end)).toBe(true);
    expect(entity.start).toBeGreaterThanOrEqual(previousEnd);
    expect(entity.end).toBeGreaterThan(entity.start);
    expect(entity.end).toBeLessThanOrEqual(text.length);
    expect(text.slice(entity.start, entity.end)).toBe(entity.text);
    expect(entity.confidence).toBeGreaterThanOrEqual(0);
    expect(entity.confidence).toBeLessThanOrEqual(1);
    previousEnd = entity.end;
  }
  expect([...record.diseases, ...record.treatments].length).toBe(record.entities.length);
  expect(record.diseases.every((e) => e.type === 'disease')).toBe(true);
  expect(record.treatments.every((e) => e.type === 'treatment')).toBe(true);
}

describe('extract', () => {
  let model: CrfNerModel;
  beforeAll(async () => {
    model = (await sampleModel()).model;
  });

  it('finds diseases and treatments with offsets into the note, and pairs them by sentence', () => {
    // A sentence of the model's own (tiny) training sample, so the assertion is about extract(), not recall.
    const text = 'Chronic plaque psoriasis responded to narrowband ultraviolet B phototherapy in 38 of 52 patients.\nNo other findings.';
    const record = extract(text, model, 'rx-001');
    expect(record.noteId).toBe('rx-001');
    expect(record.modelVersion).toBe('sample-1');
    expectValidRecord(text, record);
    expect(record.diseases.map((e) => e.text)).toEqual(['Chronic plaque psoriasis']);
    expect(record.treatments.map((e) => e.text)).toEqual(['narrowband ultraviolet B phototherapy']);
    expect(record.diseases[0]).toMatchObject({ start: 0, end: 24 });
    expect(record.pairs).toEqual([{ disease: 'Chronic plaque psoriasis', treatment: 'narrowband ultraviolet B phototherapy', evidence: 'same-sentence' }]);
  });

  it('gives each entity the confidence of its exact span, and minConfidence leaves out entities and their pairs', () => {
    const text = 'Chronic plaque psoriasis responded to narrowband ultraviolet B phototherapy in 38 of 52 patients.';
    const all = extract(text, model);
    expect(all.entities.length).toBe(2);
    const [disease, treatment] = all.entities as [Entity, Entity];
    expect(disease.confidence).toBeGreaterThan(0.5);
    const threshold = (disease.confidence + treatment.confidence) / 2;
    const kept = extract(text, model, undefined, { minConfidence: threshold });
    if (disease.confidence !== treatment.confidence) {
      expect(kept.entities).toHaveLength(1);
      expect(kept.entities[0]!.confidence).toBeGreaterThanOrEqual(threshold);
      expect(kept.pairs).toEqual([]);
    }
    expect(extract(text, model, undefined, { minConfidence: 1.01 }).entities).toEqual([]);
  });

  it('leaves noteId out when none is given', () => {
    expect('noteId' in extract('x', model)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['whitespace', ' \n\t\r\n  '],
    ['only punctuation', '.,;:!?()[]{}--//'],
    ['emoji', '🙂 fever 🤒 treated with 💊 aspirin'],
    ['control characters', '\u0000\u0001fever\u0007\u001b[31m cancer\u007f'],
    ['lone surrogates', '\ud800 lung \udc00 cancer \ud83d'],
  ])('never throws and keeps offsets valid on %s input', (_name, text) => {
    expectValidRecord(text, extract(text, model));
  });

  it('handles a 1 MB note', () => {
    const text = 'Chronic plaque psoriasis responded to narrowband ultraviolet B phototherapy in 38 of 52 patients. '.repeat(10_500);
    expect(text.length).toBeGreaterThan(1_000_000);
    const record = extract(text, model);
    expectValidRecord(text, record);
    expect(record.entities.length).toBeGreaterThan(10_000);
  });

  it('never throws and keeps every offset valid on arbitrary strings (property)', () => {
    const clinical = fc.constantFrom('lung cancer', 'cisplatin', 'Pt c/o fever x3d.', '500mg b.i.d.', '\n- ', 'Dx: ', 'HbA1c', '. ', '🙂');
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.array(fc.oneof(clinical, fc.string({ maxLength: 8 })), { maxLength: 40 }).map((p) => p.join(' '))),
        (text) => expectValidRecord(text, extract(text, model)),
      ),
      { numRuns: 300 },
    );
  });
});

describe('caseForTagging', () => {
  it('lower-cases a sentence written in capitals and leaves mixed case, short and caseless ones alone', () => {
    expect(caseForTagging(['RX', ':', 'TAB', 'AZITHROMYCIN', '500mg', 'OD'])).toEqual(['rx', ':', 'tab', 'azithromycin', '500mg', 'od']);
    expect(caseForTagging(['COPD', 'treated', 'with', 'salbutamol'])).toEqual(['COPD', 'treated', 'with', 'salbutamol']);
    expect(caseForTagging(['HIV', '+'])).toEqual(['HIV', '+']);
    expect(caseForTagging(['500', 'mg', '—', '2', '×'])).toEqual(['500', 'mg', '—', '2', '×']);
    expect(caseForTagging(['ÉTAT', 'FÉBRILE', 'SÉVÈRE'])).toEqual(['état', 'fébrile', 'sévère']);
  });

  it('tags a note in capitals like the same note in mixed case', () => {
    const text = 'Chronic plaque psoriasis responded to narrowband ultraviolet B phototherapy in 38 of 52 patients.';
    const strip = (r: ExtractionRecord) => r.entities.map(({ type, start, end }) => ({ type, start, end }));
    return sampleModel().then(({ model }) => expect(strip(extract(text.toUpperCase(), model))).toEqual(strip(extract(text.toLowerCase(), model))));
  });
});

describe('assertion in extracted records', () => {
  it('marks negated, uncertain, historical and family entities, and pairs only what the patient has', async () => {
    const { dictionaryTagger } = await import('../helpers/test-app.js');
    const text = 'No evidence of asthma. Typhoid treated with azithromycin.\nFamily history: mother had cancer.\n\nPossible diabetes, h/o typhoid.';
    const record = extract(text, dictionaryTagger);
    expect(record.entities.map((e) => [e.text, e.assertion])).toEqual([
      ['asthma', 'absent'],
      ['Typhoid', 'present'],
      ['azithromycin', 'present'],
      ['cancer', 'family'],
      ['diabetes', 'possible'],
      ['typhoid', 'historical'],
    ]);
    expect(record.pairs).toEqual([{ disease: 'Typhoid', treatment: 'azithromycin', evidence: 'explicit-link' }]);
  });
});
