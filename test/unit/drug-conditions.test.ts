import { describe, expect, it } from 'vitest';
import { withDrugConditions } from '../../src/core/clinical/drug-conditions.js';
import type { TokenSpan } from '../../src/core/tagger/label-codec.js';

const words = (sentence: string) => sentence.split(' ');
type Span = TokenSpan & { rescored?: boolean };
const rescored = (span: TokenSpan): Span => ({ ...span, rescored: true });

describe('drug names in a deficiency', () => {
  it('makes a drug name and the "deficiency" after it one disease span, taking a disease span that starts there', () => {
    const line = words('Rx for vitamin D deficiency ( 25-OH D 11 ng/ml )');
    expect(withDrugConditions<Span>(line, [{ type: 'T', start: 2, end: 4 }], rescored)).toEqual([{ type: 'D', start: 2, end: 5, rescored: true }]);
    const split = words('folic acid deficiency anemia and metformin');
    expect(withDrugConditions<Span>(split, [{ type: 'T', start: 0, end: 2 }, { type: 'D', start: 2, end: 4 }, { type: 'T', start: 5, end: 6 }], rescored)).toEqual([
      { type: 'D', start: 0, end: 4, rescored: true },
      { type: 'T', start: 5, end: 6 },
    ]);
  });

  it('leaves other spans, and toxicity or allergy, as decoded', () => {
    const spans: Span[] = [{ type: 'T', start: 0, end: 1 }, { type: 'T', start: 3, end: 4 }];
    const line = words('digoxin toxicity ; penicillin allergy');
    expect(withDrugConditions(line, spans, rescored)).toBe(spans);
  });
});
