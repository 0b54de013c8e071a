import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateAssertions, predictNoteAssertions, type GoldAssertionNote } from '../../src/core/evaluation/assertion-evaluation.js';
import { DEFAULT_ASSERTION_LEXICON } from '../../src/core/clinical/assertion-triggers.js';
import { assertEntities, assertionCueAt, compileAssertionRules, type AssertableSpan } from '../../src/core/clinical/assertion.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';
import { ASSERTIONS, type Assertion } from '../../src/core/text/types.js';

/** `[[...]]` marks an entity; returns the plain text and the spans. */
function unmark(marked: string): { text: string; spans: { start: number; end: number }[] } {
  let text = '';
  const spans: { start: number; end: number }[] = [];
  let last = 0;
  for (const m of marked.matchAll(/\[\[(.*?)\]\]/gs)) {
    text += marked.slice(last, m.index);
    const start = text.length;
    text += m[1] ?? '';
    spans.push({ start, end: text.length });
    last = (m.index ?? 0) + m[0].length;
  }
  return { text: text + marked.slice(last), spans };
}

/** The assertion of each marked entity, as `surface: assertion`, entities grouped by sentence as extract() does. */
function assertMarked(marked: string, rules = compileAssertionRules(), treatments: readonly string[] = []): string[] {
  const { text, spans } = unmark(marked);
  const sentences = splitSentences(text);
  const typeOf = (e: { start: number; end: number }): AssertableSpan['type'] => (treatments.includes(text.slice(e.start, e.end)) ? 'treatment' : 'disease');
  const bySentence = sentences.map((s) =>
    spans.filter((e) => e.start >= s.start && e.start < s.end).map((e): AssertableSpan => ({ ...e, type: typeOf(e) })),
  );
  const result = assertEntities(text, sentences, bySentence, rules);
  return bySentence.flatMap((entities, i) => entities.map((e, k) => `${text.slice(e.start, e.end)}: ${result[i]?.[k]}`));
}

describe('assertEntities: negation', () => {
  it.each([
    ['No [[fever]].', ['fever: absent']],
    ['Pt denies [[chest pain]].', ['chest pain: absent']],
    ['Negative for [[COVID-19]].', ['COVID-19: absent']],
    ['Pt w/o [[dysuria]].', ['dysuria: absent']],
    ['Free of [[seizures]] for a year.', ['seizures: absent']],
    ['No evidence of [[pneumonia]] on CXR.', ['pneumonia: absent']],
    ['Nil [[vomiting]].', ['vomiting: absent']],
  ])('%s', (marked, expected) => {
    expect(assertMarked(marked)).toEqual(expected);
  });

  it('negates every item of a list under one trigger', () => {
    expect(assertMarked('Patient denies [[fever]], [[chills]], [[nausea]], [[vomiting]], [[night sweats]] or [[abdominal pain]].')).toEqual([
      'fever: absent',
      'chills: absent',
      'nausea: absent',
      'vomiting: absent',
      'night sweats: absent',
      'abdominal pain: absent',
    ]);
  });

  it('ends the scope at a terminator ("but", "however", ";")', () => {
    expect(assertMarked('No [[fever]] but reports [[sore throat]].')).toEqual(['fever: absent', 'sore throat: present']);
    expect(assertMarked('Denies [[nausea]]; has [[diarrhea]].')).toEqual(['nausea: absent', 'diarrhea: present']);
    expect(assertMarked('No [[rash]], however [[itching]] persists.')).toEqual(['rash: absent', 'itching: present']);
  });

  it('ends a forward scope after the window of words', () => {
    const far = 'No change was expected by anyone at the clinic during the long wait and then the [[migraine]] came back.';
    expect(assertMarked(far.replace('No change', 'No'))).toEqual(['migraine: present']);
  });

  it('applies backward triggers to what precedes them', () => {
    expect(assertMarked('[[Pulmonary embolism]] was ruled out with CT.')).toEqual(['Pulmonary embolism: absent']);
    expect(assertMarked('[[Pneumonia]] is unlikely.')).toEqual(['Pneumonia: absent']);
    expect(assertMarked('Smear for [[malaria]] negative x2.')).toEqual(['malaria: absent']);
    expect(assertMarked('[[Blood transfusion]] not required; Hb stable.')).toEqual(['Blood transfusion: absent']);
  });

  it('stops a backward scope at a comma', () => {
    expect(assertMarked('Prior [[pulmonary TB]], sputum AFB now negative.')).toEqual(['pulmonary TB: historical']);
  });

  it('ignores pseudo-triggers', () => {
    expect(assertMarked('No increase in [[seizure]] frequency.')).toEqual(['seizure: present']);
    expect(assertMarked('Gram negative [[bacteremia]] on cultures.')).toEqual(['bacteremia: present']);
    expect(assertMarked('Pt not only has [[fever]] but also a [[rash]].')).toEqual(['fever: present', 'rash: present']);
    expect(assertMarked('No change in [[lesion]] size.')).toEqual(['lesion: present']);
    expect(assertMarked('Tolerated [[metformin]] without difficulty.')).toEqual(['metformin: present']);
  });
});

describe('assertEntities: uncertainty, history, family', () => {
  it.each([
    ['Possible [[pneumonia]].', ['pneumonia: possible']],
    ['r/o [[acute coronary syndrome]].', ['acute coronary syndrome: possible']],
    ['Rule out [[ectopic pregnancy]].', ['ectopic pregnancy: possible']],
    ['Cannot exclude [[meningitis]].', ['meningitis: possible']],
    ['? [[appendicitis]]. NPO.', ['appendicitis: possible']],
    ['[[TB]]? Sputum sent.', ['TB: possible']],
    ['[[Nephrolithiasis]] is suspected.', ['Nephrolithiasis: possible']],
    ['[[GERD]] vs [[angina]].', ['GERD: possible', 'angina: possible']],
    ['If [[fever]] persists, start [[azithromycin]].', ['fever: possible', 'azithromycin: possible']],
    ['Dx: [[Bronchial asthma]]\n? [[LRTI]]', ['Bronchial asthma: present', 'LRTI: possible']],
  ])('possible: %s', (marked, expected) => {
    expect(assertMarked(marked)).toEqual(expected);
  });

  it.each([
    ['h/o [[tuberculosis]] treated with [[ATT]].', ['tuberculosis: historical', 'ATT: historical']],
    ['s/p [[cholecystectomy]] 2018. Now c/o [[epigastric pain]].', ['cholecystectomy: historical', 'epigastric pain: present']],
    ['History of [[diabetes]], now presents with [[chest pain]].', ['diabetes: historical', 'chest pain: present']],
    ['[[Anemia]] resolved last year.', ['Anemia: historical']],
    ['She had [[chickenpox]] as a child.', ['chickenpox: historical']],
    ['2015: [[appendectomy]].', ['appendectomy: historical']],
    ['Was on [[warfarin]] until 2021, now on [[apixaban]].', ['warfarin: historical', 'apixaban: present']],
    ['A 45-year-old man with [[diabetes]].', ['diabetes: present']],
    ['[[Fever]] prior to admission.', ['Fever: present']],
    ['STOP [[aspirin]] 75 mg. INCREASE [[bisoprolol]] to 5 mg OD.', ['aspirin: historical', 'bisoprolol: present']],
    ['[[Amlodipine]] 10 mg OD - STOP. BP 104/60.', ['Amlodipine: historical']],
    ['Stop [[Losar-H]], start Tab [[Losar 50]] OD', ['Losar-H: historical', 'Losar 50: present']],
    ['Plan:\n- STOP [[Glycomet 500]] in view of falling eGFR\n- Tab [[Zita 20]] 1-0-0', ['Glycomet 500: historical', 'Zita 20: present']],
    ['Stopped: [[naproxen]] (fluid retention) - please use [[colchicine]] PRN instead.', ['naproxen: historical', 'colchicine: present']],
    ['Tab [[Azee 500]] 1-0-0 x 3 days then stop.', ['Azee 500: present']],
    ['Do not stop [[clopidogrel]] before the procedure.', ['clopidogrel: present']],
    ['Syp [[Ondem]] 2 ml SOS if [[vomiting]]', ['Ondem: present', 'vomiting: possible']],
    ['A 4-month history of [[inflammatory polyarthritis]].', ['inflammatory polyarthritis: present']],
    ['3 day history of [[fever]] and [[cough]].', ['fever: present', 'cough: present']],
    ['2 weeks h/o [[loose stools]].', ['loose stools: present']],
  ])('historical: %s', (marked, expected) => {
    expect(assertMarked(marked)).toEqual(expected);
  });

  it.each([
    ['Mother with [[breast cancer]].', ['breast cancer: family']],
    ['[[Type 1 diabetes]] in brother.', ['Type 1 diabetes: family']],
    ['Father had [[CABG]] for [[triple vessel disease]].', ['CABG: family', 'triple vessel disease: family']],
    ['Family history of [[colon cancer]].', ['colon cancer: family']],
    ['Uncle with [[schizophrenia]]; pt has no [[psychiatric illness]].', ['schizophrenia: family', 'psychiatric illness: absent']],
    ['Mom calls re 4yo with [[ear pain]] and [[fever]] since last night.', ['ear pain: present', 'fever: present']],
    ['Mother states he has [[fever]].', ['fever: present']],
  ])('family: %s', (marked, expected) => {
    expect(assertMarked(marked)).toEqual(expected);
  });

  it('ranks family > absent > possible > historical', () => {
    expect(assertMarked('Family history: negative for [[colon cancer]].')).toEqual(['colon cancer: family']);
    expect(assertMarked('No history of [[asthma]].')).toEqual(['asthma: absent']);
    expect(assertMarked('No prior [[surgeries]].')).toEqual(['surgeries: absent']);
    expect(assertMarked('History of possible [[seizures]].')).toEqual(['seizures: possible']);
    expect(assertMarked('PMH: no [[diabetes]].')).toEqual(['diabetes: absent']);
  });

  it('ends a forward scope at a trigger of another category that does not follow it directly', () => {
    expect(assertMarked('Denies [[chest pain]], history of [[MI]].')).toEqual(['chest pain: absent', 'MI: historical']);
  });
});

describe('assertEntities: what care prevents or may cause', () => {
  const drugs = ['enoxaparin', 'Clexane', 'allopurinol', 'aspirin', 'pantoprazole', 'propranolol'];
  it.each([
    ['Started [[enoxaparin]] 40 mg SC OD for [[DVT]] prophylaxis.', ['enoxaparin: present', 'DVT: possible']],
    ['[[Clexane]] prophylaxis. [[Pneumonia]] on antibiotics.', ['Clexane: present', 'Pneumonia: present']],
    ['Referred for [[colon cancer]] screening.', ['colon cancer: possible']],
    ['[[aspirin]] 75 mg to prevent a [[stroke]].', ['aspirin: present', 'stroke: possible']],
    ['Given cefazolin for prophylaxis against surgical [[infection]].', ['infection: possible']],
    ['Last [[pneumonia]] vaccine 2019.', ['pneumonia: possible']],
    ['[[stroke]] risk discussed.', ['stroke: possible']],
  ])('possible: %s', (marked, expected) => {
    expect(assertMarked(marked, compileAssertionRules(), drugs)).toEqual(expected);
  });

  it.each([
    // the patient's own disease, kept from flaring
    ['[[Gout]] prophylaxis - start [[allopurinol]] 100 mg daily.', ['Gout: present', 'allopurinol: present']],
    ['[[propranolol]] 40 mg BD for [[migraine]] prophylaxis.', ['propranolol: present', 'migraine: present']],
    // it happened before
    ['[[pantoprazole]] to prevent further [[bleeding]].', ['pantoprazole: present', 'bleeding: present']],
    ['[[aspirin]] for secondary [[stroke]] prevention.', ['aspirin: present', 'stroke: present']],
    // a risk not named right after the disease is not the disease's
    ['Severe [[COPD]] and risk for ventilation.', ['COPD: present']],
    ['Denies [[DVT]]; on prophylaxis.', ['DVT: absent']],
  ])('not changed: %s', (marked, expected) => {
    expect(assertMarked(marked, compileAssertionRules(), drugs)).toEqual(expected);
  });

  it.each([
    ['Risks of [[anesthesia]], [[bleeding]], [[infection]], [[MI]], [[DVT]] were discussed.', ['anesthesia: present', 'bleeding: possible', 'infection: possible', 'MI: possible', 'DVT: possible']],
    ['Risks included but were not limited to [[bleeding]], [[infection]] and [[hoarseness]].', ['bleeding: possible', 'infection: possible', 'hoarseness: possible']],
    ['Potential complications include [[bleeding]] and [[perforation]]; consent signed for [[colonoscopy]].', ['bleeding: possible', 'perforation: possible', 'colonoscopy: present']],
    [
      'Risks include [[bleeding]], [[infection]], injury to nerves and vital structures, need for reoperation, [[pain]] or stiffness, loss of motion, [[arthritis]], [[fracture]].',
      ['bleeding: possible', 'infection: possible', 'pain: possible', 'arthritis: possible', 'fracture: possible'],
    ],
  ])('complications told before consent: %s', (marked, expected) => {
    expect(assertMarked(marked, compileAssertionRules(), ['anesthesia', 'colonoscopy'])).toEqual(expected);
  });

  it('leaves a lexicon without prevention phrases as it was', () => {
    const { preventions: _, ...withoutPreventions } = DEFAULT_ASSERTION_LEXICON;
    expect(assertMarked('Lovenox for [[DVT]] prophylaxis.', compileAssertionRules(withoutPreventions))).toEqual(['DVT: present']);
  });
});

describe('assertEntities: sections', () => {
  it('follows a header on its own line to the next header', () => {
    const note = 'FAMILY HISTORY:\nMother: [[breast cancer]].\nFather with [[diabetes]].\n[[Hypertension]] in sister.\nSOCIAL HISTORY: smokes.\n[[Asthma]].';
    expect(assertMarked(note)).toEqual(['breast cancer: family', 'diabetes: family', 'Hypertension: family', 'Asthma: present']);
  });

  it('ends a section at a blank line, but not at one right after its header', () => {
    expect(assertMarked('PMH:\n\n[[Hypothyroidism]]\n[[GERD]]\n\n[[Cough]] x3d.')).toEqual([
      'Hypothyroidism: historical',
      'GERD: historical',
      'Cough: present',
    ]);
  });

  it('reads headers of mixed and upper case, inline or alone', () => {
    expect(assertMarked('Past surgical history: [[tonsillectomy]].')).toEqual(['tonsillectomy: historical']);
    expect(assertMarked('FHx: [[diabetes]], [[hypertension]].')).toEqual(['diabetes: family', 'hypertension: family']);
    expect(assertMarked('Family history:\n[[Colon cancer]] in maternal grandfather.')).toEqual(['Colon cancer: family']);
  });

  it('lets a neutral header end a section and keeps relatives from ending one', () => {
    expect(assertMarked('PMH:\n[[HTN]]\nMeds: [[amlodipine]].')).toEqual(['HTN: historical', 'amlodipine: present']);
    expect(assertMarked('FAMILY HISTORY:\nMOTHER: [[stroke]].\nUNCLE: [[gout]].')).toEqual(['stroke: family', 'gout: family']);
    expect(assertMarked('Allergies: [[penicillin]].')).toEqual(['penicillin: present']);
  });

  it('ends a section at a line that heads one the lexicon does not know, unless the line names an entity or a relative', () => {
    const note = 'Family history: brother had an [[MI]].\nPresentation: [[chest pain]] for 2 hours.\nMedications on discharge:\n[[Aspirin]] 75 mg OD';
    expect(assertMarked(note)).toEqual(['MI: family', 'chest pain: present', 'Aspirin: present']);
    expect(assertMarked('PMH:\n[[Hypertension]]: since 2015\n[[Asthma]]')).toEqual(['Hypertension: historical', 'Asthma: historical']);
    expect(assertMarked('Family history:\nMother: [[breast cancer]]\nFather: [[stroke]]')).toEqual(['breast cancer: family', 'stroke: family']);
  });

  it('drops a section category after a terminator of it in the sentence', () => {
    expect(assertMarked('PMH: [[HTN]], [[T2DM]]. On [[metformin]] 500mg BD.')).toEqual(['HTN: historical', 'T2DM: historical', 'metformin: present']);
  });
});

describe('assertEntities: matching', () => {
  it('matches case-insensitively on whole tokens', () => {
    expect(assertMarked('NO EVIDENCE OF [[PNEUMOTHORAX]].')).toEqual(['PNEUMOTHORAX: absent']);
    expect(assertMarked('PT DENIES [[FEVER]] BUT HAS [[COUGH]].')).toEqual(['FEVER: absent', 'COUGH: present']);
    expect(assertMarked('Nothing abnormal; [[knot]] on the scalp.')).toEqual(['knot: present']);
    expect(assertMarked('Notable [[anemia]].')).toEqual(['anemia: present']);
  });

  it('does not count a trigger inside the entity itself, but counts it for the others', () => {
    expect(assertMarked('Probable [[migraine without aura]].')).toEqual(['migraine without aura: possible']);
    expect(assertMarked('[[No-reflow phenomenon]] observed.')).toEqual(['No-reflow phenomenon: present']);
    expect(assertMarked('[[Prior MI]] and [[stroke]].')).toEqual(['Prior MI: present', 'stroke: historical']);
  });

  it('handles an entity at the very start of the note', () => {
    expect(assertMarked('[[Pneumonia]] was ruled out.')).toEqual(['Pneumonia: absent']);
    expect(assertMarked('[[Pneumonia]] confirmed.')).toEqual(['Pneumonia: present']);
  });

  it('returns the shape of entitiesBySentence', () => {
    const text = 'No fever. Cough.';
    const sentences = splitSentences(text);
    expect(assertEntities(text, sentences, [])).toEqual([]);
    expect(assertEntities(text, sentences, [[], [{ start: 10, end: 15, type: 'disease' }]])).toEqual([[], ['present']]);
    expect(assertEntities(text, [], [[{ start: 3, end: 8, type: 'disease' }]])).toEqual([['present']]);
    expect(assertEntities('', [], [])).toEqual([]);
  });

  it('uses the rules it is given', () => {
    const rules = compileAssertionRules({ ...DEFAULT_ASSERTION_LEXICON, triggers: [{ phrase: 'zilch', category: 'absent', direction: 'forward' }] });
    expect(assertMarked('Zilch [[fever]]. No [[cough]].', rules)).toEqual(['fever: absent', 'cough: present']);
    const narrow = compileAssertionRules(undefined, { forwardWindow: 1 });
    expect(assertMarked('No [[fever]] or [[cough]].', narrow)).toEqual(['fever: absent', 'cough: present']);
  });

  it('never throws and returns one assertion per entity for arbitrary strings and spans (property)', () => {
    const clinical = fc.constantFrom(
      'no', 'denies', 'history of', 'mother', 'r/o', '?', 'but', ';', ':', 'FAMILY HISTORY:', 'PMH:', '\n\n', '\n',
      'was ruled out', 'in 2019', 'fever', 'NO', '🙂', '\ud800', 'gram negative', ',', 'not only',
    );
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.oneof(clinical, fc.string({ maxLength: 6 })), { maxLength: 40 }).map((p) => p.join(' ')),
    );
    const span = fc.record({ start: fc.integer({ min: -5, max: 250 }), end: fc.integer({ min: -5, max: 250 }), type: fc.constantFrom('disease' as const, 'treatment' as const) });
    fc.assert(
      fc.property(text, fc.array(fc.array(span, { maxLength: 4 }), { maxLength: 12 }), (note, lists) => {
        const sentences = splitSentences(note);
        const result = assertEntities(note, sentences, lists);
        expect(result.length).toBe(lists.length);
        lists.forEach((entities, i) => {
          expect(result[i]?.length).toBe(entities.length);
          for (const a of result[i] ?? []) expect(ASSERTIONS).toContain(a);
        });
      }),
      { numRuns: 400 },
    );
  });
});

describe('evaluateAssertions', () => {
  const note = (id: string, marked: string, assertions: (Assertion | undefined)[]): GoldAssertionNote => {
    const { text, spans } = unmark(marked);
    return { id, text, entities: spans.map((s, i) => ({ ...s, type: 'disease' as const, ...(assertions[i] ? { assertion: assertions[i] } : {}) })) };
  };

  it('scores gold spans per class, with a confusion matrix and the errors', () => {
    const notes = [
      note('a', 'No [[fever]]. [[Cough]] x3d. Mother with [[asthma]].', ['absent', undefined, 'family']),
      note('b', 'Possible [[pneumonia]]; h/o [[TB]].', ['possible', 'present']),
    ];
    const report = evaluateAssertions(notes);
    expect(report.total).toBe(5);
    expect(report.correct).toBe(4);
    expect(report.accuracy).toBeCloseTo(0.8);
    expect(report.perClass.present).toEqual({ support: 2, correct: 1, accuracy: 0.5, predicted: 1, precision: 1 });
    expect(report.perClass.historical).toEqual({ support: 0, correct: 0, accuracy: 0, predicted: 1, precision: 0 });
    expect(report.perClass.family).toMatchObject({ support: 1, correct: 1, accuracy: 1 });
    const { labels, matrix } = report.confusion;
    expect(labels).toEqual([...ASSERTIONS]);
    expect(matrix[labels.indexOf('present')]?.[labels.indexOf('historical')]).toBe(1);
    expect(report.errors).toEqual([{ noteId: 'b', start: 24, end: 26, type: 'disease', gold: 'present', predicted: 'historical' }]);
  });

  it('places entities in their sentences by offset and survives odd notes', () => {
    expect(predictNoteAssertions(note('c', 'Fine.\n\nFAMILY HISTORY:\n[[Gout]].', ['family']))).toEqual(['family']);
    expect(predictNoteAssertions({ id: 'd', text: '', entities: [{ type: 'disease', start: 0, end: 3, assertion: 'absent' }] })).toEqual(['present']);
    expect(evaluateAssertions([]).accuracy).toBe(0);
  });
});

describe('assertionCueAt', () => {
  it('finds the longest lexicon phrase at a position, with the directions it reaches', () => {
    const words = 'Pt denies any history of asthma ; pneumonia was ruled out'.split(' ');
    expect(assertionCueAt(words, 1)).toEqual({ length: 4, forward: true, backward: false }); // "denies any history of"
    expect(assertionCueAt(words, 8)).toEqual({ length: 3, forward: false, backward: true }); // "was ruled out"
    expect(assertionCueAt(words, 5)).toBeNull();
    expect(assertionCueAt(['Suspected', 'dengue'], 0)).toEqual({ length: 1, forward: true, backward: true });
  });

  it('reports a pseudo-trigger as reaching nowhere, and never reads past `end`', () => {
    expect(assertionCueAt(['gram', 'negative', 'sepsis'], 0)).toEqual({ length: 2, forward: false, backward: false });
    expect(assertionCueAt(['no', 'evidence', 'of', 'malignancy'], 0)).toEqual({ length: 3, forward: true, backward: false });
    expect(assertionCueAt(['no', 'evidence', 'of', 'malignancy'], 0, 2)).toEqual({ length: 1, forward: true, backward: false });
    expect(assertionCueAt(['no'], 0, 0)).toBeNull();
  });
});
