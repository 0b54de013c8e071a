import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAX_SENTENCE_TOKENS, splitSentences, tokenize } from '../../src/core/text/tokenizer.js';
import type { Sentence, Token } from '../../src/core/text/types.js';

const texts = (text: string): string[] => tokenize(text).map((t) => t.text);
const sentenceTexts = (text: string): string[] =>
  splitSentences(text).map((s) => s.tokens.map((t) => t.text).join(' '));

/** Throws (rather than calling expect per token) so that 1 MB inputs stay fast. */
function assertTokenInvariants(text: string, tokens: Token[]): void {
  const covered = new Uint8Array(text.length);
  let previousEnd = 0;
  for (const token of tokens) {
    if (token.start < previousEnd) throw new Error(`token ${JSON.stringify(token)} overlaps or is out of order`);
    if (token.end <= token.start) throw new Error(`empty token at ${token.start}`);
    if (text.slice(token.start, token.end) !== token.text) throw new Error(`offsets of ${JSON.stringify(token)} are wrong`);
    if (/\s/.test(token.text)) throw new Error(`token ${JSON.stringify(token.text)} contains whitespace`);
    if (isLowSurrogate(text.charCodeAt(token.start)) && isHighSurrogate(text.charCodeAt(token.start - 1))) {
      throw new Error(`token at ${token.start} splits a surrogate pair`);
    }
    covered.fill(1, token.start, token.end);
    previousEnd = token.end;
  }
  for (let k = 0; k < text.length; k++) {
    if (covered[k] === 0 && !/\s/.test(text.charAt(k))) throw new Error(`unit ${k} (${text.charCodeAt(k)}) is in no token`);
  }
}

function assertSentenceInvariants(text: string, sentences: Sentence[]): void {
  const tokens = tokenize(text);
  const flat = sentences.flatMap((s) => s.tokens);
  expect(flat).toEqual(tokens);
  for (const sentence of sentences) {
    expect(sentence.tokens.length).toBeGreaterThan(0);
    expect(sentence.tokens.length).toBeLessThanOrEqual(MAX_SENTENCE_TOKENS);
    expect(sentence.start).toBe(sentence.tokens[0]?.start);
    expect(sentence.end).toBe(sentence.tokens[sentence.tokens.length - 1]?.end);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

describe('tokenize: conventions of the MEDLINE training corpus', () => {
  it.each([
    ['(n = 2395) were analyzed;', ['(', 'n', '=', '2395', ')', 'were', 'analyzed', ';']],
    ['The total cesarean rate was 14.4% (344 of 2395),', ['The', 'total', 'cesarean', 'rate', 'was', '14.4', '%', '(', '344', 'of', '2395', ')', ',']],
    ['non-small-cell lung cancer', ['non-small-cell', 'lung', 'cancer']],
    ['COVID-19 and HIV-1', ['COVID-19', 'and', 'HIV-1']],
    ['a dose of 2.5 mg/kg, P=0.02', ['a', 'dose', 'of', '2.5', 'mg/kg', ',', 'P=0.02']],
    ["the patient's quality of life", ['the', 'patient', "'s", 'quality', 'of', 'life']],
    ["Crohn’s disease", ['Crohn', '’s', 'disease']],
    ["at 37 weeks' gestation", ['at', '37', 'weeks', "'", 'gestation']],
    ['27 +/- 1 min, 44+/-8 years', ['27', '+/-', '1', 'min', ',', '44+/-8', 'years']],
    ['Msh2-/- mice, Ca2+ and BCR-ABL+', ['Msh2-/-', 'mice', ',', 'Ca2+', 'and', 'BCR-ABL+']],
    ['3- and 6-mm incisions', ['3-', 'and', '6-mm', 'incisions']],
    ['-3.2 mm Hg, P=.03', ['-3.2', 'mm', 'Hg', ',', 'P=.03']],
    ['and/or mg/kg', ['and/or', 'mg/kg']],
    ['weight -- an ill-fated ... ``quote\'\'', ['weight', '--', 'an', 'ill-fated', '...', '``', 'quote', "''"]],
    ['<TO_SEE> #5 & 6?', ['<', 'TO_SEE', '>', '#', '5', '&', '6', '?']],
    ['(con A)-induced hepatitis', ['(', 'con', 'A', ')', '-induced', 'hepatitis']],
  ])('%j', (text, expected) => {
    expect(texts(text)).toEqual(expected);
  });
});

describe('tokenize: clinical notes', () => {
  it.each([
    // A known unit glued to a number is split off (same `mg` token as in "500 mg"); other suffixes stay.
    ['500mg', ['500', 'mg']],
    ['metformin 500mg b.i.d.', ['metformin', '500', 'mg', 'b.i.d.']],
    ['1.5mg/kg/day', ['1.5', 'mg/kg/day']],
    ['10mL, 2tabs, 24h, 45yo', ['10', 'mL', ',', '2', 'tabs', ',', '24', 'h', ',', '45', 'yo']],
    ['5FU and 3TC, 2D echo, 4G/5G', ['5FU', 'and', '3TC', ',', '2D', 'echo', ',', '4G/5G']],
    ['q.i.d. p.o. t.i.d.', ['q.i.d.', 'p.o.', 't.i.d.']],
    ['Pt c/o fever', ['Pt', 'c/o', 'fever']],
    ['w/ fever, w/o chills, s/p CABG', ['w/', 'fever', ',', 'w/o', 'chills', ',', 's/p', 'CABG']],
    // A slash between two names (3+ letters each, no unit) is a token of its own; shorthand, units, digits keep it.
    ['sulfonylurea/metformin, Carbo/Taxol', ['sulfonylurea', '/', 'metformin', ',', 'Carbo', '/', 'Taxol']],
    ['amoxicillin/clavulanate', ['amoxicillin', '/', 'clavulanate']],
    ['fever/chills/rigors, HIV/AIDS', ['fever', '/', 'chills', '/', 'rigors', ',', 'HIV', '/', 'AIDS']],
    ['k/c/o n/v/d, and/or, either/or, his/her', ['k/c/o', 'n/v/d', ',', 'and/or', ',', 'either/or', ',', 'his/her']],
    ['mcg/day, breaths/min, beats/minute, mmol/mol', ['mcg/day', ',', 'breaths/min', ',', 'beats/minute', ',', 'mmol/mol']],
    ['5-FU/LV, T2/FLAIR, Taxol/abc2', ['5-FU/LV', ',', 'T2/FLAIR', ',', 'Taxol/abc2']],
    ['HbA1c 7.2%', ['HbA1c', '7.2', '%']],
    ['cough x3d', ['cough', 'x3d']],
    ['Dx: CAP', ['Dx', ':', 'CAP']],
    ['Rx: azithromycin', ['Rx', ':', 'azithromycin']],
    ['- metformin 500 mg\n- lisinopril', ['-', 'metformin', '500', 'mg', '-', 'lisinopril']],
    ['1. aspirin\n2) statin', ['1', '.', 'aspirin', '2', ')', 'statin']],
    ['• metformin\n* lisinopril', ['•', 'metformin', '*', 'lisinopril']],
    ['fever\tcough\r\nrash', ['fever', 'cough', 'rash']],
    ['café, naïve, Müller', ['café', ',', 'naïve', ',', 'Müller']],
    ['TNF-α and β-blocker', ['TNF-α', 'and', 'β-blocker']],
    ['रोगी को बुखार है।', ['रोगी', 'को', 'बुखार', 'है', '।']],
    ['fever 🤒 today', ['fever', '🤒', 'today']],
    ['ok👍🏽 ❤️ 👨‍👩‍👧', ['ok', '👍🏽', '❤️', '👨‍👩‍👧']],
    ['at 10:30 on 12/03/2024', ['at', '10:30', 'on', '12/03/2024']],
    ['BP 120/80, 1,000 mg, ratio 1:200', ['BP', '120/80', ',', '1,000', 'mg', ',', 'ratio', '1:200']],
    ['Seen by Dr. Smith', ['Seen', 'by', 'Dr.', 'Smith']],
    ['NSAIDs, e.g. ibuprofen, i.e., anti-inflammatories', ['NSAIDs', ',', 'e.g.', 'ibuprofen', ',', 'i.e.', ',', 'anti-inflammatories']],
    ['surgery vs. chemotherapy, approx. 5 cm', ['surgery', 'vs.', 'chemotherapy', ',', 'approx.', '5', 'cm']],
    ['H. pylori and E. coli', ['H.', 'pylori', 'and', 'E.', 'coli']],
    ['hepatitis B. Treated.', ['hepatitis', 'B', '.', 'Treated', '.']],
    ['history of MS. Stable.', ['history', 'of', 'MS', '.', 'Stable', '.']],
    ['fever.Cough', ['fever', '.', 'Cough']],
    ['glucose >= 126, creatinine <= 1.2, fever -> sepsis', ['glucose', '>=', '126', ',', 'creatinine', '<=', '1.2', ',', 'fever', '->', 'sepsis']],
    ['Wife\'s name: O\'Brien', ['Wife', "'s", 'name', ':', "O'Brien"]],
  ])('%j', (text, expected) => {
    expect(texts(text)).toEqual(expected);
  });

  it('returns UTF-16 offsets into the note', () => {
    const text = 'Pt 🤒 c/o\n500mg';
    expect(tokenize(text)).toEqual([
      { text: 'Pt', start: 0, end: 2 },
      { text: '🤒', start: 3, end: 5 },
      { text: 'c/o', start: 6, end: 9 },
      { text: '500', start: 10, end: 13 },
      { text: 'mg', start: 13, end: 15 },
    ]);
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \t\r\n\u00a0\u2028\u3000'],
  ])('returns no token for %s input', (_name, text) => {
    expect(tokenize(text)).toEqual([]);
    expect(splitSentences(text)).toEqual([]);
  });

  it.each([
    ['only punctuation', '.,;:!?()[]{}"\'`-_/\\|@#$%^&*+=<>~'],
    ['control characters', '\u0000\u0001\u0007\u001b\u007f\u0085\u200b\u200d\ufeff'],
    ['lone surrogates', '\ud800 a\udc00b \udbff\ud800\udfff x\ud83c'],
    ['combining marks alone', '\u0301\u0308 a\u0301'],
  ])('keeps every character of %s in a token', (_name, text) => {
    assertTokenInvariants(text, tokenize(text));
    assertSentenceInvariants(text, splitSentences(text));
  });
});

describe('splitSentences', () => {
  it('ends a sentence at . ! ? before a capital, a digit or the end', () => {
    expect(sentenceTexts('Fever? Yes! Cough. The dose was 2.5 mg. 2 tablets given.')).toEqual([
      'Fever ?',
      'Yes !',
      'Cough .',
      'The dose was 2.5 mg .',
      '2 tablets given .',
    ]);
  });

  it('reads a "?" that opens a line as a query of what follows, not the end of the line above', () => {
    expect(sentenceTexts('Dx: Bronchial asthma\n? LRTI\nIMP: AECOPD\n? DIABETES - RBS 214')).toEqual(['Dx : Bronchial asthma', '? LRTI', 'IMP : AECOPD', '? DIABETES - RBS 214']);
    expect(sentenceTexts('Is it TB? Sputum sent.')).toEqual(['Is it TB ?', 'Sputum sent .']);
  });

  it('does not end a sentence before a lower-case word on the same line', () => {
    expect(sentenceTexts('Pain improved. patient discharged')).toEqual(['Pain improved . patient discharged']);
  });

  it('ends a sentence at a full stop that ends its line, whatever the next line starts with', () => {
    expect(sentenceTexts('No swelling.\nk/c/o HTN on amlodipine.')).toEqual(['No swelling .', 'k/c/o HTN on amlodipine .']);
    expect(sentenceTexts('Seen by Dr.\nsmith today.')).toEqual(['Seen by Dr. smith today .']);
  });

  it.each([
    'Seen by Dr. Smith today.',
    'Use NSAIDs, e.g. Ibuprofen, for pain.',
    'Use NSAIDs, i.e. Ibuprofen, for pain.',
    'Surgery vs. Radiotherapy was compared.',
    'Fever, cough, etc. Were noted.',
    'Metformin 500 mg b.i.d. With meals.',
    'Pt. Was seen.',
    'Patient No. 5 was seen.',
    'Measured approx. 5 cm.',
    'See Fig. 2 for details.',
    'Smith et al. Reported it.',
  ])('does not end a sentence after the abbreviation in %j', (text) => {
    expect(splitSentences(text)).toHaveLength(1);
  });

  it('ends a sentence after a closing bracket that follows the period', () => {
    expect(sentenceTexts('Seen (see above.) Next visit.')).toEqual(['Seen ( see above . )', 'Next visit .']);
  });

  it('ends a sentence at a blank line, also with CRLF line ends', () => {
    expect(sentenceTexts('Hypertension\n\nDiabetes on metformin\r\n\r\nAsthma')).toEqual([
      'Hypertension',
      'Diabetes on metformin',
      'Asthma',
    ]);
  });

  it('keeps a sentence wrapped over a single line break together', () => {
    expect(sentenceTexts('The patient has\nhypertension treated with\nlisinopril')).toEqual([
      'The patient has hypertension treated with lisinopril',
    ]);
  });

  it('ends a sentence at each bullet item', () => {
    expect(sentenceTexts('Meds:\n- metformin 500 mg\n- lisinopril 10 mg\n• aspirin 81 mg')).toEqual([
      'Meds :',
      '- metformin 500 mg',
      '- lisinopril 10 mg',
      '• aspirin 81 mg',
    ]);
  });

  it('ends a sentence at each numbered item, and not after its label', () => {
    expect(sentenceTexts('Plan:\n1. Start metformin.\n2. Recheck HbA1c\n3) Follow up')).toEqual([
      'Plan :',
      '1 . Start metformin .',
      '2 . Recheck HbA1c',
      '3 ) Follow up',
    ]);
    expect(sentenceTexts('1. Hypertension. 2. Diabetes.')).toEqual(['1 . Hypertension .', '2 . Diabetes .']);
  });

  it('ends a sentence at a section header and at the end of the header line', () => {
    expect(sentenceTexts('Pt c/o fever\nASSESSMENT: pneumonia\nDx: CAP\nRx: azithromycin\nFollow up in 2 weeks')).toEqual([
      'Pt c/o fever',
      'ASSESSMENT : pneumonia',
      'Dx : CAP',
      'Rx : azithromycin',
      'Follow up in 2 weeks',
    ]);
    expect(sentenceTexts('PAST MEDICAL HISTORY: Hypertension, gastritis.')).toEqual([
      'PAST MEDICAL HISTORY : Hypertension , gastritis .',
    ]);
  });

  it('keeps a header line that wraps onto a lower-case line together', () => {
    expect(sentenceTexts('HPI: The patient is a 45yo male who\npresents with fever')).toEqual([
      'HPI : The patient is a 45 yo male who presents with fever',
    ]);
  });

  it('gives each sentence the offsets of its first and last token', () => {
    const text = '  Fever.  Cough and rash.\n';
    expect(splitSentences(text).map((s) => [s.start, s.end])).toEqual([
      [2, 8],
      [10, 25],
    ]);
  });

  it('cuts a sentence longer than the limit into chunks, preferably after a comma', () => {
    const words = Array.from({ length: 1000 }, (_, k) => (k % 250 === 249 ? 'word,' : 'word'));
    const sentences = splitSentences(words.join(' '));
    assertSentenceInvariants(words.join(' '), sentences);
    expect(sentences.map((s) => s.tokens.length)).toEqual([251, 251, 251, 251]);

    const plain = 'word '.repeat(700);
    expect(splitSentences(plain).map((s) => s.tokens.length)).toEqual([300, 300, 100]);
  });
});

const CLINICAL_FRAGMENTS = [
  'Pt', 'c/o', 'fever', 'Dx:', 'Rx:', 'ASSESSMENT:', '500mg', '500', 'mg', 'b.i.d.', 'q.i.d.', 'p.o.', 'HbA1c', 'COVID-19',
  'x3d', 'TNF-α', 'Dr.', 'e.g.', 'i.e.', 'vs.', 'approx.', 'H.', 'pylori', "patient's", "weeks'", '+/-', 'Msh2-/-', '-/-',
  '44+/-8', '-3.2', '.001', 'P=.03', '10:30', '12/03/2024', '1,000', '...', '--', '``', "''", '(', ')', '.', ',', ';', '?', '!',
  '%', '>=', '->', '-', '•', '1.', '2)', 'é', 'रोगी', '🤒', '👍🏽', '👨‍👩‍👧', '\ud800', '\udc00', '\u0000', '\u200b', '\u0301', "'",
  '/', 'w/', '3-', 'fever.Cough',
];
const SEPARATORS = ['', '', ' ', ' ', '\n', '\n\n', '\t', '\r\n', '\u00a0', '\n- ', '\n1. '];

const clinicalText = fc
  .array(fc.tuple(fc.constantFrom(...CLINICAL_FRAGMENTS), fc.constantFrom(...SEPARATORS)), { maxLength: 60 })
  .map((parts) => parts.map(([fragment, separator]) => fragment + separator).join(''));
const utf16Text = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 80 });

describe('tokenize and splitSentences on arbitrary input', () => {
  const inputs: [string, fc.Arbitrary<string>][] = [
    ['binary code points', fc.string({ unit: 'binary', maxLength: 80 })],
    ['graphemes', fc.string({ unit: 'grapheme', maxLength: 80 })],
    ['ASCII with control characters', fc.string({ unit: 'binary-ascii', maxLength: 80 })],
    ['UTF-16 units with lone surrogates', utf16Text],
    ['clinical fragments', clinicalText],
  ];

  it.each(inputs)('token invariants hold for %s', (_name, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (text) => {
        assertTokenInvariants(text, tokenize(text));
      }),
      { numRuns: 500 },
    );
  });

  it.each(inputs)('sentences partition the tokens of %s in order', (_name, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (text) => {
        assertSentenceInvariants(text, splitSentences(text));
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(clinicalText, (text) => {
        expect(tokenize(text)).toEqual(tokenize(text));
      }),
    );
  });
});

describe('1 MB inputs', () => {
  const MB = 1 << 20;

  function pseudoRandomText(length: number): string {
    let seed = 12345;
    const codes = new Array<number>(length);
    for (let k = 0; k < length; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      codes[k] = seed % 7 === 0 ? 0x20 : (seed >>> 8) & 0xffff;
    }
    let text = '';
    for (let k = 0; k < length; k += 8192) text += String.fromCharCode(...codes.slice(k, k + 8192));
    return text;
  }

  it.each([
    ['a clinical note', 'Pt c/o fever x3d, HbA1c 7.2%. Rx: metformin 500mg p.o. b.i.d.\n- lisinopril 10 mg\n\n'.repeat(MB / 80)],
    ['one long word', 'a'.repeat(MB)],
    ['one long hyphenated word', 'ab-'.repeat(MB / 3)],
    ['one long dotted word', 'a.'.repeat(MB / 2)],
    ['only periods', '.'.repeat(MB)],
    ['no sentence end', 'fever '.repeat(MB / 6)],
    ['random UTF-16 units', pseudoRandomText(MB)],
  ])('handles %s', (_name, text) => {
    expect(text.length).toBeGreaterThan(MB * 0.9);
    const tokens = tokenize(text);
    assertTokenInvariants(text, tokens);
    const sentences = splitSentences(text);
    let count = 0;
    for (const sentence of sentences) {
      expect(sentence.tokens.length).toBeLessThanOrEqual(MAX_SENTENCE_TOKENS);
      count += sentence.tokens.length;
    }
    expect(count).toBe(tokens.length);
  });
});
