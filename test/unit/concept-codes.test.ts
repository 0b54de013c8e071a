import { describe, expect, it } from 'vitest';
import { buildConceptIndex, type ConceptVocabularies } from '../../src/core/clinical/concept-codes/concept-index.js';
import { conceptEnricher } from '../../src/core/clinical/concept-codes/concept-enricher.js';
import { nameKey } from '../../src/core/clinical/concept-codes/normalize.js';
import type { Entity } from '../../src/core/text/types.js';

/** A few rows in the shape of ../shared/lexicons, written for these tests. */
const vocabularies: ConceptVocabularies = {
  icd10cm: [
    { code: 'E11', description: 'Type 2 diabetes mellitus' },
    { code: 'E119', description: 'Type 2 diabetes mellitus without complications' },
    { code: 'E1165', description: 'Type 2 diabetes mellitus with hyperglycemia' },
    { code: 'I10', description: 'Essential (primary) hypertension' },
    { code: 'J18', description: 'Pneumonia, unspecified organism' },
    { code: 'J189', description: 'Pneumonia, unspecified organism' },
    { code: 'N390', description: 'Urinary tract infection, site not specified' },
    { code: 'D509', description: 'Iron deficiency anemia, unspecified' },
    { code: 'J00', description: 'Acute nasopharyngitis [common cold]' },
    { code: 'E034', description: 'Atrophy of thyroid (acquired)' },
    { code: 'E1110', description: 'Type 2 diabetes mellitus with ketoacidosis without coma' },
    { code: 'E1010', description: 'Type 1 diabetes mellitus with ketoacidosis without coma' },
    { code: 'E139', description: 'Other specified diabetes mellitus without complications' },
    { code: 'O2493', description: 'Unspecified diabetes mellitus in childbirth' },
    { code: 'Z823', description: 'Family history of stroke' },
    { code: 'G464', description: 'Cerebellar stroke syndrome' },
    { code: 'S52501', description: 'Unspecified fracture of the lower end of right radius' },
    { code: 'S52501A', description: 'Unspecified fracture of the lower end of right radius, initial encounter for closed fracture' },
    { code: 'S52501D', description: 'Unspecified fracture of the lower end of right radius, subsequent encounter for closed fracture with routine healing' },
    { code: 'W010XXA', description: 'Fall on same level from slipping, tripping and stumbling without subsequent striking against object, initial encounter' },
    { code: 'P7422', description: 'Hyponatremia of newborn' },
    { code: 'S62523', description: 'Displaced fracture of distal phalanx of unspecified thumb' },
    { code: 'S52509', description: 'Unspecified fracture of the lower end of unspecified radius' },
    { code: 'L0291', description: 'Cutaneous abscess, unspecified' },
    { code: 'H00039', description: 'Abscess of eyelid unspecified eye, unspecified eyelid' },
    { code: 'N151', description: 'Renal and perinephric abscess' },
    { code: 'J449', description: 'Chronic obstructive pulmonary disease, unspecified' },
    { code: 'J441', description: 'Chronic obstructive pulmonary disease with (acute) exacerbation' },
    { code: 'M1990', description: 'Unspecified osteoarthritis, unspecified site' },
    { code: 'M179', description: 'Osteoarthritis of knee, unspecified' },
    { code: 'M169', description: 'Osteoarthritis of hip, unspecified' },
  ],
  doid: [
    { id: 'DOID:10763', name: 'hypertension', synonyms: ['HTN'], icd10cm: ['I10'] },
    { id: 'DOID:9352', name: 'type 2 diabetes mellitus', synonyms: ['type II diabetes mellitus'], icd10cm: ['E11'] },
    { id: 'DOID:3083', name: 'chronic obstructive pulmonary disease', synonyms: ['COPD'], icd10cm: ['J44.9'] },
  ],
  drugs: [
    { name: 'Acetaminophen', kind: 'generic', norm: 'acetaminophen', mapsTo: 'Acetaminophen', ref: 'DB00316' },
    { name: 'Paracetamol', kind: 'generic', norm: 'paracetamol', mapsTo: 'Acetaminophen', ref: 'DB00316' },
    { name: 'METFORMIN HYDROCHLORIDE', kind: 'generic', norm: 'metformin hydrochloride', mapsTo: 'Metformin', ref: 'DB00331' },
    { name: 'Metformin', kind: 'generic', norm: 'metformin', mapsTo: 'Metformin', ref: 'DB00331' },
    { name: 'Amoxicillin', kind: 'generic', norm: 'amoxicillin', mapsTo: 'Amoxicillin', ref: 'DB01060' },
    { name: 'Clavulanic acid', kind: 'generic', norm: 'clavulanic acid', mapsTo: 'Clavulanic acid', ref: 'DB00766' },
    { name: 'AUGMENTIN', kind: 'brand', norm: 'augmentin', mapsTo: 'Amoxicillin + Clavulanic acid', ref: 'NDA050564' },
    { name: 'Clavulanate', kind: 'generic', norm: 'clavulanate', mapsTo: 'Clavulanic acid', ref: 'DB00766' },
    { name: 'Piperacillin', kind: 'generic', norm: 'piperacillin', mapsTo: 'Piperacillin', ref: 'DB00319' },
    { name: 'Tazobactam', kind: 'generic', norm: 'tazobactam', mapsTo: 'Tazobactam', ref: 'DB01606' },
    { name: 'Pantoprazol', kind: 'generic', norm: 'pantoprazol', mapsTo: 'Pantoprazole', ref: 'DB00213' },
    { name: 'Pantoprazole', kind: 'generic', norm: 'pantoprazole', mapsTo: 'Pantoprazole', ref: 'DB00213' },
    { name: 'Codeine', kind: 'generic', norm: 'codeine', mapsTo: 'Codeine', ref: 'DB00318' },
    { name: 'Dexamethazone', kind: 'generic', norm: 'dexamethazone', mapsTo: 'Dexamethasone', ref: 'DB01234' },
    { name: 'Ibuprophen', kind: 'generic', norm: 'ibuprophen', mapsTo: 'Ibuprofen', ref: 'DB01050' },
    { name: 'Aciclovir', kind: 'generic', norm: 'aciclovir', mapsTo: 'Acyclovir', ref: 'DB00787' },
    { name: 'Cefalexin', kind: 'generic', norm: 'cefalexin', mapsTo: 'Cephalexin', ref: 'DB00567' },
    { name: 'KCl', kind: 'generic', norm: 'kcl', mapsTo: 'KCl', ref: '' },
    { name: 'TYLENOL', kind: 'brand', norm: 'tylenol', mapsTo: 'Acetaminophen + Codeine|Acetaminophen', ref: 'NDA017756' },
    { name: 'Potassium chloride', kind: 'generic', norm: 'potassium chloride', mapsTo: 'Potassium chloride', ref: 'DB00761' },
    { name: '(+-)-Cyclophosphamide', kind: 'generic', norm: '(+-)-cyclophosphamide', mapsTo: 'Cyclophosphamide', ref: 'DB00531' },
    { name: 'Cyclophosphamide', kind: 'generic', norm: 'cyclophosphamide', mapsTo: 'Cyclophosphamide', ref: 'DB00531' },
  ],
  drugShorthand: [
    { name: 'KCl', ingredients: ['potassium chloride'] },
    { name: 'co-codamol', ingredients: ['codeine', 'paracetamol'] },
    { name: 'ORS', ingredients: ['oral rehydration salts'] },
  ],
  shorthand: [
    { name: 'HTN', icd10cm: 'I10', term: 'hypertension' },
    { name: 'T2DM', icd10cm: 'E11.9', term: 'type 2 diabetes mellitus' },
    { name: 'UTI', icd10cm: 'N39.0', term: 'urinary tract infection' },
    { name: 'abscess', icd10cm: 'L02.91', term: 'abscess', whole: true },
  ],
};
const index = buildConceptIndex(vocabularies);
const icd = (name: string): string | undefined => index.disease(name).find((c) => c.system === 'ICD-10-CM')?.code;

describe('name keys', () => {
  it('ignore case, punctuation, plurals, word order, roman numerals after "type" and British spellings', () => {
    expect(nameKey('Diabetes mellitus, type II')).toBe(nameKey('type 2 diabetes mellitus'));
    expect(nameKey('Urinary Tract Infections')).toBe(nameKey('urinary tract infection'));
    expect(nameKey('iron deficiency anaemia')).toBe(nameKey('Iron deficiency anemia'));
    expect(nameKey('pneumonia')).not.toBe(nameKey('pneumonitis'));
  });
});

describe('disease codes', () => {
  it('an abbreviation row codes what its term names (GDM is gestational, not type 2), and a word coded only alone is no other sense beside other words', () => {
    const small = buildConceptIndex({
      icd10cm: [
        { code: 'E119', description: 'Type 2 diabetes mellitus without complications' },
        { code: 'O24419', description: 'Gestational diabetes mellitus in pregnancy, unspecified control' },
        { code: 'J00', description: 'Acute nasopharyngitis [common cold]' },
        { code: 'J449', description: 'Chronic obstructive pulmonary disease, unspecified' },
        { code: 'R05', description: 'Cough' },
      ],
      doid: [{ id: 'DOID:3083', name: 'chronic obstructive pulmonary disease', synonyms: ['COLD'], icd10cm: ['J44.9'] }],
      drugs: [],
      shorthand: [
        { name: 'GDM', icd10cm: 'O24.419', term: 'gestational diabetes' },
        { name: 'cold', icd10cm: 'J00', term: 'common cold', whole: true },
      ],
    });
    const first = (name: string): string | undefined => small.disease(name)[0]?.code;
    expect(first('GDM')).toBe('O24.419');
    expect(first('cold')).toBe('J00');
    expect(first('cold and cough')).toBe('R05');
  });

  it('a name without the description\'s qualifier gets the billable unspecified code: type 2 diabetes mellitus → E11.9', () => {
    expect(icd('type 2 diabetes mellitus')).toBe('E11.9');
    expect(icd('Diabetes Mellitus Type II')).toBe('E11.9');
    expect(icd('pneumonia')).toBe('J18.9');
    expect(icd('urinary tract infections')).toBe('N39.0');
    expect(icd('Iron deficiency anaemia')).toBe('D50.9');
  });

  it('abbreviations resolve from the table, with plural and dots, to the code and the Disease Ontology term', () => {
    expect(index.disease('HTN').map((c) => c.code)).toEqual(['I10', 'DOID:10763']);
    expect(icd('T2DM')).toBe('E11.9');
    expect(icd('UTIs')).toBe('N39.0');
    expect(icd('U.T.I.')).toBe('N39.0');
  });

  it('ranks candidates with scores, best first, and names each code with its description', () => {
    const codes = index.disease('hypertension');
    expect(codes[0]).toMatchObject({ system: 'ICD-10-CM', code: 'I10', display: 'Essential (primary) hypertension' });
    expect(codes.at(-1)).toMatchObject({ system: 'DOID', code: 'DOID:10763', display: 'hypertension' });
    for (const code of codes) expect(code.score).toBeGreaterThan(0);
    const scores = codes.filter((c) => c.system === 'ICD-10-CM').map((c) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('codes the longest run of words that is a name, with a lower score than a whole match', () => {
    const within = index.disease('k/c/o HTN since 5 years');
    expect(within[0]?.code).toBe('I10');
    expect(within[0]?.score).toBeLessThan(index.disease('HTN')[0]?.score as number);
    expect(icd('high grade pneumonia')).toBe('J18.9');
  });

  it('"distal" and "proximal" before a long bone read as the index\'s "lower end" and "upper end"', () => {
    expect(icd('distal radius fracture')).toBe('S52.509');
    expect(icd('fracture of distal radius')).toBe('S52.509');
  });

  it('a row for a name alone codes only the name alone: with a site it is another code', () => {
    expect(icd('abscess')).toBe('L02.91');
    expect(icd('renal abscess')).toBe('N15.1');
  });

  it('a bracketed synonym of two words codes its description; a bracketed qualifier alone does not', () => {
    expect(icd('common cold')).toBe('J00');
    expect(icd('acquired')).toBeUndefined();
  });

  it('diabetes whose type the name does not state is type 2 (ICD-10-CM guideline I.C.4.a.2); "diabetic X" is "type 2 diabetes mellitus with X"', () => {
    expect(icd('other specified diabetes mellitus')).toBe('E13.9');
    expect(icd('diabetes mellitus in childbirth')).toBe('O24.93');
    expect(icd('diabetic ketoacidosis')).toBe('E11.10');
    expect(icd('type 1 diabetes mellitus with ketoacidosis')).toBe('E10.10');
  });

  it('matches loosely neither history nor encounter codes for a bare name, nor an injury\'s encounter or an external cause', () => {
    expect(icd('stroke in the past')).not.toBe('Z82.3');
    expect(icd('family history of stroke')).toBe('Z82.3');
    expect(icd('unspecified fracture of lower end of right radius')).toBe('S52.501');
    expect(index.icdDisplay('S52.501A')).toBeUndefined();
    expect(index.icdDisplay('S52.501D')).toBeUndefined();
    expect(index.icdDisplay('W01.0XXA')).toBeUndefined();
  });

  it('matches loosely no newborn\'s code for a name that does not say newborn', () => {
    expect(icd('hyponatremia')).toBeUndefined();
    expect(icd('hyponatremia of newborn')).toBe('P74.22');
  });

  it('a name no vocabulary knows gets no code', () => {
    expect(index.disease('xyzzy plugh')).toEqual([]);
  });
});

describe('drug codes', () => {
  it('a generic keeps the name it was written by; a salt gives its base; a brand its ingredients; each with DrugBank ids', () => {
    expect(index.drug('Paracetamol')).toEqual({ generic: ['paracetamol'], codes: [{ system: 'DrugBank', code: 'DB00316', display: 'Acetaminophen', score: 1 }] });
    expect(index.drug('Metformin hydrochloride')?.generic).toEqual(['metformin']);
    const augmentin = index.drug('Tab. AUGMENTIN 625');
    expect(augmentin?.generic).toEqual(['amoxicillin', 'clavulanic acid']);
    expect(augmentin?.codes.map((c) => c.code)).toEqual(['DB01060', 'DB00766']);
    expect(index.drug('Tab 500 mg')).toBeNull();
  });

  it('a generic spelled as written wins over a synonym with a stereo descriptor', () => {
    expect(index.drug('cyclophosphamide')?.generic).toEqual(['cyclophosphamide']);
  });

  it('a brand name the vocabulary gives several products means the simplest ("Tylenol" is acetaminophen alone)', () => {
    expect(index.drug('Tylenol 1000 mg')?.generic).toEqual(['acetaminophen']);
  });

  it('a vocabulary name that spells the ingredient another way gives the ingredient ("Pantoprazol" → pantoprazole)', () => {
    expect(index.drug('Tab Pantoprazol 40')?.generic).toEqual(['pantoprazole']);
  });

  it('a vocabulary name misspelt by sound gives the ingredient; a name that differs by more is one of its own', () => {
    expect(index.drug('Dexamethazone 1.7 mg PO')?.generic).toEqual(['dexamethasone']);
    expect(index.drug('Ibuprophen 400 mg')?.generic).toEqual(['ibuprofen']);
    expect(index.drug('Aciclovir 800 mg')?.generic).toEqual(['aciclovir']);
    expect(index.drug('Cefalexin 500 mg')?.generic).toEqual(['cefalexin']);
  });

  it('shorthand names its ingredients before a vocabulary row that holds the abbreviation as a name of its own', () => {
    expect(index.drug('KCl')).toEqual({ generic: ['potassium chloride'], codes: [{ system: 'DrugBank', code: 'DB00761', display: 'Potassium chloride', score: 1 }] });
    expect(index.drug('co-codamol 30/500')?.codes.map((c) => c.code)).toEqual(['DB00318', 'DB00316']);
  });

  it('codes added to ICD-10-CM after the vocabulary was published are in the index (COVID-19 is U07.1)', () => {
    expect(index.disease('COVID-19')[0]).toMatchObject({ system: 'ICD-10-CM', code: 'U07.1', display: 'COVID-19' });
    expect(index.icdDisplay('U09.9')).toBe('Post COVID-19 condition, unspecified');
  });

  it('shorthand for a product the drug vocabulary lacks gives its generic and no code', () => {
    expect(index.drug('ORS')).toEqual({ generic: ['oral rehydration salts'], codes: [] });
  });

  it('a combination written with a joiner names each part; an acid written as its anion keeps the acid', () => {
    expect(index.drug('piperacillin-tazobactam 4.5 g')?.generic).toEqual(['piperacillin', 'tazobactam']);
    expect(index.drug('Amoxicillin/clavulanate')?.generic).toEqual(['amoxicillin', 'clavulanic acid']);
    expect(index.drug('Amoxicillin-clavulanate')?.codes.map((c) => c.code)).toEqual(['DB01060', 'DB00766']);
  });
});

describe('the concept enricher', () => {
  const entity = (type: Entity['type'], text: string, extra: Partial<Entity> = {}): Entity => ({ type, text, start: 0, end: text.length, assertion: 'present', confidence: 0.9, ...extra });

  it('codes diseases and drugs, leaves procedures alone, and keeps a generic an earlier step set', () => {
    const entities = [
      entity('disease', 'HTN'),
      entity('treatment', 'metformin'),
      entity('treatment', 'appendectomy', { kind: 'procedure' }),
      entity('treatment', 'Dolo 650', { generic: ['paracetamol'] }),
    ];
    conceptEnricher(index).apply({ text: '', sentences: [] }, entities);
    expect(entities[0]?.codes?.[0]?.code).toBe('I10');
    expect(entities[1]?.generic).toEqual(['metformin']);
    expect(entities[2]?.codes).toBeUndefined();
    expect(entities[3]?.generic).toEqual(['paracetamol']);
    expect(entities[3]?.codes?.[0]).toMatchObject({ system: 'DrugBank', code: 'DB00316' });
  });

  it('codes an exacerbation written around a span that leaves it out ("COPD exacerbation": J44.1), and nothing else', () => {
    const text = 'Imp: COPD exacerbation. K/c/o COPD.';
    const at = (name: string, from = 0): Entity => {
      const start = text.indexOf(name, from);
      return { type: 'disease', text: name, start, end: start + name.length, assertion: 'present', confidence: 1 };
    };
    const entities = [at('COPD'), at('COPD', 20)];
    conceptEnricher(index).apply({ text, sentences: [] }, entities);
    expect(entities.map((e) => e.codes?.[0]?.code)).toEqual(['J44.1', 'J44.9']);
    expect(entities[0]?.codes?.[0]?.display).toBe('Chronic obstructive pulmonary disease with (acute) exacerbation');
  });

  it('codes a site written after a span that leaves it out ("Osteoarthritis both knees": M17.9), not one further on', () => {
    const text = 'Dx: Osteoarthritis both knees. Osteoarthritis right hip. Osteoarthritis; knee brace advised.';
    const at = (name: string, from = 0): Entity => {
      const start = text.indexOf(name, from);
      return { type: 'disease', text: name, start, end: start + name.length, assertion: 'present', confidence: 1 };
    };
    const entities = [at('Osteoarthritis'), at('Osteoarthritis', 10), at('Osteoarthritis', 40)];
    conceptEnricher(index).apply({ text, sentences: [] }, entities);
    expect(entities.map((e) => e.codes?.[0]?.code)).toEqual(['M17.9', 'M16.9', 'M19.90']);
  });

  it('reads a name no vocabulary knows again with its misspelt words mended', () => {
    const spelling = (word: string): string | undefined => ({ paracetmol: 'paracetamol', metfromin: 'metformin' })[word];
    const entities = [entity('treatment', 'Paracetmol'), entity('treatment', 'metfromin 500'), entity('treatment', 'xylophone')];
    conceptEnricher(index, spelling).apply({ text: '', sentences: [] }, entities);
    expect(entities.map((e) => e.generic)).toEqual([['paracetamol'], ['metformin'], undefined]);
    expect(entities[0]?.text).toBe('Paracetmol');
  });

  it('hands out frozen answers: one record cannot change the codes of the next', () => {
    const first = index.disease('HTN');
    expect(() => {
      (first[0] as { code: string }).code = 'X';
    }).toThrow(TypeError);
    expect(() => (index.drug('metformin')?.generic as string[]).push('x')).toThrow(TypeError);
    expect(index.disease('HTN')[0]?.code).toBe('I10');
  });
});
