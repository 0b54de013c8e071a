import { describe, expect, it } from 'vitest';
import { isInHeaderName, withoutHeaderNames } from '../../src/core/clinical/header-names.js';
import type { Entity } from '../../src/core/text/types.js';

function spanOf(text: string, words: string, from = 0): [number, number] {
  const start = text.indexOf(words, from);
  return [start, start + words.length];
}

describe('isInHeaderName', () => {
  it.each([
    ['ALLERGIES: Penicillin.', 'ALLERGIES'],
    ['COMPLICATIONS: None.', 'COMPLICATIONS'],
    ['ESTIMATED BLOOD LOSS: Minimal.', 'BLOOD LOSS'],
    ['2. Type of anesthesia : general', 'anesthesia'],
    ['Vitals stable. Allergies: sulfa.', 'Allergies'],
    ['PREOPERATIVE DIAGNOSIS:\nAcute appendicitis', 'PREOPERATIVE DIAGNOSIS'],
  ])('a header: %s', (text, words) => {
    expect(isInHeaderName(text, ...spanOf(text, words))).toBe(true);
  });

  it.each([
    ['HTN: amlodipine 5 mg OD', 'HTN'],
    ['Asthma: salbutamol SOS', 'Asthma'],
    ['Allergies: penicillin', 'penicillin'],
    ['Seasonal allergies, on cetirizine.', 'allergies'],
    ['Blood loss anaemia: iron', 'Blood loss'],
  ])('not a header: %s', (text, words) => {
    expect(isInHeaderName(text, ...spanOf(text, words))).toBe(false);
  });
});

describe('withoutHeaderNames', () => {
  it('drops the entities in header names and keeps the rest', () => {
    const text = 'ALLERGIES: Penicillin.\nANESTHESIA: General.';
    const entity = (words: string, type: Entity['type']): Entity => {
      const [start, end] = spanOf(text, words);
      return { type, text: words, start, end, confidence: 0.9, assertion: 'present' };
    };
    const found = [[entity('ALLERGIES', 'disease'), entity('Penicillin', 'treatment')], [entity('ANESTHESIA', 'treatment')]];
    withoutHeaderNames(text, found);
    expect(found.map((sentence) => sentence.map((e) => e.text))).toEqual([['Penicillin'], []]);
  });
});
