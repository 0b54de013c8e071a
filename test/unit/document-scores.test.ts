import { describe, expect, it } from 'vitest';
import { scoreDocuments, type ScoredEntity } from '../../src/core/evaluation/document-scores.js';

const e = (type: ScoredEntity['type'], start: number, end: number, kind?: ScoredEntity['kind']): ScoredEntity => ({ type, start, end, ...(kind ? { kind } : {}) });
const TEXT = 'Severe chest pain and asthma; fever. Salbutamol and surgery given.';

describe('scores of whole documents by character offsets', () => {
  it('scores strict and partial per type, classifies errors, and quotes the words of each', () => {
    const report = scoreDocuments([
      {
        id: 'd1', text: TEXT,
        gold: [e('disease', 7, 17, 'symptom'), e('disease', 22, 28, 'diagnosis'), e('disease', 30, 35, 'symptom'), e('treatment', 37, 47, 'drug'), e('treatment', 52, 59, 'procedure')],
        predicted: [e('disease', 0, 17, 'symptom'), e('disease', 22, 28, 'diagnosis'), e('treatment', 37, 47, 'drug'), e('treatment', 52, 59, 'drug'), e('disease', 60, 65, 'diagnosis')],
      },
    ]);
    expect(report.strict.disease).toMatchObject({ precision: 1 / 3, recall: 1 / 3, support: 3 });
    expect(report.strict.treatment).toMatchObject({ precision: 1, recall: 1, support: 2 });
    expect(report.partial.disease).toMatchObject({ precision: 2 / 3, recall: 2 / 3 });
    expect(report.errors).toEqual([
      { document: 'd1', kind: 'boundary', gold: { ...e('disease', 7, 17, 'symptom'), text: 'chest pain' }, predicted: { ...e('disease', 0, 17, 'symptom'), text: 'Severe chest pain' } },
      { document: 'd1', kind: 'missed', gold: { ...e('disease', 30, 35, 'symptom'), text: 'fever' } },
      { document: 'd1', kind: 'spurious', predicted: { ...e('disease', 60, 65, 'diagnosis'), text: 'given' } },
    ]);
    expect(report.kindAccuracy.treatment).toMatchObject({ support: 2, correct: 1, accuracy: 0.5, confusion: { drug: { drug: 1 }, procedure: { drug: 1 } } });
    expect(report.byKind.procedure).toMatchObject({ precision: 0, recall: 0, support: 1 });
  });

  it('leaves unscored kinds out on both sides, but a prediction of another kind on such an entity is spurious', () => {
    const report = scoreDocuments(
      [{ id: 'd', text: TEXT, gold: [e('disease', 7, 17, 'symptom'), e('disease', 22, 28, 'diagnosis'), e('disease', 30, 35, 'symptom')], predicted: [e('disease', 7, 17, 'symptom'), e('disease', 22, 28, 'diagnosis'), e('disease', 30, 35, 'diagnosis')] }],
      { unscoredKinds: ['symptom'] },
    );
    expect(report.strict.disease).toMatchObject({ precision: 0.5, recall: 1, support: 1 });
    expect(report.kindAccuracy.disease).toMatchObject({ support: 3, correct: 2 });
  });

  it('neither rewards nor punishes a prediction over an unscored span', () => {
    const report = scoreDocuments([{ id: 'd', text: TEXT, gold: [e('treatment', 37, 47)], predicted: [e('treatment', 37, 47), e('treatment', 52, 59)], unscored: [{ start: 52, end: 59 }] }]);
    expect(report.strict.treatment).toMatchObject({ precision: 1, recall: 1 });
    expect(report.errors).toEqual([]);
  });
});
