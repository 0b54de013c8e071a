import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brandEnricher, createBrandLexicon, withBrandSpans, type BrandLexicon } from '../../src/core/clinical/brands.js';
import { extract, type SequenceTagger } from '../../src/core/extract.js';
import { dosageEnricher } from '../../src/core/clinical/dosage/dosage-enricher.js';
import { parseBrands, readBrandFile, readBrandLexicon, SHIPPED_BRANDS_FILE } from '../../src/corpus/brands.js';
import { loadConfig } from '../../src/config.js';
import { isNerError } from '../../src/errors.js';

const HEADER = 'name\tvariant\tingredients\tstrength\tform\tmatch\tmanufacturer\tsource';
const row = (...fields: string[]): string => fields.join('\t');

function brandsError(text: string): { code: string; line: number | undefined; message: string } {
  try {
    parseBrands(text, 'own.tsv');
  } catch (error) {
    if (isNerError(error)) return { code: error.code, line: error.line, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('brand list file', () => {
  it('the shipped list parses and names at least 60 brands, India first', async () => {
    const products = await readBrandFile(SHIPPED_BRANDS_FILE);
    const names = new Set(products.map((p) => p.name.toLowerCase()));
    expect(names.size).toBeGreaterThanOrEqual(60);
    for (const name of ['dolo', 'pan', 'pantop', 'pan-d', 'omez', 'ondem', 'ecosprin', 'clopilet', 'rosuvas', 'naxdom', 'crocin', 'calpol', 'combiflam', 'augmentin', 'azithral', 'montair', 'glycomet', 'telma', 'amlong']) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it('reads a product: ingredients, the strength of a one-ingredient product, a name that needs its number', () => {
    const products = parseBrands(`# own list\n${HEADER}\n${row('Dolo', '650', 'paracetamol', '650 mg', 'tablet', 'name', 'Micro Labs', 'label')}\n${row('Pan', '40', 'pantoprazole', '40 mg', 'tablet', 'number', 'Alkem', 'label')}\n${row('Pan-D', '', 'pantoprazole + domperidone', '40 mg + 30 mg', 'capsule', 'name', 'Alkem', 'label')}\n`, 'own.tsv');
    expect(products).toEqual([
      { name: 'Dolo', variant: '650', ingredients: ['paracetamol'], strength: { value: 650, unit: 'mg' } },
      { name: 'Pan', variant: '40', ingredients: ['pantoprazole'], strength: { value: 40, unit: 'mg' }, needsVariant: true },
      { name: 'Pan-D', ingredients: ['pantoprazole', 'domperidone'] },
    ]);
  });

  it.each([
    [`${row('Dolo', '650', 'paracetamol', '650 mg', 'tablet', 'name', 'Micro Labs')}`, /8 tab-separated fields/],
    [`${row('Dolo', 'six', 'paracetamol', '650 mg', 'tablet', 'name', 'Micro Labs', 'label')}`, /variant/],
    [`${row('Dolo', '650', 'paracetamol', '650 milligrams', 'tablet', 'name', 'Micro Labs', 'label')}`, /UCUM/],
    [`${row('Pan-D', '', 'pantoprazole + domperidone', '40 mg', 'capsule', 'name', 'Alkem', 'label')}`, /1 quantities for 2 ingredients/],
    [`${row('Dolo', '650', 'paracetamol', '650 mg', 'tablet', 'sometimes', 'Micro Labs', 'label')}`, /match/],
    [`${row('Dolo', '650', 'paracetamol', '650 mg', 'tablet', 'name', 'Micro Labs', '')}`, /source/],
  ])('a bad line is NER_ERR_BRANDS_INVALID naming the file and line: %s', (line, message) => {
    const error = brandsError(`${HEADER}\n\n${line}\n`);
    expect(error.code).toBe('NER_ERR_BRANDS_INVALID');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^own\.tsv:3: /);
    expect(error.message).toMatch(message);
  });

  it('a duplicate product, a missing header and a missing file are errors', async () => {
    const line = row('Dolo', '650', 'paracetamol', '650 mg', 'tablet', 'name', 'Micro Labs', 'label');
    expect(brandsError(`${HEADER}\n${line}\n${line}`)).toMatchObject({ line: 3, message: expect.stringMatching(/already listed on line 2/) as unknown as string });
    expect(brandsError(line).code).toBe('NER_ERR_BRANDS_INVALID');
    await expect(readBrandFile('/nonexistent/brands.tsv')).rejects.toMatchObject({ code: 'NER_ERR_BRANDS_INVALID' });
  });

  describe('a deployment list (BRANDS_FILE)', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'brands-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('adds its products to the shipped ones and replaces a shipped product it lists again', async () => {
      const file = join(dir, 'own.tsv');
      await writeFile(file, `${HEADER}\n${row('Zyxolin', '', 'zyxoprofen', '', 'tablet', 'name', 'Example Labs', 'own formulary')}\n${row('Dolo', '650', 'acetaminophen', '650 mg', 'tablet', 'name', 'Micro Labs', 'own formulary')}\n`);
      const lexicon = await readBrandLexicon(file);
      expect(lexicon.lookup('Zyxolin')?.ingredients).toEqual(['zyxoprofen']);
      expect(lexicon.lookup('Dolo 650')?.ingredients).toEqual(['acetaminophen']);
      expect(lexicon.lookup('Pan 40')?.ingredients).toEqual(['pantoprazole']);
    });

    it('BRANDS_FILE is read from the environment; empty is a bad variable', () => {
      expect(loadConfig({}).brandsFile).toBeNull();
      expect(loadConfig({ BRANDS_FILE: '/etc/behealthy/brands.tsv' }).brandsFile).toBe('/etc/behealthy/brands.tsv');
      expect(() => loadConfig({ BRANDS_FILE: ' ' })).toThrow(/BRANDS_FILE/);
    });
  });
});

describe('brand lexicon', () => {
  let lexicon: BrandLexicon;
  beforeAll(async () => {
    lexicon = await readBrandLexicon();
  });

  const found = (sentence: string): string[] => {
    const words = sentence.split(' ');
    return lexicon.match(words).map((m) => words.slice(m.start, m.end).join(' '));
  };

  it('finds a brand with the product number after it, in any case, glued or not', () => {
    expect(found('Tab Dolo 650 1-0-1')).toEqual(['Dolo 650']);
    expect(found('TAB DOLO-650 SOS')).toEqual(['DOLO-650']);
    expect(found('cap omez 20 mg od')).toEqual(['omez']);
    expect(found('Tab Pan-D OD and Augmentin 625 BD')).toEqual(['Pan-D', 'Augmentin 625']);
    expect(found('Montair LC HS')).toEqual(['Montair LC']);
    expect(found('Cap Uprise-D3 60K once weekly')).toEqual(['Uprise-D3 60K']);
  });

  it('takes a product number the list does not know into the name, with its dose, but not a count or an amount', () => {
    expect(found('Tab Montek 4 OD x 10 days')).toEqual(['Montek 4']);
    expect(lexicon.mention('Montek 4')?.dose).toEqual({ value: 4, unit: 'mg' });
    expect(found('Tab Orofer XT 1 OD')).toEqual(['Orofer XT']);
    expect(found('Syp Calpol 5 ml TDS')).toEqual(['Calpol']);
    expect(found('Syp Citralka 2 tsf TDS')).toEqual(['Citralka']);
    expect(lexicon.mention('Dolo 650')?.dose).toBeUndefined();
  });

  it('takes a word naming a strength or release of the same ingredients into the name, not a frequency or an added ingredient', () => {
    expect(found('Syp Omnacortil Forte 5 ml BD')).toEqual(['Omnacortil Forte']);
    expect(lexicon.mention('Omnacortil Forte')?.product.ingredients).toEqual(['prednisolone']);
    expect(found('Tab Telma 40 OD')).toEqual(['Telma 40']);
    expect(found('Tab Dolo 650 SOS')).toEqual(['Dolo 650']);
  });

  it('a name that is also a word needs its number', () => {
    expect(found('Tab Pan 40 BBF')).toEqual(['Pan 40']);
    expect(found('pan systolic murmur')).toEqual([]);
  });

  it('maps a product to its ingredients and the strength of its number', () => {
    expect(lexicon.lookup('Dolo 650')).toMatchObject({ ingredients: ['paracetamol'], strength: { value: 650, unit: 'mg' } });
    expect(lexicon.lookup('Augmentin 625')?.ingredients).toEqual(['amoxicillin', 'clavulanic acid']);
    expect(lexicon.lookup('metformin')).toBeUndefined();
  });

  it('brand spans replace the spans they overlap unless a treatment span holds them', () => {
    const words = 'Tab Dolo 650 for fever'.split(' ');
    const make = (s: { type: 'D' | 'T'; start: number; end: number }) => ({ ...s, confidence: 0.5 });
    expect(withBrandSpans(words, [{ type: 'D', start: 1, end: 2, confidence: 0.9 }, { type: 'D', start: 4, end: 5, confidence: 0.9 }], lexicon, make)).toEqual([
      { type: 'T', start: 1, end: 3, confidence: 0.5 },
      { type: 'D', start: 4, end: 5, confidence: 0.9 },
    ]);
    const held = [{ type: 'T' as const, start: 0, end: 3, confidence: 0.9 }];
    expect(withBrandSpans(words, held, lexicon, make)).toBe(held);
  });

  it('a count after a listed number makes it a count, and a hyphen and a space spell one name', () => {
    expect(found('Inh Asthalin 2 puffs SOS')).toEqual(['Asthalin']);
    expect(found('Tab Asthalin 2 BD')).toEqual(['Asthalin 2']);
    expect(found('Cap Razo D 1-0-0')).toEqual(['Razo D']);
    expect(lexicon.lookup('Razo D')?.ingredients).toEqual(['rabeprazole', 'domperidone']);
  });

  it('a treatment span holding a brand gives way to it for a dose form or a number a unit follows', () => {
    const make = (s: { type: 'D' | 'T'; start: number; end: number }) => ({ ...s, confidence: 0.5 });
    const respules = 'Budecort respules 1 neb BD'.split(' ');
    expect(withBrandSpans(respules, [{ type: 'T', start: 0, end: 2, confidence: 0.9 }], lexicon, make)).toEqual([{ type: 'T', start: 0, end: 1, confidence: 0.5 }]);
    const solution = 'Redipred 5 mg/mL 2.2 mL PO'.split(' ');
    expect(withBrandSpans(solution, [{ type: 'T', start: 0, end: 2, confidence: 0.9 }], lexicon, make)).toEqual([{ type: 'T', start: 0, end: 1, confidence: 0.5 }]);
    const named = [{ type: 'T' as const, start: 0, end: 2, confidence: 0.9 }];
    expect(withBrandSpans('Augmentin Duo syrup'.split(' '), named, lexicon, make)).toBe(named);
  });

  it('in extraction, a brand the tagger misses is a drug with its generic and strength', () => {
    const nothing: SequenceTagger = { version: 'none', labelEncoding: 'IO', spanRules: [], tag: (ws) => ws.map(() => 'O'), brands: lexicon, enrichers: [brandEnricher(lexicon), dosageEnricher()] };
    const note = 'Rx: Tab Dolo 650 1-0-1 x 5 days\nTab Crocin SOS';
    const record = extract(note, nothing);
    expect(record.treatments.map((e) => [e.text, e.kind, e.generic])).toEqual([['Dolo 650', 'drug', ['paracetamol']], ['Crocin', 'drug', ['paracetamol']]]);
    const [dolo, crocin] = record.treatments;
    expect(dolo?.dosage).toMatchObject({ doseQuantity: { value: 650, unit: 'mg' }, form: 'tablet', timing: { frequency: 2 }, boundsDuration: { value: 5, unit: 'd' } });
    // Crocin's strength is not written, so it is not its dose.
    expect(crocin?.dosage).toEqual({ text: 'Tab Crocin SOS', start: note.indexOf('Tab Crocin'), end: note.length, form: 'tablet', asNeeded: true });
    expect(createBrandLexicon([]).match(['Dolo', '650'])).toEqual([]);
  });
});
