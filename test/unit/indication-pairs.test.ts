import { describe, expect, it } from 'vitest';
import { codeTest, createIndicationKnowledge, type IndicationKnowledge } from '../../src/core/clinical/indications.js';
import { notePairs } from '../../src/core/clinical/relations.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';
import type { Assertion, Entity, Pair } from '../../src/core/text/types.js';
import { parseIndications, readIndicationKnowledge } from '../../src/corpus/indications.js';
import type { NerError } from '../../src/errors.js';

const KNOWLEDGE: IndicationKnowledge = createIndicationKnowledge([
  { name: 'metformin', treats: ['E11', 'E13'] },
  { name: 'amlodipine', treats: ['I10-I16', 'I20'] },
  { name: 'atorvastatin', treats: ['E78', 'I20-I25'] },
  { name: 'amoxicillin', treats: ['J01-J04', 'J13-J18'] },
  { name: 'potassium chloride', treats: ['E87.6'] },
  { name: 'cholecystectomy', treats: ['K80-K82'] },
  { name: 'naproxen', treats: ['M15-M19', 'M25'] },
]);

/**
 * Notes written for these tests, entities marked by hand: [[d:name=ICD]] a diagnosis with its code, [[s:name=ICD]]
 * a disease typed a symptom, [[d-absent:name=ICD]] with an assertion, [[t:name=generic]] a drug with its
 * ingredient (none after "=": none), [[p:name]] a procedure.
 */
function pairsOf(marked: string, options: { lineByLine?: boolean; indications?: IndicationKnowledge | null } = {}): Pair[] {
  const entities: Entity[] = [];
  let text = '';
  let last = 0;
  for (const match of marked.matchAll(/\[\[(\w)(?:-(\w+))?:([^\]=]+)(?:=([^\]]*))?\]\]/g)) {
    text += marked.slice(last, match.index);
    const [, mark, assertion, name, value] = match as unknown as [string, string, string | undefined, string, string | undefined];
    const disease = mark === 'd' || mark === 's';
    entities.push({
      type: disease ? 'disease' : 'treatment',
      kind: mark === 's' ? 'symptom' : mark === 'd' ? 'diagnosis' : mark === 'p' ? 'procedure' : 'drug',
      text: name,
      start: text.length,
      end: text.length + name.length,
      assertion: (assertion ?? 'present') as Assertion,
      confidence: 1,
      ...(disease && value ? { codes: [{ system: 'ICD-10-CM', code: value, display: name, score: 1 }] } : {}),
      ...(!disease && value ? { generic: [value] } : {}),
    });
    text += name;
    last = (match.index ?? 0) + match[0].length;
  }
  text += marked.slice(last);
  const sentences = splitSentences(text);
  const bySentence = sentences.map((s) => entities.filter((e) => e.start >= s.start && e.end <= s.end));
  const indications = options.indications === undefined ? KNOWLEDGE : options.indications;
  return notePairs({ text, sentences }, bySentence, { ...(options.lineByLine ? { lineByLine: true } : {}), ...(indications ? { indications } : {}) });
}

const pairs = (...list: [string, string, string][]): Pair[] => list.map(([disease, treatment, evidence]) => ({ disease, treatment, evidence }));

describe('indication pairs', () => {
  const lists = 'Dx: [[d:T2DM=E11.9]], [[d:HTN=I10]], [[d:dyslipidemia=E78.5]]\nRx:\n1. Tab [[t:Glycomet 500=metformin]] BD\n2. Tab [[t:Amlopres 5=amlodipine]] OD\n3. Tab [[t:Atorva 10=atorvastatin]] HS\n4. Tab [[t:Pan 40=pantoprazole]] OD';

  it('gives a drug the note stops to nothing, wherever else the note names it', () => {
    const note = 'Current: [[t:metformin=metformin]] 500 mg BD.\nA/P: [[d:T2DM=E11.9]], [[d:HTN=I10]].\n- stop [[t-historical:metformin=metformin]]; start [[t:amlodipine=amlodipine]] 5 mg OD';
    expect(pairsOf(note, { lineByLine: true }).map((p) => p.treatment)).not.toContain('metformin');
    // The drug started in place of a stopped one is given.
    const replaced = 'Problems: [[d:T2DM=E11.9]]\n1. [[t:metformin=metformin]] 500 mg BD\n- [[t-historical:glimepiride=]] 1 mg - stopped 2022 when [[t-historical:metformin=metformin]] was started';
    expect(pairsOf(replaced, { lineByLine: true }).map((p) => p.treatment)).toContain('metformin');
  });

  it('gives the patient\'s own medicines to the conditions of the past history they are for, not to the visit\'s diagnosis', () => {
    const knowledge = createIndicationKnowledge([{ name: 'lisinopril', treats: ['I10-I16', 'I21'] }]);
    const note = 'PMH [[d-historical:HTN=I10]].\nHome meds: [[t:lisinopril=lisinopril]] 20 mg daily.\nA/P: [[d:Inferior STEMI=I21.3]].\nCath lab.';
    expect(pairsOf(note, { lineByLine: true, indications: knowledge })).toEqual([{ disease: 'HTN', treatment: 'lisinopril', evidence: 'indication' }]);
    // Without a medicines header, the visit's diagnosis.
    const plan = 'PMH [[d-historical:HTN=I10]].\nA/P: [[d:Inferior STEMI=I21.3]].\nCath lab. Later [[t:lisinopril=lisinopril]] 5 mg daily.';
    expect(pairsOf(plan, { lineByLine: true, indications: knowledge }).map((p) => p.disease)).toEqual(['Inferior STEMI']);
  });

  it('gives a past episode\'s treatment to no present diagnosis, but a past treatment alone on its line may be this stay\'s', () => {
    const episode = 'H/o [[d-historical:pneumonia=J18.9]] last year, treated with [[t-historical:amoxicillin=amoxicillin]].\nNow [[d:acute bronchitis=J20.9]] with [[d:pharyngitis=J02.9]].';
    expect(pairsOf(episode).filter((p) => p.treatment === 'amoxicillin')).toEqual([]);
    const stay = 'Discharge diagnoses: [[d:acute cholecystitis=K81.0]]\nHospital course: underwent [[t-historical:cholecystectomy=]] on day 2.';
    expect(pairsOf(stay).map((p) => p.treatment)).toContain('cholecystectomy');
    const marked = 'Discharge diagnosis: [[d:acute cholecystitis=K81.0]], s/p [[t-historical:cholecystectomy=]] in 2019.';
    expect(pairsOf(marked)).toEqual([]);
    const stopped = 'Problems: [[d:hypertension=I10]], [[d:T2DM=E11.9]].\n3. [[t-historical:Amlodipine=amlodipine]] 10 mg OD - STOP. BP 86/50 standing.\n4. [[t:Glycomet 500=metformin]] BD';
    expect(pairsOf(stopped).map((p) => p.treatment)).toEqual(['Glycomet 500']);
  });

  it("gives a short note's Dx section none of its treatments that the list gives for another of its diagnoses", () => {
    const note = 'K/c/o [[d:HTN=I10]].\nDx: [[d:T2DM=E11.9]]\nRx: [[t:Glycomet 500=metformin]] BD, [[t:amlodipine=amlodipine]] 5 mg OD';
    expect(pairsOf(note, { lineByLine: true })).toEqual([
      { disease: 'T2DM', treatment: 'Glycomet 500', evidence: 'dx-rx-sections' },
      { disease: 'HTN', treatment: 'amlodipine', evidence: 'indication' },
    ]);
    // Without the list, the sections say it: both are the Dx's.
    expect(pairsOf(note, { lineByLine: true, indications: null }).map((p) => `${p.disease}→${p.treatment}`)).toEqual(['T2DM→Glycomet 500', 'T2DM→amlodipine']);
  });

  it('pairs each drug of a list under several diagnoses with the one it is given for, and a drug given for none with none', () => {
    expect(pairsOf(lists, { lineByLine: true })).toEqual(
      pairs(['T2DM', 'Glycomet 500', 'indication'], ['HTN', 'Amlopres 5', 'indication'], ['dyslipidemia', 'Atorva 10', 'indication']),
    );
  });

  it('of several diagnoses a drug is given for, pairs those the diagnosis section names', () => {
    const note = 'K/c/o [[d:HTN=I10]], [[d:stable angina=I20.8]]\nImp: [[d:hypertensive urgency=I16.0]], [[d:pneumonia=J18.9]]\nAdv:\n1. [[t:amlodipine=amlodipine]] 10 mg OD\n2. [[t:amoxicillin=amoxicillin]] 500 mg TDS';
    expect(pairsOf(note, { lineByLine: true })).toEqual(pairs(['hypertensive urgency', 'amlodipine', 'indication'], ['pneumonia', 'amoxicillin', 'indication']));
  });

  it('of several diagnoses a drug is given for, pairs those of its main uses, and a disease before its complication', () => {
    const ranked = createIndicationKnowledge([
      { name: 'torsemide', treats: ['I50', '~I10-I16', '~N17-N19'] },
      { name: 'amlodipine', treats: ['I10-I16', '~I20', '~I25'] },
      { name: 'metformin', treats: ['E11'] },
    ]);
    const note = 'Imp:\n1. [[d:HFrEF=I50.2]]\n2. [[d:HTN=I10]], [[d:CKD=N18.9]], [[d:CAD=I25.10]]\n3. [[d:T2DM=E11.9]], [[d:diabetic neuropathy=E11.42]]\nAdv:\nTab [[t:Dytor 10=torsemide]] 1-0-0\nTab [[t:Amlong 5=amlodipine]] 1-0-0\nTab [[t:Glycomet 500=metformin]] 1-0-1';
    expect(pairsOf(note, { lineByLine: true, indications: ranked })).toEqual(
      pairs(['HFrEF', 'Dytor 10', 'indication'], ['HTN', 'Amlong 5', 'indication'], ['T2DM', 'Glycomet 500', 'indication']),
    );
    // A secondary use pairs where no main use is at hand.
    expect(pairsOf('Imp: [[d:CKD=N18.9]], [[d:CAD=I25.10]]\nAdv:\nTab [[t:Dytor 10=torsemide]] 1-0-0', { lineByLine: true, indications: ranked })).toEqual(pairs(['CKD', 'Dytor 10', 'indication']));
  });

  it('gives none without the indication list', () => {
    expect(pairsOf(lists, { lineByLine: true, indications: null })).toEqual([]);
  });

  it('pairs a drug named above its diagnosis, and with every diagnosis of the note it is given for', () => {
    expect(pairsOf('Discharge medications:\n- amlodipine 5 mg daily\n- atorvastatin 40 mg nightly\nDiagnoses: [[d:hypertension=I10]]; [[d:stable angina=I20.8]]'.replace('amlodipine', '[[t:amlodipine=amlodipine]]').replace('atorvastatin', '[[t:atorvastatin=atorvastatin]]'), { lineByLine: true })).toEqual(
      pairs(['hypertension', 'amlodipine', 'indication'], ['stable angina', 'amlodipine', 'indication'], ['stable angina', 'atorvastatin', 'indication']),
    );
  });

  it('reads a code beginning narrower than a category, and a procedure by the name its text contains', () => {
    expect(pairsOf('Known [[d:hypokalemia=E87.6]], [[d:hyperkalemia=E87.5]], [[d:gallstones=K80.20]]\nKCl: [[t:potassium chloride=potassium chloride]] 20 mEq BD\nPlanned [[p:lap cholecystectomy]]', { lineByLine: true })).toEqual(
      pairs(['hypokalemia', 'potassium chloride', 'indication'], ['gallstones', 'lap cholecystectomy', 'indication']),
    );
  });

  it('leaves absent, possible, historical and family diagnoses unpaired, and a drug given for none of the present ones', () => {
    expect(
      pairsOf('No [[d-absent:diabetes=E11.9]]. H/o [[d-historical:hypertension=I10]]. Mother: [[d-family:hyperlipidemia=E78.5]]. ? [[d-possible:pneumonia=J18.9]]\nAdvised: [[t:metformin=metformin]], [[t:amlodipine=amlodipine]], [[t:atorvastatin=atorvastatin]], [[t:amoxicillin=amoxicillin]]', { lineByLine: true }),
    ).toEqual([]);
  });

  it('adds nothing to a treatment its line or link already gives a diagnosis', () => {
    expect(pairsOf('[[d:Hypertension=I10]] - [[t:amlodipine=amlodipine]] 5 mg OD.\n[[d:Angina=I20.9]] - [[t:nitroglycerin=nitroglycerin]] SL SOS.', { lineByLine: true })).toEqual(
      pairs(['Hypertension', 'amlodipine', 'explicit-link'], ['Angina', 'nitroglycerin', 'explicit-link']),
    );
  });

  it('in a line naming several of each, pairs a drug with the diagnosis it is given for, not the one a link or its place gives it', () => {
    expect(pairsOf('[[d:HTN=I10]], [[d:T2DM=E11.9]] - [[t:metformin=metformin]], [[t:amlodipine=amlodipine]]', { lineByLine: true })).toEqual(
      pairs(['T2DM', 'metformin', 'explicit-link'], ['HTN', 'amlodipine', 'indication']),
    );
    expect(pairsOf('Known [[d:HTN=I10]], [[d:T2DM=E11.9]], tabs [[t:metformin=metformin]] and [[t:amlodipine=amlodipine]] daily', { lineByLine: true })).toEqual(
      pairs(['T2DM', 'metformin', 'same-line'], ['HTN', 'amlodipine', 'same-line']),
    );
  });

  describe('a disease typed a symptom', () => {
    it('whose code names a disease a treatment of the note is given for pairs as a diagnosis, on its line too', () => {
      expect(pairsOf('1. [[s:Hypertension=I10]] - continue [[t:amlodipine=amlodipine]] 5 mg.\n2. [[d:Type 2 diabetes=E11.9]] - continue [[t:metformin=metformin]].', { lineByLine: true })).toEqual(
        pairs(['Hypertension', 'amlodipine', 'explicit-link'], ['Type 2 diabetes', 'metformin', 'explicit-link']),
      );
    });

    it('stays a symptom with a code of chapter R, a complaint\'s code, no treatment given for it, or a diagnosis of its category', () => {
      expect(pairsOf('c/o [[s:fever=R50.9]], [[s:knee pain=M25.561]], [[s:high BP=I10]]\nAdv: [[t:naproxen=naproxen]] BD, [[t:metformin=metformin]] BD', { lineByLine: true })).toEqual([]);
      expect(pairsOf('c/o [[s:sore throat=J02.9]]. Impression: [[d:acute pharyngitis=J02.9]]. Known [[d:HTN=I10]].\nPlan: [[t:amoxicillin=amoxicillin]] 500 mg TDS, [[t:amlodipine=amlodipine]] 5 mg OD', { lineByLine: true })).toEqual(
        pairs(['acute pharyngitis', 'amoxicillin', 'indication'], ['HTN', 'amlodipine', 'indication']),
      );
    });

    it('stays a symptom when absent or hedged', () => {
      expect(pairsOf('No [[s-absent:hypertension=I10]]. Rx: [[t:amlodipine=amlodipine]]', { lineByLine: true })).toEqual([]);
      expect(pairsOf('[[s:likely hypertension=I10]] - [[t:amlodipine=amlodipine]]', { lineByLine: true })).toEqual([]);
    });
  });
});

describe('indication list', () => {
  it('reads ICD-10-CM categories, ranges of categories and longer code beginnings', () => {
    expect(codeTest('E11')?.('E11.9')).toBe(true);
    expect(codeTest('E11')?.('E10.9')).toBe(false);
    expect(codeTest('I10-I16')?.('I16.0')).toBe(true);
    expect(codeTest('I10-I16')?.('I20.9')).toBe(false);
    expect(codeTest('E87.6')?.('E87.6')).toBe(true);
    expect(codeTest('E87.6')?.('E87.5')).toBe(false);
    expect(codeTest('I16-I10')).toBeNull();
    expect(codeTest('hypertension')).toBeNull();
    expect(codeTest('~I20')?.('I20.9')).toBe(true);
    expect(codeTest('~~I20')).toBeNull();
    expect(codeTest('~')).toBeNull();
  });

  const HEADER = 'name\tatc\ttreats\tindication\tsource';
  const error = (text: string): NerError => {
    try {
      parseIndications(text, 'indications.tsv');
    } catch (e) {
      return e as NerError;
    }
    throw new Error('expected an error');
  };

  it('parses rows and ignores comments and blank lines', () => {
    expect(parseIndications(`# a comment\n${HEADER}\n\nmetformin\tA10BA02\tE11 E13\ttype 2 diabetes\tWHO ATC; label\n`, 'f')).toEqual([{ name: 'metformin', treats: ['E11', 'E13'] }]);
  });

  it.each([
    ['metformin\tA10BA02\tE11\ttype 2 diabetes', /5 tab-separated fields/],
    ['Metformin\tA10BA02\tE11\ttype 2 diabetes\tlabel', /lower-case/],
    ['metformin\tA10-BA\tE11\ttype 2 diabetes\tlabel', /ATC/],
    ['metformin\tA10BA02\tdiabetes\ttype 2 diabetes\tlabel', /no ICD-10-CM category/],
    ['metformin\tA10BA02\t\ttype 2 diabetes\tlabel', /names no ICD-10-CM code/],
    ['metformin\tA10BA02\tE11\ttype 2 diabetes\t', /source/],
  ])('a bad line is NER_ERR_INDICATIONS_INVALID naming the file and line: %s', (line, message) => {
    const e = error(`${HEADER}\n${line}\n`);
    expect(e.code).toBe('NER_ERR_INDICATIONS_INVALID');
    expect(e.message).toMatch(/^indications\.tsv:2: /);
    expect(e.message).toMatch(message);
  });

  it('a name listed twice and a missing header are errors', () => {
    const line = 'metformin\tA10BA02\tE11\ttype 2 diabetes\tlabel';
    expect(error(`${HEADER}\n${line}\n${line}\n`).message).toMatch(/already listed on line 2/);
    expect(error(`${line}\n`).code).toBe('NER_ERR_INDICATIONS_INVALID');
  });

  it('the shipped list reads, and knows the standard indications of common drugs', async () => {
    const knowledge = await readIndicationKnowledge();
    const drug = (generic: string): Entity => ({ type: 'treatment', text: generic, start: 0, end: generic.length, assertion: 'present', confidence: 1, generic: [generic] });
    expect(knowledge.size).toBeGreaterThan(300);
    expect(knowledge.forTreatment(drug('metformin'))?.('E11.9')).toBe(true);
    expect(knowledge.forTreatment(drug('amlodipine'))?.('I10')).toBe(true);
    expect(knowledge.forTreatment(drug('atorvastatin'))?.('E78.5')).toBe(true);
    expect(knowledge.forTreatment(drug('atorvastatin'))?.('I10')).toBe(false);
    expect(knowledge.forTreatment(drug('zyxoprofen'))).toBeNull();
    const procedure = (text: string): Entity => ({ type: 'treatment', kind: 'procedure', text, start: 0, end: text.length, assertion: 'present', confidence: 1 });
    expect(knowledge.forTreatment(procedure('Cardiac rehabilitation'))?.('I21.4')).toBe(true);
    expect(knowledge.forTreatment(procedure('RCT'))?.('K04.02')).toBe(true);
    expect(knowledge.usesFor(drug('amlodipine')).map((use) => [use('I10'), use('I25.10'), use('E11.9')])).toEqual([['main', 'secondary', null]]);
  });
});
