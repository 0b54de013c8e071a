import { describe, expect, it } from 'vitest';
import { MAX_PAIRS_PER_NOTE, notePairs } from '../../src/core/clinical/relations.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';
import type { Assertion, Entity, EntityType, Pair } from '../../src/core/text/types.js';

/**
 * Notes written for these tests, with their entities marked by hand: [[d:name]] a disease, [[t:name]] a
 * treatment, [[d-absent:name]] with an assertion, [[s:name]] a symptom (kind), [[p:name]] a procedure.
 */
function pairsOf(marked: string, options: { lineByLine?: boolean } = {}, instructed: readonly string[] = []): Pair[] {
  const entities: Entity[] = [];
  let text = '';
  let last = 0;
  for (const match of marked.matchAll(/\[\[(\w)(?:-(\w+))?:([^\]]+)\]\]/g)) {
    text += marked.slice(last, match.index);
    const [, kind, assertion, name] = match as unknown as [string, string, string | undefined, string];
    const type: EntityType = kind === 'd' || kind === 's' ? 'disease' : 'treatment';
    entities.push({
      type,
      text: name,
      start: text.length,
      end: text.length + name.length,
      assertion: (assertion ?? 'present') as Assertion,
      confidence: 1,
      ...(instructed.includes(name) ? { dosage: { text: 'OD', start: 0, end: 0, timing: { frequency: 1, period: 1, periodUnit: 'd' as const } } } : {}),
      ...(kind === 's' ? { kind: 'symptom' as const } : kind === 'd' ? { kind: 'diagnosis' as const } : kind === 'p' ? { kind: 'procedure' as const } : { kind: 'drug' as const }),
    });
    text += name;
    last = (match.index ?? 0) + match[0].length;
  }
  text += marked.slice(last);
  const sentences = splitSentences(text);
  const bySentence = sentences.map((s) => entities.filter((e) => e.start >= s.start && e.end <= s.end));
  return notePairs({ text, sentences }, bySentence, options);
}

const pairs = (...list: [string, string, string][]): Pair[] => list.map(([disease, treatment, evidence]) => ({ disease, treatment, evidence }));

describe('pairs a note states', () => {
  it('links "X for Y" and "Y on X" within a sentence, each treatment to its own diagnosis', () => {
    expect(pairsOf('Started [[t:metformin]] for [[d:diabetes]] and [[t:lisinopril]] for [[d:hypertension]].')).toEqual(
      pairs(['diabetes', 'metformin', 'explicit-link'], ['hypertension', 'lisinopril', 'explicit-link']),
    );
    expect(pairsOf('K/c/o [[d:HTN]] on [[t:amlodipine]], [[d:T2DM]] on [[t:metformin]] and [[t:glimepiride]].')).toEqual(
      pairs(['HTN', 'amlodipine', 'explicit-link'], ['T2DM', 'metformin', 'explicit-link'], ['T2DM', 'glimepiride', 'explicit-link']),
    );
  });

  it('gives every treatment of a line a diagnosis labels to that diagnosis, across its ";"', () => {
    const note = 'Dx: [[d:asthma]] with [[d:allergic rhinitis]]\n[[d:Asthma]]: [[t:Foracort]] 2 puffs BD; [[t:Asthalin]] 2 puffs SOS\n[[d:Rhinitis]]: [[t:Montair-LC]] HS; [[t:Flomist]] OD';
    const got = pairsOf(note, { lineByLine: true });
    expect(got.filter((p) => p.disease === 'Asthma').map((p) => p.treatment)).toEqual(['Foracort', 'Asthalin']);
    expect(got.filter((p) => p.disease === 'Rhinitis').map((p) => p.treatment)).toEqual(['Montair-LC', 'Flomist']);
  });

  it('reads "for Y" along its own line: the prescription lines above it are not given for Y', () => {
    const note = 'Imp: [[d:GERD]]\nTab [[t:pantoprazole]] 40 mg OD\nTab [[t:itopride]] 50 mg TDS\nSyp [[t:sucralfate]] 10 ml SOS for [[d:gastritis]]';
    expect(pairsOf(note, { lineByLine: true }).filter((p) => p.disease === 'gastritis')).toEqual(pairs(['gastritis', 'sucralfate', 'explicit-link']));
  });

  it('reads "for Y" after a list of prescriptions, each with its own instructions, as said of the last only', () => {
    const note = 'Rx: Tab [[t:Azithral 500]] OD x 3d, Tab [[t:Dolo 650]] SOS for [[d:fever]].';
    expect(pairsOf(note, {}, ['Azithral 500', 'Dolo 650'])).toEqual(pairs(['fever', 'Dolo 650', 'explicit-link']));
    // A list of names is given for it whole.
    expect(pairsOf('Started [[t:amlodipine]], [[t:losartan]] for [[d:HTN]].').map((p) => p.treatment)).toEqual(['amlodipine', 'losartan']);
    expect(pairsOf('Started [[t:metformin]] 500 mg BD and [[t:glimepiride]] 1 mg OD for [[d:T2DM]].', {}, ['metformin', 'glimepiride']).map((p) => p.treatment)).toEqual(['metformin', 'glimepiride']);
  });

  it('links a disease to the treatments after "treated with", a colon or a dash, up to the next disease', () => {
    expect(pairsOf('Admitted with [[d:pneumonia]] and was treated with [[t:ceftriaxone]] and [[t:azithromycin]]; [[d:hypertension]] - [[t:amlodipine]].')).toEqual(
      pairs(['pneumonia', 'ceftriaxone', 'explicit-link'], ['pneumonia', 'azithromycin', 'explicit-link'], ['hypertension', 'amlodipine', 'explicit-link']),
    );
  });

  it('pairs one diagnosis with the treatments of its line in a note written line by line, and says so', () => {
    expect(pairsOf('Follow up\n[[d:Gout]] [[t:febuxostat]] 40 mg\nBP 130/80', { lineByLine: true })).toEqual(pairs(['Gout', 'febuxostat', 'same-line']));
    expect(pairsOf('The [[d:asthma]] improved after [[t:budesonide]] was added.')).toEqual(pairs(['asthma', 'budesonide', 'same-sentence']));
  });

  it('pairs no allergen: a drug after an allergies header, or one a culture is sensitive to', () => {
    expect(pairsOf('ALLERGIES: [[t:PENICILLIN]], [[t:SULFA]], all cause [[d:HIVES]].\nDx: [[d:cellulitis]]')).toEqual([]);
    expect(pairsOf('[[d:Pseudomonas urinary tract infection]], culture sensitive to [[t:ceftazidime]].')).toEqual([]);
    // the header ends at the next one on its line
    expect(pairsOf('Allergies: NKDA. Medications: [[t:metformin]] for [[d:diabetes]].')).toEqual(pairs(['diabetes', 'metformin', 'explicit-link']));
  });

  it('gives a sentence\'s one treatment to the diagnosis named last before it, not to every diagnosis the sentence lists', () => {
    expect(pairsOf('A man with [[d:coronary artery disease]], [[d:hypothyroidism]] and [[d:peripheral vascular disease]], now needs [[t:angioplasty]].')).toEqual(
      pairs(['peripheral vascular disease', 'angioplasty', 'same-sentence']),
    );
  });

  it('never pairs across sentences of a long note, nor a whole discharge summary\'s diagnoses with its drugs', () => {
    const filler = ' The patient was seen on the ward and examined in detail.'.repeat(30);
    const pairs = pairsOf(`Diagnoses: [[d:pneumonia]], [[d:hypertension]].${filler} Medications: [[t:ceftriaxone]], [[t:amlodipine]].`);
    expect(pairs).toEqual([]);
  });

  it('pairs the one diagnosis of a short note\'s Dx section with its Rx section (SOAP A/P too)', () => {
    expect(pairsOf('Pt c/o [[s:fever]] x3d. Dx: [[d:typhoid]]. No h/o [[d-absent:asthma]]. Rx: [[t:azithromycin]] 500mg OD, [[t:paracetamol]] SOS')).toEqual(
      pairs(['typhoid', 'azithromycin', 'dx-rx-sections'], ['typhoid', 'paracetamol', 'dx-rx-sections']),
    );
    expect(pairsOf('S: burning micturition.\nA: [[d:Urinary tract infection]].\nP: [[t:Nitrofurantoin]] 100 mg BD.')).toEqual(pairs(['Urinary tract infection', 'Nitrofurantoin', 'dx-rx-sections']));
  });

  it('does not cross a Dx section of several diagnoses with an Rx section: the note does not say which is whose', () => {
    expect(pairsOf('Dx: [[d:URTI]], [[d:HTN]]\nRx: [[t:azithromycin]] 500 OD\n[[t:telmisartan]] 40 OD')).toEqual([]);
  });

  it('pairs a short note\'s only diagnosis with the treatments named after it, not those a line labels for something else', () => {
    expect(pairsOf('[[d:Typhoid fever]] is endemic. [[t:Azithromycin]] was compared with [[t:ceftriaxone]].')).toEqual([]);
    expect(pairsOf('[[d:Osteoarthritis of knee]]. Advised [[t:paracetamol]] 500 mg TDS, [[p:physiotherapy]].', { lineByLine: true })).toEqual(
      pairs(['Osteoarthritis of knee', 'paracetamol', 'single-diagnosis'], ['Osteoarthritis of knee', 'physiotherapy', 'single-diagnosis']),
    );
    expect(pairsOf('- [[d:Constipation]]: [[t:lactulose]] 15 ml HS\n- Piles: [[p:sitz bath]]', { lineByLine: true })).toEqual(pairs(['Constipation', 'lactulose', 'explicit-link']));
  });

  it('pairs a problem line\'s diagnoses with the treatments of the bullets under it, up to the next problem', () => {
    const note = 'Assessment & Plan:\n# [[d:Hepatic encephalopathy]], improving\n - [[t:lactulose]] 30 mL TID\n - [[t:rifaximin]] 550 mg BID\n# [[d:Esophageal varices]], small\n - [[t:nadolol]] 20 mg daily\nFollow up in clinic; [[t:thiamine]] daily';
    expect(pairsOf(note)).toEqual(
      pairs(['Hepatic encephalopathy', 'lactulose', 'problem-block'], ['Hepatic encephalopathy', 'rifaximin', 'problem-block'], ['Esophageal varices', 'nadolol', 'problem-block']),
    );
    expect(pairsOf('2. [[d:Type 2 diabetes]], stable.\n    [[t:Metformin]] 1 g BD\n3. [[d:GERD]]')).toEqual(pairs(['Type 2 diabetes', 'Metformin', 'problem-block']));
    expect(pairsOf('Hx:\n- [[d:Asthma]]\n- [[t:salbutamol]] inhaler')).toEqual([]);
  });

  it('pairs a numbered problem that opens its line with the treatments its later sentences start', () => {
    const note = 'Plan:\n1. [[d:Gestational diabetes]] - OGTT 8.4 at 26 weeks. Dietitian seen. Start [[t:metformin]] 500 mg OD.\n2. [[d:GERD]]';
    expect(pairsOf(note)).toEqual(pairs(['Gestational diabetes', 'metformin', 'problem-block']));
    // Not a problem line: the diagnosis does not open it.
    expect(pairsOf('Plan:\n1. Review in 2 weeks with OGTT for [[d-possible:gestational diabetes]]. Start [[t:folic acid]] 5 mg OD.')).toEqual([]);
  });

  it('pairs a past treatment only where a sentence says it was given: not beside the diagnosis on a line or a bullet', () => {
    expect(pairsOf('Known case of [[d:CAD]], post [[p-historical:CABG]] 2019.\nTab [[t:Ecosprin 75]] OD', { lineByLine: true })).toEqual(pairs(['CAD', 'Ecosprin 75', 'single-diagnosis']));
    expect(pairsOf('# [[d:Alcoholic cirrhosis]] with ascites\n - s/p [[p-historical:paracentesis]] 5 L\n - [[t:spironolactone]] 100 mg daily')).toEqual(
      pairs(['Alcoholic cirrhosis', 'spironolactone', 'problem-block']),
    );
    expect(pairsOf('Admitted with [[d:COPD]] and was treated with [[t-historical:salbutamol]] nebs.')).toEqual(pairs(['COPD', 'salbutamol', 'explicit-link']));
    // A link whose words put the treatment in the past is no link, and the clause pairs no past treatment either.
    expect(pairsOf('Imp:\n4. [[d:CAD]] - post [[p-historical:PTCA]], stable')).toEqual([]);
    expect(pairsOf('K/C/O [[d:HTN]] X 15 YRS, [[d:CAD]] - S/P [[p-historical:CABG]] 2019')).toEqual([]);
  });

  it('pairs a known condition of the past history with a treatment given now that a link names, not with a past or stopped one', () => {
    expect(pairsOf('PMH: [[d-historical:asthma]], mild intermittent, uses [[t:albuterol]] PRN.')).toEqual(pairs(['asthma', 'albuterol', 'explicit-link']));
    expect(pairsOf('PMH: [[d-historical:DVT]] 2019, was on [[t-historical:warfarin]].')).toEqual([]);
    expect(pairsOf('STOP [[t-historical:aspirin]], start [[t:edoxaban]] for her [[d:AF]].')).toEqual(pairs(['AF', 'edoxaban', 'explicit-link']));
    expect(pairsOf('MHx: [[d:asthma]] ([[t:Ventolin]] prn, tolerates [[t:ibuprofen]]).')).toEqual(pairs(['asthma', 'Ventolin', 'explicit-link']));
  });

  it('pairs no absent, possible, historical or family diagnosis, no hedged span, no symptom, no absent treatment', () => {
    for (const assertion of ['absent', 'possible', 'historical', 'family']) {
      expect(pairsOf(`[[d-${assertion}:Pneumonia]] treated with [[t:amoxicillin]].`)).toEqual([]);
    }
    expect(pairsOf('[[d:likely gastritis]] on [[t:omeprazole]].')).toEqual([]);
    expect(pairsOf('[[s:Fever]] treated with [[t:paracetamol]].')).toEqual([]);
    expect(pairsOf('[[d:Asthma]], [[t-absent:steroids]] not given.')).toEqual([]);
  });

  it('a model without kinds: a disease coded in ICD-10-CM chapter R (symptoms) is not a diagnosis', () => {
    const text = 'Fever treated with paracetamol.';
    const fever: Entity = { type: 'disease', text: 'Fever', start: 0, end: 5, assertion: 'present', confidence: 1, codes: [{ system: 'ICD-10-CM', code: 'R50.9', display: 'Fever, unspecified', score: 0.95 }] };
    const drug: Entity = { type: 'treatment', text: 'paracetamol', start: 19, end: 30, assertion: 'present', confidence: 1 };
    expect(notePairs({ text, sentences: splitSentences(text) }, [[fever, drug]])).toEqual([]);
    expect(notePairs({ text, sentences: splitSentences(text) }, [[{ ...fever, codes: [] }, drug]])).toEqual(pairs(['Fever', 'paracetamol', 'explicit-link']));
  });

  it('lists a pair once per note (case-insensitively), in order of first appearance, at most MAX_PAIRS_PER_NOTE', () => {
    expect(pairsOf('[[d:Asthma]] on [[t:salbutamol]]. [[d:asthma]] on [[t:Salbutamol]] and [[t:budesonide]].')).toEqual(
      pairs(['Asthma', 'salbutamol', 'explicit-link'], ['asthma', 'budesonide', 'explicit-link']),
    );
    const names = (type: EntityType, prefix: string, n: number, at: number): Entity[] =>
      Array.from({ length: n }, (_, i) => ({ type, text: `${prefix}${i}`, start: at + i, end: at + i + 1, assertion: 'present' as const, confidence: 1 }));
    // One clause, a diagnosis and 20,000 treatments: many pairs, capped.
    const text = 'x'.repeat(40_000);
    const group = [...names('disease', 'd', 1, 0), ...names('treatment', 't', 20_000, 10)];
    const many = notePairs({ text, sentences: [] }, [group]);
    expect(many).toHaveLength(MAX_PAIRS_PER_NOTE);
    expect(many[0]).toMatchObject({ disease: 'd0', treatment: 't0' });
  });
});
