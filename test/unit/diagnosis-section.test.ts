import { describe, expect, it } from 'vitest';
import { MIN_ITEM_NAME_SCORE, withDiagnosisItems } from '../../src/core/clinical/diagnosis-section.js';
import { noteSections } from '../../src/core/clinical/sections.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';
import type { Entity } from '../../src/core/text/types.js';

const known: Record<string, number> = { 'viral fever': 0.95, 'knee sprain': 0.95, 'osteoarthritis both knees': 0.57, fever: 1 };
const names = { diseaseScore: (name: string) => known[name.toLowerCase()] ?? 0 };

function entity(text: string, note: string, type: Entity['type'] = 'disease'): Entity {
  const start = note.indexOf(text);
  return { type, text, start, end: start + text.length, assertion: 'present', confidence: 0.5 };
}

function run(note: string, found: (sentence: string) => Entity[]): Entity[] {
  const sentences = splitSentences(note);
  const bySentence = sentences.map((s) => found(note.slice(s.tokens[0]!.start, s.tokens[s.tokens.length - 1]!.end)));
  withDiagnosisItems(note, noteSections(note), sentences, bySentence, names, 0.9);
  return bySentence.flat();
}

describe('diagnosis section items', () => {
  it('makes an item the index names as a whole one disease, in place of what was found inside it', () => {
    const note = 'Pt c/o fever\nDx: viral fever\nRx: tab dolo 650';
    const out = run(note, (sentence) => (sentence.startsWith('Dx') ? [{ ...entity('fever', note.slice(note.indexOf('Dx'))), start: note.lastIndexOf('fever'), end: note.lastIndexOf('fever') + 5 }] : []));
    expect(out.map((e) => [e.text, e.start, e.confidence])).toEqual([['viral fever', note.indexOf('viral fever'), 0.9]]);
    expect(MIN_ITEM_NAME_SCORE).toBeGreaterThan(0.57);
  });

  it('splits items at commas and semicolons, skips the header, and leaves weakly named items to the tagger', () => {
    const note = 'Diagnosis: knee sprain; osteoarthritis both knees';
    const osteo = entity('osteoarthritis', note);
    const out = run(note, () => [osteo]);
    expect(out.map((e) => e.text)).toEqual(['knee sprain', 'osteoarthritis']);
  });

  it('leaves items with assertion words, numbers or a tagged span across their bounds', () => {
    const note = 'Dx: no viral fever, viral fever x 2\nImpression: viral fever';
    expect(run(note, () => []).map((e) => [e.text, e.start])).toEqual([['viral fever', note.lastIndexOf('viral fever')]]);
    const crossing = 'Dx: viral fever - paracetamol';
    const span = entity('viral fever - paracetamol', crossing);
    expect(run(crossing, () => [span])).toEqual([span]);
  });

  it('does nothing outside a diagnosis section', () => {
    expect(run('Rx: viral fever\nHistory: knee sprain', () => [])).toEqual([]);
  });
});
