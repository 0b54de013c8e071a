import { describe, expect, it } from 'vitest';
import { abbreviates, definedAbbreviations, withDefinedAbbreviations } from '../../src/core/clinical/defined-abbreviations.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';
import type { Entity } from '../../src/core/text/types.js';

function at(note: string, text: string, type: Entity['type'], from = 0): Entity {
  const start = note.indexOf(text, from);
  return { type, text, start, end: start + text.length, assertion: 'present', confidence: 0.8 };
}

/** The note's entities after the step, with `given` placed in their sentences. */
function run(note: string, given: Entity[]): Entity[] {
  const sentences = splitSentences(note);
  const found = sentences.map((s) => given.filter((e) => e.start >= s.tokens[0]!.start && e.end <= s.tokens[s.tokens.length - 1]!.end));
  withDefinedAbbreviations(note, sentences, found, 0.9);
  return found.flat();
}

describe('abbreviations a note defines', () => {
  it('reads an abbreviation whose letters stand in order in its expansion, the first starting a word', () => {
    expect(abbreviates('GD', "Graves' disease")).toBe(true);
    expect(abbreviates('TPN', 'total parenteral nutrition')).toBe(true);
    expect(abbreviates('CKD', 'chronic kidney disease')).toBe(true);
    expect(abbreviates('ECOG', 'chronic kidney disease')).toBe(false);
    expect(abbreviates('KD', 'chronic disease')).toBe(false);
  });

  it('marks later mentions with the definition type, inside the entity or right after it', () => {
    const note = 'She has chronic kidney disease (CKD) and was started on total parenteral nutrition (TPN).\nCKD is stable. TPN was stopped on day 5.';
    const out = run(note, [at(note, 'chronic kidney disease (CKD)', 'disease'), at(note, 'total parenteral nutrition', 'treatment')]);
    expect(out.map((e) => [e.type, e.text, e.start, e.confidence])).toEqual([
      ['disease', 'chronic kidney disease (CKD)', note.indexOf('chronic'), 0.8],
      ['treatment', 'total parenteral nutrition', note.indexOf('total'), 0.8],
      ['disease', 'CKD', note.indexOf('CKD is'), 0.9],
      ['treatment', 'TPN', note.indexOf('TPN was'), 0.9],
    ]);
  });

  it('leaves mentions already inside an entity, case variants, and letters defined for both types', () => {
    const note = 'Multiple sclerosis (MS) and morphine sulfate (MS) were noted. MS flared; Ckd and ckd are not CKD.\nchronic kidney disease (CKD). CKD stage 3 is stable.';
    const stage = at(note, 'CKD stage 3', 'disease');
    const out = run(note, [at(note, 'Multiple sclerosis (MS)', 'disease'), at(note, 'morphine sulfate (MS)', 'treatment'), at(note, 'chronic kidney disease (CKD)', 'disease'), stage]);
    expect(out.filter((e) => e.confidence === 0.9).map((e) => [e.text, e.start])).toEqual([['CKD', note.indexOf('not CKD') + 4]]);
    expect(definedAbbreviations(note, out).map((d) => d.abbreviation)).toEqual(['MS', 'MS', 'CKD']);
  });
});
