import { describe, expect, it } from 'vitest';
import { buildGazetteer } from '../../src/core/tagger/gazetteer.js';
import { doseFollows, isNoteStyle, isNoteStyleText, noteLexicon, withLexiconSpans, writesDose } from '../../src/core/clinical/note-lexicon.js';

const words = (sentence: string) => sentence.split(' ');
const gazetteer = buildGazetteer([
  { tokens: ['azithromycin'], kind: 'drug' },
  { tokens: ['paracetamol'], kind: 'drug' },
  { tokens: ['fluconazole'], kind: 'drug' },
  { tokens: ['typhoid', 'fever'], kind: 'disease' },
  { tokens: ['iron'], kind: 'drug' },
  { tokens: ['iron', 'deficiency', 'anemia'], kind: 'disease' },
  { tokens: ['today'], kind: 'drug' },
]);
const lexicon = noteLexicon(gazetteer);

describe('note style', () => {
  it('reads prescriptions, shorthand, glued doses, durations and bullets as note style', () => {
    expect(isNoteStyle(words('Rx : tab azithromycin 500mg OD x5d'))).toBe(true);
    expect(isNoteStyle(words('Pt c/o fever'))).toBe(true);
    expect(isNoteStyle(words('- metformin 500 mg bd'))).toBe(true);
    expect(isNoteStyle(words('amoxicillin 500 mg p.o. t.i.d.'))).toBe(true);
    expect(isNoteStyle(words('continue x3d'))).toBe(true);
  });

  it('leaves prose alone, including capitalised abbreviations that mean something else there', () => {
    expect(isNoteStyle(words('Cisplatin 75 mg/m2 was given on day 1 to patients with lung cancer .'))).toBe(false);
    expect(isNoteStyle(words('prothrombin time ( PT ) was measured at weeks 2 and 4'))).toBe(false);
    expect(isNoteStyle(words('paclitaxel plus carboplatin ( PC ) in advanced NSCLC'))).toBe(false);
    expect(isNoteStyle(words('The starting dose was 0.25 mg BID'))).toBe(true);
    expect(isNoteStyleText([words('Dengue .'), words('Rx : tab paracetamol 650mg SOS')])).toBe(true);
    expect(isNoteStyleText([words('Dengue fever is endemic .')])).toBe(false);
  });
});

describe('the lexicon pass', () => {
  it('adds drug and disease names the CRF left out, in note-style sentences only', () => {
    const rx = words('Dx : typhoid fever . Rx : tab azithromycin 500mg OD , paracetamol SOS');
    expect(withLexiconSpans(rx, [], lexicon)).toEqual([
      { type: 'D', start: 2, end: 4, fromLexicon: true },
      { type: 'T', start: 8, end: 9, fromLexicon: true },
      { type: 'T', start: 12, end: 13, fromLexicon: true },
    ]);
    const prose = words('Azithromycin was compared with paracetamol in typhoid fever .');
    expect(withLexiconSpans(prose, [], lexicon)).toEqual([]);
    expect(withLexiconSpans(prose, [], lexicon, { noteStyle: true })).toHaveLength(3);
    expect(withLexiconSpans(rx, [], lexicon, { noteStyle: false })).toEqual([]);
  });

  it('keeps CRF spans, cuts one that runs over a dose line, prefers the longer name and skips ordinary words', () => {
    const line = words('luliconazole cream BD x3 wks tab fluconazole 150mg today');
    const crf = [{ type: 'T' as const, start: 0, end: 7 }];
    expect(withLexiconSpans(line, crf, lexicon)).toEqual([
      { type: 'T', start: 0, end: 1 },
      { type: 'T', start: 6, end: 7, fromLexicon: true },
    ]);
    expect(withLexiconSpans(words('Dx : iron deficiency anemia , tab iron'), [], lexicon)).toEqual([
      { type: 'D', start: 2, end: 5, fromLexicon: true },
      { type: 'T', start: 7, end: 8, fromLexicon: true },
    ]);
    // Shorthand the vocabularies lack: abbreviations and presenting complaints.
    expect(withLexiconSpans(words('k/c/o HTN , T2DM , c/o fever and sore throat'), [], lexicon)).toEqual([
      { type: 'D', start: 1, end: 2, fromLexicon: true },
      { type: 'D', start: 3, end: 4, fromLexicon: true },
      { type: 'D', start: 6, end: 7, fromLexicon: true },
      { type: 'D', start: 8, end: 10, fromLexicon: true },
    ]);
  });
});

describe('combinations', () => {
  it('widens a disease span to the disease name around it, not over another span, a treatment or a name of the other type', () => {
    const line = words('Dx : typhoid fever , tab paracetamol 650 SOS');
    expect(withLexiconSpans(line, [{ type: 'D', start: 3, end: 4 }], lexicon)).toEqual([
      { type: 'D', start: 2, end: 4 },
      { type: 'T', start: 6, end: 7, fromLexicon: true },
    ]);
    // A treatment span is not widened (its route stays outside: "IV fluids" is `fluids`); nor is the CRF's span of
    // the other type, or two spans inside the name.
    expect(withLexiconSpans(line, [{ type: 'T', start: 3, end: 4 }], lexicon)[0]).toEqual({ type: 'T', start: 3, end: 4 });
    expect(withLexiconSpans(line, [{ type: 'D', start: 2, end: 3 }, { type: 'D', start: 3, end: 4 }], lexicon).slice(0, 2)).toEqual([{ type: 'D', start: 2, end: 3 }, { type: 'D', start: 3, end: 4 }]);
  });

  it('finds a fixed-dose combination written as one word whose parts are all drug names', () => {
    const line = words('- azithromycin-fluconazole 500 mg BD , typhoid-fever , paracetamol+fluconazole');
    expect(withLexiconSpans(line, [], lexicon)).toEqual([
      { type: 'T', start: 1, end: 2, fromLexicon: true },
      { type: 'T', start: 8, end: 9, fromLexicon: true },
    ]);
  });
});

describe('doses', () => {
  it('finds a dose written after a number or glued to it, and the name it follows', () => {
    expect(writesDose(words('increase lisinopril to 20 mg daily'))).toBe(true);
    expect(writesDose(words('potassium chloride 20 mEq PO BID'))).toBe(true);
    expect(writesDose(words('paracetamol 500mg'))).toBe(true);
    expect(writesDose(words('seen 20 days ago with 2 children'))).toBe(false);
    const line = words('increase lisinopril to 20 mg daily ; add aspirin , 75 mg');
    expect(doseFollows(line, 2)).toBe(true);
    expect(doseFollows(line, 9)).toBe(false);
    expect(doseFollows(words('insulin glargine 18 units at bedtime'), 2)).toBe(true);
    expect(doseFollows(words('metformin was started 3 years ago'), 1)).toBe(false);
  });

  it('keeps decoded spans whole when asked not to cut them at dose words, and at a number that is part of a name', () => {
    const line = words('type 1 diabetes mellitus');
    const crf = [{ type: 'D' as const, start: 0, end: 4 }];
    expect(withLexiconSpans(line, crf, lexicon, { noteStyle: true, cutAtDoseWords: false })).toEqual(crf);
    expect(withLexiconSpans(line, crf, lexicon, { noteStyle: true })).toEqual(crf);
    // A dose line still ends a span, but a number a name gives itself does not.
    const dosed = words('metformin 500 mg BD');
    expect(withLexiconSpans(dosed, [{ type: 'T', start: 0, end: 3 }], lexicon, { noteStyle: true })).toEqual([{ type: 'T', start: 0, end: 1 }]);
    const staged = words('k/c/o stage 3 CKD on tab amlodipine');
    expect(withLexiconSpans(staged, [{ type: 'D', start: 1, end: 4 }], lexicon, { noteStyle: true })[0]).toEqual({ type: 'D', start: 1, end: 4 });
  });
});
