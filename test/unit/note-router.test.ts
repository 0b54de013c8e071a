import { describe, expect, it } from 'vitest';
import { noteRouting, routeNote, routerFeatures, trainNoteRouter } from '../../src/core/tagger/note-router.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';

const words = (text: string) => splitSentences(text).map((s) => s.tokens.map((t) => t.text));
const features = (text: string) => routerFeatures(text, words(text));

const REPORTS = [
  'A 54-year-old man presented with chest pain radiating to the left arm. He was admitted to the hospital and treated with aspirin.',
  'The patient underwent laparoscopic cholecystectomy. The postoperative course was uneventful and she was discharged on day three.',
  'A 30-year-old woman presented with fever and cough. Chest radiography revealed a consolidation, and antibiotics were started.',
];
const CRITERIA = [
  'Age 18 years or older\nHistory of myocardial infarction\nCurrent use of warfarin\nPregnant or lactating women',
  'Diagnosis of type 2 diabetes\nHbA1c between 7% and 10%\nNo prior insulin therapy\nAble to give informed consent',
  'Known hypersensitivity to study drug\nActive malignancy\nSevere renal impairment\nParticipation in another trial',
];

describe('the note router', () => {
  it('reads a note\'s style: sentence length, lines, periods, capitals, and its words', () => {
    const f = features(CRITERIA[0] as string);
    expect(f).toEqual(expect.arrayContaining(['bias', 'line-length=short', 'period-ended=few', 'w=warfarin']));
    expect(features(REPORTS[0] as string)).toEqual(expect.arrayContaining(['line-length=one-line', 'w=presented']));
  });

  it('routes case reports and criteria to the domain they read like', () => {
    const notes = Array.from({ length: 4 }, () => [...REPORTS.map((t) => ({ domain: 'case-reports', features: features(t) })), ...CRITERIA.map((t) => ({ domain: 'trial-criteria', features: features(t) }))]).flat();
    const router = trainNoteRouter(notes, { epochs: 8, learningRate: 0.1, l2: 1e-4, seed: 1, minNotes: 2 });
    expect(Object.keys(router.domains).sort()).toEqual(['case-reports', 'trial-criteria']);
    expect(routeNote(router, features('A 70-year-old man presented with dyspnea. He was treated with furosemide and discharged.'))).toBe('case-reports');
    expect(routeNote(router, features('History of stroke\nCurrent use of anticoagulants\nAge over 65 years'))).toBe('trial-criteria');
  });

  it('routes one note after another as routeNote does, whatever words it has seen before', () => {
    const notes = Array.from({ length: 4 }, () => [...REPORTS.map((t) => ({ domain: 'case-reports', features: features(t) })), ...CRITERIA.map((t) => ({ domain: 'trial-criteria', features: features(t) }))]).flat();
    const router = trainNoteRouter(notes, { epochs: 8, learningRate: 0.1, l2: 1e-4, seed: 1, minNotes: 1 });
    const route = noteRouting(router);
    const texts = [
      ...REPORTS, ...CRITERIA,
      'History of stroke\nCurrent use of anticoagulants\nAge over 65 years',
      'HISTORY OF STROKE. history of Stroke.\n\n  \nWarfarin warfarin WARFARIN 5 mg .  \u00a0\n',
      'A 70-year-old man presented with dyspnea. He was treated with furosemide and discharged.',
      '', '\n\n', 'x',
    ];
    const routes = texts.map((text) => route(text, words(text)));
    expect(routes).toEqual(texts.map((text) => routeNote(router, features(text))));
    expect(new Set(routes)).toEqual(new Set(['case-reports', 'trial-criteria']));
    // A second pass reads the remembered words.
    expect(texts.map((text) => route(text, words(text)))).toEqual(routes);
  });
});
