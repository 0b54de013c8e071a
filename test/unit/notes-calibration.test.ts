import { describe, expect, it } from 'vitest';
import { extract, SECTION_NAME_CONFIDENCE } from '../../src/core/extract.js';
import { modelFromBytes, RAW_NOTES_CONFIDENCE } from '../../src/training/train-tagger.js';
import { fitNotesCalibration, notesObservations } from '../../src/training/notes-calibration.js';
import { sampleModel, sampleSpec } from '../helpers/sample-model.js';

// Notes written for this test: prescription lines (the lexicon pass's ground) and a prose sentence.
const RX = 'Dx: typhoid.\nRx: tab azithromycin 500mg OD x5d\ntab metformin 500mg BD';
const documents = [
  { id: 'n1', text: RX, entities: [{ type: 'disease' as const, start: 4, end: 11 }, { type: 'treatment' as const, start: 21, end: 33 }, { type: 'treatment' as const, start: 50, end: 59 }] },
  { id: 'n2', text: 'Lung cancer was treated with cisplatin.', entities: [{ type: 'disease' as const, start: 0, end: 11 }, { type: 'treatment' as const, start: 29, end: 38 }] },
];

describe('notes calibration', () => {
  it('observes every span of a note with its raw probability, the lexicon pass\'s apart, against the gold offsets', async () => {
    const { crfBytes, resources } = await sampleModel();
    const raw = modelFromBytes(crfBytes, sampleSpec, resources, 'raw', undefined, RAW_NOTES_CONFIDENCE);
    const found = notesObservations(raw, documents[0] as (typeof documents)[number]);
    const record = extract(RX, raw);
    // Every entity of the record is observed, and so is every name the pass found, however unlikely.
    expect(found.spans.length + found.lexiconSpans.length).toBeGreaterThanOrEqual(record.entities.length);
    expect(found.lexiconSpans.length).toBeGreaterThan(0);
    for (const o of [...found.spans, ...found.lexiconSpans]) expect(o.confidence).toBeGreaterThanOrEqual(0);
    const correct = [...found.spans, ...found.lexiconSpans].filter((o) => o.correct).length;
    const gold = new Set(documents[0]?.entities.map((e) => `${e.start}:${e.end}`));
    expect(correct).toBeGreaterThanOrEqual(record.entities.filter((e) => gold.has(`${e.start}:${e.end}`)).length);
  });

  it('fits a map for the CRF\'s spans and one for the pass\'s, which the model then applies to each', async () => {
    const { crfBytes, resources } = await sampleModel();
    const raw = modelFromBytes(crfBytes, sampleSpec, resources, 'raw', undefined, RAW_NOTES_CONFIDENCE);
    const fitted = fitNotesCalibration(raw, documents);
    expect(fitted.documents).toBe(2);
    const observed = documents.map((d) => notesObservations(raw, d));
    expect(fitted.spans.observations).toBe(observed.reduce((n, o) => n + o.spans.length, 0));
    expect(fitted.lexiconSpans.observations).toBe(observed.reduce((n, o) => n + o.lexiconSpans.length, 0));
    // A pass map that says one in ten: every span the pass adds carries 0.1, the CRF's own spans do not.
    const lexiconSpans = { method: 'isotonic' as const, knots: [[0, 0.1], [1, 0.1]] as [number, number][], observations: 5 };
    const calibrated = modelFromBytes(crfBytes, sampleSpec, resources, 'calibrated', undefined, { spans: fitted.spans, lexiconSpans });
    const recalibrated = notesObservations(calibrated, documents[0] as (typeof documents)[number]);
    expect(recalibrated.lexiconSpans.length).toBeGreaterThan(0);
    for (const o of recalibrated.lexiconSpans) expect(o.confidence).toBe(0.1);
    // Below MIN_LEXICON_SPAN_CONFIDENCE, the pass's names are not entities, unless a header of their kind heads them ("Rx: tab azithromycin").
    const record = extract(RX, calibrated);
    const underTheirHeader = record.entities.filter((e) => e.confidence === SECTION_NAME_CONFIDENCE);
    expect(underTheirHeader.length).toBeGreaterThan(0);
    expect(record.entities.length).toBe(recalibrated.spans.length + underTheirHeader.length);
    const headerless = { id: 'n3', text: RX.replace('Dx: ', '').replace('Rx: ', ''), entities: [] };
    const observedHeaderless = notesObservations(calibrated, headerless);
    expect(observedHeaderless.lexiconSpans.length).toBeGreaterThan(0);
    expect(extract(headerless.text, calibrated).entities.length).toBe(observedHeaderless.spans.length);
  });
});
