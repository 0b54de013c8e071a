import { describe, expect, it } from 'vitest';
import { isNerError } from '../../src/errors.js';
import type { TokenSpan } from '../../src/core/tagger/label-codec.js';
import { applySpanRules, DEFAULT_SPAN_RULES, resolveSpanRules } from '../../src/core/clinical/span-rules.js';

const rules = resolveSpanRules(DEFAULT_SPAN_RULES);
const D = (start: number, end: number): TokenSpan => ({ type: 'D', start, end });
const words = (text: string) => text.split(' ');

describe('span rules', () => {
  it('takes a following parenthesised abbreviation into the span', () => {
    const tokens = words('patients with multiple sclerosis ( MS ) were treated');
    expect(applySpanRules(rules, tokens, [D(2, 4)])).toEqual([D(2, 7)]);
    expect(applySpanRules(rules, words('cancer ( letter )'), [D(0, 1)])).toEqual([D(0, 1)]);
  });

  it('closes an open parenthesis, or cuts the span before it', () => {
    expect(applySpanRules(rules, words('Ophthalmoplegia ( Kearns-Sayre-like syndrome ) was'), [D(0, 4)])).toEqual([D(0, 5)]);
    expect(applySpanRules(rules, words('asthma ( severe , 12 patients'), [D(0, 3)])).toEqual([D(0, 1)]);
    expect(applySpanRules(rules, words(') asthma'), [D(0, 2)])).toEqual([D(1, 2)]);
  });

  it('trims punctuation and conjunctions at the edges, dropping spans left empty', () => {
    expect(applySpanRules(rules, words('asthma and , eczema and'), [D(0, 2), D(3, 5)])).toEqual([D(0, 1), D(3, 4)]);
    expect(applySpanRules(rules, words('and ,'), [D(0, 2)])).toEqual([]);
  });

  it('never extends a span over another one', () => {
    const tokens = words('lung cancer ( NSCLC ) chemotherapy');
    const spans: TokenSpan[] = [D(0, 2), { type: 'T', start: 3, end: 4 }];
    expect(applySpanRules(rules, tokens, spans)).toEqual(spans);
  });

  it('refuses rule names this code does not have', () => {
    expect(() => resolveSpanRules(['no-such-rule'])).toThrow(expect.objectContaining({ code: 'NER_ERR_MODEL_TEMPLATES' }));
    expect(isNerError((() => { try { resolveSpanRules(['x']); } catch (e) { return e; } })())).toBe(true);
  });
});
