import { describe, expect, it } from 'vitest';
import { isNerError } from '../../src/errors.js';
import type { TokenSpan } from '../../src/core/tagger/label-codec.js';
import { applySpanRules, DEFAULT_SPAN_RULES, resolveSpanRules, SPAN_RULE_LIBRARY, type SpanRuleModel } from '../../src/core/clinical/span-rules.js';
import { buildGazetteer, type GazetteerKind } from '../../src/core/tagger/gazetteer.js';
import { extract, type SequenceTagger } from '../../src/core/extract.js';

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

/** A small vocabulary standing in for a model's lexicon (the shipped one holds tens of thousands of names). */
const names = (kind: GazetteerKind, phrases: string[]) => phrases.map((phrase) => ({ tokens: phrase.split(' '), kind }));
const lexicon = buildGazetteer([
  ...names('disease', [
    'type 2 diabetes mellitus', 'diabetes', 'hypertension', 'dengue fever', 'malignancy', 'tb', 'hepatitis b', 'copd', 'pneumonia',
    'childhood absence epilepsy', 'skin and subcutaneous tissue disease', 'sepsis', 'syndrome', 'aids', 'hiv',
  ]),
  ...names('drug', ['metformin', 'amoxicillin', 'clavulanate', 'alcohol', 'sodium valproate', 'sodium', 'calcium', 'vitamin d']),
]);
const model: SpanRuleModel = { lexicon };
const T = (start: number, end: number): TokenSpan => ({ type: 'T', start, end });

/** The phrases a rule leaves of one span covering the whole text. */
function phrasesAfter(ruleName: string, text: string, type: 'D' | 'T' = 'D', withModel: SpanRuleModel = model): string[] {
  const tokens = words(text);
  return applySpanRules(resolveSpanRules([ruleName]), tokens, [{ type, start: 0, end: tokens.length }], withModel).map((s) => tokens.slice(s.start, s.end).join(' '));
}

describe('span rules that enforce the annotation guideline', () => {
  it('are in the library in the order they run, and none of them is a default', () => {
    expect(SPAN_RULE_LIBRARY.map((r) => r.name)).toEqual([
      'abbreviation-after', 'balance-parentheses', 'trim-edge-words', 'join-split-names', 'split-coordination', 'trim-assertion-cues', 'trim-onset', 'trim-trailing-site',
      'join-leading-site',
    ]);
    expect(DEFAULT_SPAN_RULES).toEqual(['abbreviation-after', 'balance-parentheses', 'trim-edge-words']);
    expect(resolveSpanRules(['trim-assertion-cues', 'split-coordination']).map((r) => r.name)).toEqual(['split-coordination', 'trim-assertion-cues']);
  });

  describe('split-coordination', () => {
    it.each([
      ['type 2 diabetes mellitus and hypertension', 'D', ['type 2 diabetes mellitus', 'hypertension']],
      ['diabetes or hypertension', 'D', ['diabetes', 'hypertension']],
      ['fever , chills , nausea or vomiting', 'D', ['fever', 'chills', 'nausea', 'vomiting']],
      ['heart failure , and COPD', 'D', ['heart failure', 'COPD']],
      ['renal cell carcinoma versus oncocytoma', 'D', ['renal cell carcinoma', 'oncocytoma']],
      ['radiation therapy followed by chemotherapy', 'T', ['radiation therapy', 'chemotherapy']],
      ['sulfonylurea / metformin', 'T', ['sulfonylurea', 'metformin']],
      ['calcium and vitamin D', 'T', ['calcium', 'vitamin D']],
      ['appendectomy plus cholecystectomy', 'T', ['appendectomy', 'cholecystectomy']],
    ] as const)('splits %s', (text, type, expected) => {
      expect(phrasesAfter('split-coordination', text, type)).toEqual(expected);
    });

    it.each([
      ['hand , foot and mouth disease', 'D'], // one name the lexicon lacks (listed)
      ['head and neck cancer', 'D'],
      ['HIV / AIDS', 'D'],
      ['amoxicillin / clavulanate', 'T'], // a fixed-dose combination
      ['skin and subcutaneous tissue disease', 'D'], // one lexicon name
      ['renal and hepatic diseases', 'D'], // modifiers sharing a head
      ['right or left ventricular failure', 'D'],
      ['acute and chronic pancreatitis', 'D'],
      ['hepatitis B and C', 'D'], // a letter after the conjunction elides the name
      ['type 1 or 2 diabetes', 'D'],
      ['autoimmune disease or syndrome', 'D'], // a bare generic head is no name
      ['alcohol and drug abuse', 'D'], // "alcohol" names a drug, not a disease
      ['chemotherapy with tegafur / uracil', 'T'], // a combination inside a longer span
      ['Wolff-Parkinson-White syndrome', 'D'],
      ['antibiotic and insulin treatment', 'D'], // heads of the other type
    ] as const)('keeps %s whole', (text, type) => {
      expect(phrasesAfter('split-coordination', text, type)).toEqual([text]);
    });

    it('judges names by their head words alone when the model has no lexicon', () => {
      expect(phrasesAfter('split-coordination', 'heart failure and chest pain', 'D', {})).toEqual(['heart failure', 'chest pain']);
      expect(phrasesAfter('split-coordination', 'diabetes or hypertension', 'D', {})).toEqual(['diabetes or hypertension']);
    });

    it('cuts only where both sides are names, and leaves other spans alone', () => {
      const tokens = words('cough , nausea and Dr. Smith metformin');
      expect(applySpanRules(resolveSpanRules(['split-coordination']), tokens, [D(0, 5), T(6, 7)], model)).toEqual([D(0, 1), D(2, 5), T(6, 7)]);
    });
  });

  describe('trim-assertion-cues', () => {
    it.each([
      ['Suspected dengue fever', 'dengue fever'],
      ['Denies fever', 'fever'],
      ['Possible heart failure', 'heart failure'],
      ['h/o TB', 'TB'],
      ['no evidence of malignancy', 'malignancy'],
      ['r/o sepsis', 'sepsis'],
      ['history of possible pneumonia', 'pneumonia'],
      ['pneumonia was ruled out', 'pneumonia'],
      ['asthma , resolved', 'asthma'],
      ['possibility of a sarcoma', 'sarcoma'],
      ['PGF ( lymphoma )', 'lymphoma'],
    ])('%s -> %s', (text, expected) => {
      expect(phrasesAfter('trim-assertion-cues', text)).toEqual([expected]);
    });

    it.each([
      ['gram negative sepsis'], // a pseudo-trigger hides the cue inside it
      ['No increase in pain'],
      ['childhood absence epilepsy'], // the cue begins a lexicon name
      ['NO'], // nothing but a cue (nitric oxide): left alone
      ['Denies'],
      ['fever , no chills'], // a cue inside a span is not at its edge
      ['Possibility'],
      ['relative adrenal insufficiency'], // "relative" as a measure, not a family member
    ])('keeps %s', (text) => {
      expect(phrasesAfter('trim-assertion-cues', text)).toEqual([text]);
    });
  });

  describe('trim-onset', () => {
    it('cuts the onset phrase a disease span starts with', () => {
      expect(phrasesAfter('trim-onset', 'Acute onset cellulitis')).toEqual(['cellulitis']);
      expect(phrasesAfter('trim-onset', 'sudden-onset headache')).toEqual(['headache']);
      expect(phrasesAfter('trim-onset', 'new onset of seizures')).toEqual(['seizures']);
      expect(phrasesAfter('trim-onset', 'sudden pain')).toEqual(['pain']);
      expect(phrasesAfter('trim-onset', 'signs of alcohol withdrawal')).toEqual(['alcohol withdrawal']);
    });

    it('cuts the course of a named disease: an exacerbation or flare, "uncomplicated"', () => {
      expect(phrasesAfter('trim-onset', 'Acute exacerbation of bronchial asthma')).toEqual(['bronchial asthma']);
      expect(phrasesAfter('trim-onset', 'COPD exacerbation')).toEqual(['COPD']);
      expect(phrasesAfter('trim-onset', 'Acute gout flare')).toEqual(['gout']);
      expect(phrasesAfter('trim-onset', 'uncomplicated cystitis')).toEqual(['cystitis']);
      // An exacerbation of no named disease stays whole.
      expect(phrasesAfter('trim-onset', 'an acute exacerbation')).toEqual(['an acute exacerbation']);
    });

    it('drops an exacerbation the tagger took apart from the name it is of', () => {
      const tokens = words('Acute exacerbation of bronchial asthma');
      const spans = applySpanRules(resolveSpanRules(['trim-onset']), tokens, [{ type: 'D', start: 0, end: 2 }, { type: 'D', start: 3, end: 5 }], model);
      expect(spans.map((span) => tokens.slice(span.start, span.end).join(' '))).toEqual(['bronchial asthma']);
    });

    it('moves an exacerbation taken without its name onto the name written after it', () => {
      const tokens = words('Dx: Acute exacerbation of reactive airway disease');
      const moved = (spans: { type: 'D'; start: number; end: number }[]): string[] =>
        applySpanRules(resolveSpanRules(['trim-onset']), tokens, spans, model).map((span) => tokens.slice(span.start, span.end).join(' '));
      const acute = tokens.indexOf('Acute');
      expect(moved([{ type: 'D', start: acute, end: acute + 2 }])).toEqual(['reactive airway disease']);
      const withMore = words('acute exacerbation of his asthma with hypoxia');
      expect(applySpanRules(resolveSpanRules(['trim-onset']), withMore, [{ type: 'D', start: 0, end: 2 }], model).map((span) => withMore.slice(span.start, span.end).join(' '))).toEqual(['asthma']);
      // Nothing after "of" that could be a name: left as it is.
      const bare = words('acute exacerbation of .');
      expect(applySpanRules(resolveSpanRules(['trim-onset']), bare, [{ type: 'D', start: 0, end: 2 }], model)).toEqual([{ type: 'D', start: 0, end: 2 }]);
    });

    it('keeps names that contain an onset, and treatments', () => {
      expect(phrasesAfter('trim-onset', 'late onset Alzheimer disease')).toEqual(['late onset Alzheimer disease']);
      expect(phrasesAfter('trim-onset', 'sudden cardiac death')).toEqual(['sudden cardiac death']);
      expect(phrasesAfter('trim-onset', 'partial onset seizures')).toEqual(['partial onset seizures']);
      expect(phrasesAfter('trim-onset', 'acute onset')).toEqual(['acute onset']);
      expect(phrasesAfter('trim-onset', 'rapid onset insulin', 'T')).toEqual(['rapid onset insulin']);
    });
  });

  describe('trim-trailing-site', () => {
    it('cuts a body site written after a complete disease name', () => {
      expect(phrasesAfter('trim-trailing-site', 'cellulitis left leg')).toEqual(['cellulitis']);
      expect(phrasesAfter('trim-trailing-site', 'Psoriasis plaques over elbows')).toEqual(['Psoriasis']);
      expect(phrasesAfter('trim-trailing-site', 'pneumonia right lower lobe')).toEqual(['pneumonia']);
    });

    it('keeps sites before the name, sites that hold a name, and what no name precedes', () => {
      for (const text of ['left bundle branch block', 'left ventricular hypertrophy', 'tumor left side metastasis', '3 cm right renal mass', 'ongoing over', 'plaques over elbows']) {
        expect(phrasesAfter('trim-trailing-site', text)).toEqual([text]);
      }
      expect(phrasesAfter('trim-trailing-site', 'knee replacement left side', 'T')).toEqual(['knee replacement left side']);
    });
  });

  describe('join-leading-site', () => {
    const joined = (text: string, start: number, end: number, others: TokenSpan[] = []): string[] => {
      const tokens = words(text);
      return applySpanRules(resolveSpanRules(['join-leading-site']), tokens, [...others, D(start, end)], model).map((s) => tokens.slice(s.start, s.end).join(' '));
    };

    it('starts a disease span at a laterality and up to two site words before it', () => {
      expect(joined('Dx : Lt ureteric calculus', 3, 5)).toEqual(['Lt ureteric calculus']);
      expect(joined('B/L knee OA grade II', 2, 3)).toEqual(['B/L knee OA']);
      expect(joined('IMP : RT LOWER LOBE PNEUMONIA', 5, 6)).toEqual(['RT LOWER LOBE PNEUMONIA']);
      expect(joined('Right ankle sprain', 1, 3)).toEqual(['Right ankle sprain']);
    });

    it('leaves spans no laterality opens, sites past two words or a function word, treatments and taken tokens', () => {
      expect(joined('pain in left knee', 0, 1)).toEqual(['pain']);
      expect(joined('left sided weakness', 2, 3)).toEqual(['weakness']);
      expect(joined('left because of pneumonia', 3, 4)).toEqual(['pneumonia']);
      expect(joined('right upper outer quadrant mass', 4, 5)).toEqual(['mass']);
      const tokens = words('left knee replacement');
      expect(applySpanRules(resolveSpanRules(['join-leading-site']), tokens, [T(2, 3)], model)).toEqual([T(2, 3)]);
      expect(joined('left knee OA', 2, 3, [T(1, 2)])).toEqual(['knee', 'OA']);
    });

    it('takes in a laterality the tagger made an entity of its own, and drops a lone laterality', () => {
      expect(joined('1 . Lt ureteric calculus', 3, 5, [T(2, 3)])).toEqual(['Lt ureteric calculus']);
      expect(joined('left knee OA', 2, 3, [D(0, 1)])).toEqual(['left knee OA']);
      const tokens = words('Rt and fever');
      expect(applySpanRules(resolveSpanRules(['join-leading-site']), tokens, [T(0, 1), D(2, 3)], model)).toEqual([D(2, 3)]);
    });
  });

  describe('join-split-names', () => {
    it('merges adjacent spans of one type that make one lexicon name', () => {
      const tokens = words('sodium valproate 200 mg');
      const rules = resolveSpanRules(['join-split-names']);
      expect(applySpanRules(rules, tokens, [T(0, 1), T(1, 2)], model)).toEqual([T(0, 2)]);
      expect(applySpanRules(rules, tokens, [T(0, 1), T(1, 2)], {})).toEqual([T(0, 1), T(1, 2)]);
      expect(applySpanRules(rules, tokens, [D(0, 1), T(1, 2)], model)).toEqual([D(0, 1), T(1, 2)]);
      expect(applySpanRules(rules, words('metformin calcium'), [T(0, 1), T(1, 2)], model)).toEqual([T(0, 1), T(1, 2)]);
    });

    it('merges the parts of a fixed-dose combination around a slash, and no other pair', () => {
      const rules = resolveSpanRules(['join-split-names']);
      expect(applySpanRules(rules, words('budesonide / formoterol 200/6'), [T(0, 1), T(2, 3)], {})).toEqual([T(0, 3)]);
      expect(applySpanRules(rules, words('sulfonylurea / metformin'), [T(0, 1), T(2, 3)], model)).toEqual([T(0, 1), T(2, 3)]);
      expect(applySpanRules(rules, words('budesonide , formoterol'), [T(0, 1), T(2, 3)], model)).toEqual([T(0, 1), T(2, 3)]);
    });

    it('merges the parts of a listed name with a conjunction inside, and no other coordination', () => {
      const rules = resolveSpanRules(['join-split-names']);
      expect(applySpanRules(rules, words('Mixed anxiety and depressive disorder'), [D(0, 2), D(3, 5)], {})).toEqual([D(0, 5)]);
      expect(applySpanRules(rules, words('anxiety and depressive disorder'), [D(0, 1), D(2, 4)], {})).toEqual([D(0, 1), D(2, 4)]);
    });

    it('takes "in pregnancy" into the disease before it, the tagger\'s span of "pregnancy" with it', () => {
      const rules = resolveSpanRules(['join-split-names']);
      expect(applySpanRules(rules, words('Anaemia in pregnancy - Orofer'), [D(0, 1), D(2, 3), T(4, 5)], {})).toEqual([D(0, 3), T(4, 5)]);
      expect(applySpanRules(rules, words('UTI in pregnancy'), [D(0, 1)], {})).toEqual([D(0, 3)]);
      expect(applySpanRules(rules, words('metformin in pregnancy'), [T(0, 1)], {})).toEqual([T(0, 1)]);
    });
  });
});

describe('span rules in extract()', () => {
  /** A dictionary tagger that, like a CRF trained on loose spans, takes the cue words into the entity. */
  const cueSwallowingTagger = (spanRules: string[]): SequenceTagger => ({
    version: 'dictionary-cues',
    labelEncoding: 'IO',
    spanRules: resolveSpanRules(spanRules),
    lexicon,
    tag: (tokens) => tokens.map((w) => (/^(suspected|dengue|fever|denies|possible|heart|failure|diabetes|or|hypertension)$/i.test(w) ? 'D' : 'O')),
  });
  const text = 'Suspected dengue fever. Denies fever. Possible heart failure. Diabetes or hypertension.';
  const found = (tagger: SequenceTagger) => extract(text, tagger).entities.map((e) => [e.text, e.assertion, text.slice(e.start, e.end) === e.text]);

  it('keeps assertion cues out of the entities, and the assertion still reads them', () => {
    expect(found(cueSwallowingTagger([...DEFAULT_SPAN_RULES, 'split-coordination', 'trim-assertion-cues']))).toEqual([
      ['dengue fever', 'possible', true],
      ['fever', 'absent', true],
      ['heart failure', 'possible', true],
      ['Diabetes', 'present', true],
      ['hypertension', 'present', true],
    ]);
  });

  it('leaves the spans as tagged when the model does not list the rules', () => {
    expect(found(cueSwallowingTagger([...DEFAULT_SPAN_RULES]))).toEqual([
      ['Suspected dengue fever', 'present', true],
      ['Denies fever', 'present', true],
      ['Possible heart failure', 'present', true],
      ['Diabetes or hypertension', 'present', true],
    ]);
  });
});
