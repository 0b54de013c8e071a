import { describe, expect, it } from 'vitest';
import { AMBIGUOUS_ABBREVIATIONS, hasOtherSense, withoutOtherSenses } from '../../src/core/clinical/ambiguous-abbreviations.js';
import type { Entity } from '../../src/core/text/types.js';

function at(note: string, text: string, from = 0): Entity {
  const start = note.indexOf(text, from);
  return { type: 'disease', text, start, end: start + text.length, assertion: 'present', confidence: 0.6 };
}

describe('abbreviations with another sense', () => {
  it('drops RA after an oxygen saturation, PCP as the primary care provider, PE as the examination', () => {
    for (const [note, letters] of [
      ['O/E: RR 38/min, SpO2 93% on RA, b/l rhonchi', 'RA'],
      ['SATS 91 % ON RA', 'RA'],
      ['Follow up with PCP in 1 week.', 'PCP'],
      ['PE: lungs clear, abdomen soft.', 'PE'],
      ['PE unremarkable.', 'PE'],
      ['Hospital Medicine Progress Note - HD 3', 'HD'],
    ] as const) {
      expect(hasOtherSense(note, at(note, letters)), note).toBe(true);
    }
  });

  it('keeps them where they name the disease', () => {
    for (const [note, letters] of [
      ['K/c/o RA on methotrexate 15 mg weekly', 'RA'],
      ['PCP was diagnosed by BAL and treated with co-trimoxazole.', 'PCP'],
      ['CT angiogram confirmed a PE; started apixaban.', 'PE'],
      ['Rheumatoid arthritis (Ra) flare', 'Ra'],
      ['ESRD on HD three times a week', 'HD'],
    ] as const) {
      expect(hasOtherSense(note, at(note, letters)), note).toBe(false);
    }
  });

  it('drops the time around an operation, which a vocabulary lists as a brand', () => {
    const note = 'Xarelto: HOLD pre-op, resume post-op.';
    expect(hasOtherSense(note, { ...at(note, 'pre-op'), type: 'treatment' })).toBe(true);
    expect(hasOtherSense(note, { ...at(note, 'post-op'), type: 'treatment' })).toBe(true);
  });

  it('drops a disease that names a protocol, clinic or team, and keeps a treatment given by protocol', () => {
    const note = 'Heparin per ACS protocol. Seen in the TB clinic. Chemotherapy protocol started for lymphoma.';
    expect(hasOtherSense(note, at(note, 'ACS'))).toBe(true);
    expect(hasOtherSense(note, at(note, 'TB'))).toBe(true);
    expect(hasOtherSense(note, { ...at(note, 'Chemotherapy'), type: 'treatment' })).toBe(false);
    expect(hasOtherSense(note, at(note, 'lymphoma'))).toBe(false);
  });

  it('drops ordinary words a vocabulary lists, in any case, and keeps names that hold them', () => {
    for (const [note, word] of [['Seen with his wife.', 'his'], ['RICE advised.', 'RICE'], ['Review today.', 'today'], ['Blood sent for culture.', 'Blood'], ['Ortho OPD. 60/F', 'Ortho'], ['compliant with drugs', 'drugs'], ['Alcohol occasional.', 'Alcohol']] as const) {
      expect(hasOtherSense(note, at(note, word)), note).toBe(true);
    }
    expect(hasOtherSense('blood transfusion given', at('blood transfusion given', 'blood transfusion'))).toBe(false);
    expect(hasOtherSense('Allergic to rice bran', at('Allergic to rice bran', 'rice bran'))).toBe(false);
    expect(hasOtherSense('signs of alcohol withdrawal', at('signs of alcohol withdrawal', 'alcohol withdrawal'))).toBe(false);
  });

  it('drops the words of an operation\'s description, and keeps the procedures they are part of', () => {
    for (const [note, word] of [['The gallbladder was removed.', 'removed'], ['The skin was closed with 4-0 sutures.', 'sutures'], ['A 3 cm incision was made.', 'incision'], ['Placed in the supine position.', 'supine position'], ['Alert and oriented.', 'oriented'], ['In no acute distress.', 'distress'], ['The fascia was opened.', 'fascia']] as const) {
      expect(hasOtherSense(note, at(note, word)), note).toBe(true);
    }
    for (const [note, words] of [['Excision of the cyst done.', 'Excision of the cyst'], ['Acute aortic dissection.', 'aortic dissection'], ['Daily dressing of the wound.', 'dressing']] as const) {
      expect(hasOtherSense(note, at(note, words)), note).toBe(false);
    }
  });

  it('drops the abbreviations of investigations, which vocabularies list as drugs', () => {
    for (const [note, word] of [['Repeat TFT after 6 wks', 'TFT'], ['Check LFT and CMP in 2 weeks.', 'CMP'], ['FBS, PPBS sent', 'PPBS']] as const) {
      expect(hasOtherSense(note, at(note, word)), note).toBe(true);
    }
    expect(hasOtherSense('Started trifluridine', at('Started trifluridine', 'trifluridine'))).toBe(false);
  });

  it('drops a substance followed by its measured value, keeps it with a dose', () => {
    for (const [note, name, measured] of [
      ['T2DM - continue metformin; glucose 148 today.', 'glucose', true],
      ['Potassium 3.1, start potassium chloride.', 'Potassium', true],
      ['creatinine 1.2 mg/dL', 'creatinine', true],
      ['Ferritin: 12', 'Ferritin', true],
      ['potassium 20 mEq PO daily', 'potassium', false],
      ['glucose 25% 50 mL IV', 'glucose', false],
    ] as const) {
      expect(hasOtherSense(note, at(note, name)), note).toBe(measured);
    }
  });

  it('drops a dose form before a drug, a temperature, and advice', () => {
    expect(hasOtherSense('Inh Foracort 200 2 puffs BD', at('Inh Foracort 200 2 puffs BD', 'Inh'))).toBe(true);
    expect(hasOtherSense('worse with hot and cold', at('worse with hot and cold', 'cold'))).toBe(true);
    expect(hasOtherSense('c/o cold and cough x 2 days', at('c/o cold and cough x 2 days', 'cold'))).toBe(false);
    expect(hasOtherSense('Adv: steam inhalation BD', at('Adv: steam inhalation BD', 'steam inhalation'))).toBe(true);
  });

  it('removes only those entities from their sentences', () => {
    const note = 'SpO2 95% on RA. K/c/o RA.';
    const found = [[at(note, 'RA')], [at(note, 'RA', 16)]];
    withoutOtherSenses(note, found);
    expect(found.map((s) => s.map((e) => e.start))).toEqual([[], [note.lastIndexOf('RA')]]);
    expect(AMBIGUOUS_ABBREVIATIONS.every((rule) => rule.before !== undefined || rule.after !== undefined)).toBe(true);
  });
});
