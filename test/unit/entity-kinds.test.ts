import { describe, expect, it } from 'vitest';
import { entityKind, kindEnricher, kindFeatures, noteKindsFromCodes, trainKindClassifier, underDiagnosisHeading, type KindExample } from '../../src/core/clinical/entity-kinds.js';
import type { Entity } from '../../src/core/text/types.js';
import { buildGazetteer } from '../../src/core/tagger/gazetteer.js';

const gazetteer = buildGazetteer([
  { tokens: ['asthma'], kind: 'disease' },
  { tokens: ['pneumonia'], kind: 'disease' },
  { tokens: ['metformin'], kind: 'drug' },
  { tokens: ['salbutamol'], kind: 'drug' },
]);

/** Short notes whose entities say their own kind, with words a model can generalise from. */
function examples(): KindExample[] {
  const rows: [string, string, KindExample['type'], KindExample['kind']][] = [
    ['Known case of asthma.', 'asthma', 'disease', 'diagnosis'],
    ['Admitted with pneumonia.', 'pneumonia', 'disease', 'diagnosis'],
    ['He complained of fever and chills.', 'fever', 'disease', 'symptom'],
    ['She reported severe headache.', 'headache', 'disease', 'symptom'],
    ['Complains of abdominal pain.', 'abdominal pain', 'disease', 'symptom'],
    ['Diagnosed with tuberculosis.', 'tuberculosis', 'disease', 'diagnosis'],
    ['Started on metformin daily.', 'metformin', 'treatment', 'drug'],
    ['Given salbutamol nebulisation.', 'salbutamol', 'treatment', 'drug'],
    ['Underwent appendectomy yesterday.', 'appendectomy', 'treatment', 'procedure'],
    ['Laparoscopic cholecystectomy was done.', 'cholecystectomy', 'treatment', 'procedure'],
  ];
  return Array.from({ length: 5 }, () => rows).flat().map(([text, name, type, kind]) => {
    const start = text.indexOf(name);
    return { type, kind, features: kindFeatures(text, start, start + name.length, gazetteer) };
  });
}

describe('entity kinds', () => {
  it('describes a span by its words, endings, context and what the vocabularies say of it', () => {
    const text = 'Known case of asthma since childhood.';
    const features = kindFeatures(text, 14, 20, gazetteer);
    expect(features).toEqual(expect.arrayContaining(['span=asthma', 'last=asthma', 'b1=of', 'b2=case', 'a1=since', 'lexicon=disease', 'lexicon-whole=disease']));
    expect(kindFeatures('Pt c/o HTN.', 7, 10, null)).toContain('abbreviation');
  });

  it('learns diagnosis from symptom and drug from procedure, the same way every time', () => {
    const classifier = trainKindClassifier(examples());
    const kind = (text: string, name: string, type: KindExample['type']) => {
      const start = text.indexOf(name);
      return entityKind(classifier, type, kindFeatures(text, start, start + name.length, gazetteer));
    };
    expect(kind('Known case of asthma.', 'asthma', 'disease')).toBe('diagnosis');
    expect(kind('He complained of fever.', 'fever', 'disease')).toBe('symptom');
    expect(kind('Started on salbutamol.', 'salbutamol', 'treatment')).toBe('drug');
    expect(kind('Underwent cholecystectomy.', 'cholecystectomy', 'treatment')).toBe('procedure');
    expect(trainKindClassifier(examples())).toEqual(classifier);
  });

  it('gives each entity of a note the kind the classifier gives its features, a name seen before included', () => {
    const classifier = trainKindClassifier(examples());
    const note = 'Known case of asthma. He complained of fever. Started on salbutamol. Fever with asthma again. Underwent appendectomy.';
    const named: [string, number, Entity['type']][] = [['asthma', 0, 'disease'], ['fever', 0, 'disease'], ['salbutamol', 0, 'treatment'], ['Fever', 0, 'disease'], ['asthma', 1, 'disease'], ['appendectomy', 0, 'treatment']];
    const entities: Entity[] = named.map(([name, nth, type]) => {
      let start = note.indexOf(name);
      for (let i = 0; i < nth; i++) start = note.indexOf(name, start + 1);
      return { type, text: name, start, end: start + name.length, assertion: 'present', confidence: 1 };
    });
    const enricher = kindEnricher(classifier, gazetteer);
    for (let pass = 0; pass < 2; pass++) {
      enricher.apply({ text: note }, entities);
      for (const entity of entities) expect(entity.kind).toBe(entityKind(classifier, entity.type, kindFeatures(note, entity.start, entity.end, gazetteer)));
    }
    expect(entities.map((e) => e.kind)).toEqual(['diagnosis', 'symptom', 'drug', 'symptom', 'diagnosis', 'procedure']);
  });

  it('reads operations and therapies written in shorthand as procedures, a name after a dose form as a drug, a complaint as a symptom and a diagnosis\'s abbreviation as a diagnosis, whatever the classifier says', () => {
    const classifier = trainKindClassifier(examples());
    const note = 'Started on salbutamol. s/p PTCA. Physiotherapy daily. Underwent TURP. Lap cholecystectomy done. Tab Nodosis BD. Known case of tachycardia. c/o burning, ?UTI. Under general anesthesia.';
    const diseases = new Set(['tachycardia', 'UTI']);
    const entities: Entity[] = ['salbutamol', 'PTCA', 'Physiotherapy', 'TURP', 'Lap cholecystectomy', 'Nodosis', 'tachycardia', 'UTI', 'general anesthesia'].map((name) => {
      const start = note.indexOf(name);
      return { type: diseases.has(name) ? 'disease' : 'treatment', text: name, start, end: start + name.length, assertion: 'present', confidence: 1 };
    });
    kindEnricher(classifier, gazetteer).apply({ text: note }, entities);
    expect(entities.map((e) => e.kind)).toEqual(['drug', 'procedure', 'procedure', 'procedure', 'procedure', 'drug', 'symptom', 'diagnosis', 'procedure']);
  });

  it('reads a disease under a diagnosis heading on its line as a diagnosis, and nothing else', () => {
    const note = 'Pt c/o fever x3d. Dx: typhoid.\nImpression - community acquired pneumonia\nfever since 2 days';
    expect(underDiagnosisHeading(note, note.indexOf('typhoid'))).toBe(true);
    expect(underDiagnosisHeading(note, note.indexOf('community'))).toBe(true);
    expect(underDiagnosisHeading(note, note.indexOf('fever'))).toBe(false);
    expect(underDiagnosisHeading(note, note.lastIndexOf('fever'))).toBe(false);
    expect(underDiagnosisHeading('The redox: reaction', 12)).toBe(false);
    // The heading's sentence ends: "Dx: likely otitis media. Sent amoxicillin. Motrin PRN fever".
    const phoned = 'Dx: likely otitis media. Sent amoxicillin. Motrin PRN fever';
    expect(underDiagnosisHeading(phoned, phoned.indexOf('otitis'))).toBe(true);
    expect(underDiagnosisHeading(phoned, phoned.indexOf('fever'))).toBe(false);
  });

  it('reads the items of a list under a diagnosis heading line as diagnoses, and no other list', () => {
    const note = 'Diagnoses:\n1. Paroxysmal atrial fibrillation\n2. Hypertension\nSymptoms:\n- palpitations';
    expect(underDiagnosisHeading(note, note.indexOf('Hypertension'))).toBe(true);
    expect(underDiagnosisHeading(note, note.indexOf('Paroxysmal'))).toBe(true);
    expect(underDiagnosisHeading(note, note.indexOf('palpitations'))).toBe(false);
    expect(underDiagnosisHeading('Diagnoses:\nSeen with her son.\n1. palpitations', 35)).toBe(false);
  });
});

describe('kinds from codes in note-style notes', () => {
  const coded = (text: string, code: string, score = 0.95): Entity => ({ type: 'disease', kind: 'symptom', text, start: 0, end: text.length, assertion: 'present', confidence: 0.9, codes: [{ system: 'ICD-10-CM', code, display: text, score }] });
  const note = { text: '', sentences: [] };

  it('makes a surely coded disease typed a symptom a diagnosis, and leaves signs, complaints and unsure codes', () => {
    const entities = [coded('hypertension', 'I10'), coded('fever', 'R50.9'), coded('joint pain', 'M25.50'), coded('osteoarthritis both knees', 'M19.90', 0.57)];
    noteKindsFromCodes(() => true).apply(note, entities);
    expect(entities.map((e) => e.kind)).toEqual(['diagnosis', 'symptom', 'symptom', 'symptom']);
  });

  it('makes a surely coded sign typed a diagnosis a symptom, but under a diagnosis header', () => {
    const text = 'Tab Dolo 650 SOS for fever\nDx: fever';
    const at = (word: string, from: number): Entity => ({ ...coded(word, 'R50.9'), kind: 'diagnosis', start: text.indexOf(word, from), end: text.indexOf(word, from) + word.length });
    const entities = [at('fever', 0), at('fever', 27)];
    noteKindsFromCodes(() => true).apply({ text, sentences: [] }, entities);
    expect(entities.map((e) => e.kind)).toEqual(['symptom', 'diagnosis']);
  });

  it('keeps a presenting complaint a symptom whatever its words code to, but under a diagnosis heading', () => {
    const text = 'c/o sore throat x 2 days\nDx: sore throat';
    const at = (from: number, kind: 'diagnosis' | 'symptom'): Entity => ({ ...coded('sore throat', 'J02.9'), kind, start: text.indexOf('sore throat', from), end: text.indexOf('sore throat', from) + 11 });
    const entities = [at(0, 'symptom'), at(20, 'diagnosis')];
    noteKindsFromCodes(() => true).apply({ text, sentences: [] }, entities);
    expect(entities.map((e) => e.kind)).toEqual(['symptom', 'diagnosis']);
  });

  it('leaves notes that are not in note style to the classifier', () => {
    const entities = [coded('hypertension', 'I10')];
    noteKindsFromCodes(() => false).apply(note, entities);
    expect(entities[0]?.kind).toBe('symptom');
  });
});
