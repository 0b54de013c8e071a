import { describe, expect, it } from 'vitest';
import { labeledSentencesOf } from '../../src/core/text/annotated-sentences.js';

describe('labeledSentencesOf', () => {
  it('labels the tokens inside each entity, sentence by sentence', () => {
    const text = 'Pt c/o fever x3d. Dx: typhoid fever. Rx: tab azithromycin 500mg OD.';
    const start = (s: string) => text.indexOf(s);
    const sentences = labeledSentencesOf(text, [
      { type: 'treatment', start: start('azithromycin'), end: start('azithromycin') + 'azithromycin'.length },
      { type: 'disease', start: start('typhoid'), end: start('typhoid fever') + 'typhoid fever'.length },
    ]);
    const labelled = sentences.flatMap((s) => s.tokens.map((t, i) => `${t}/${s.labels[i]}`));
    expect(labelled).toContain('typhoid/D');
    expect(labelled).toContain('fever/D');
    expect(labelled).toContain('azithromycin/T');
    expect(labelled.filter((l) => !l.endsWith('/O'))).toEqual(['typhoid/D', 'fever/D', 'azithromycin/T']);
    expect(sentences.length).toBeGreaterThan(1);
    expect(sentences.every((s) => s.tokens.length === s.labels.length)).toBe(true);
  });

  it('labels a token an entity only partly covers, and nothing for a note without entities', () => {
    const [sentence] = labeledSentencesOf('asthma-like wheeze', [{ type: 'disease', start: 0, end: 6 }]);
    expect(sentence?.labels[0]).toBe('D');
    expect(labeledSentencesOf('No findings.', []).flatMap((s) => s.labels)).toEqual(['O', 'O', 'O']);
    expect(labeledSentencesOf('', [])).toEqual([]);
  });
});
