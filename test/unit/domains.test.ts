import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrfNerModel } from '../../src/core/crf-ner-model.js';
import { parseCrfsuiteModel } from '../../src/core/tagger/crf-model-file.js';
import { DEFAULT_TRAINING_PARAMETERS, referenceTagger, trainCrf } from '../../src/core/tagger/crfsuite-binding.js';
import { foldDomainWeights, withDomainAttributes } from '../../src/core/tagger/domains.js';
import { attributeStrings, planFeatures } from '../../src/core/tagger/feature-encoder.js';
import { resolveTemplates, type FeatureResources } from '../../src/core/tagger/feature-templates.js';
import { encodeLabels } from '../../src/core/tagger/label-codec.js';

const NO_RESOURCES: FeatureResources = { gazetteer: null, clusters: null, relevance: null, posLexicon: null, notesPosLexicon: null, spanLexicon: null };
const templates = resolveTemplates(['lower', 'suffix', 'shape']);
const plan = planFeatures(templates);

/** Two annotation policies of the same words: "fever" is a disease in one domain and nothing in the other. */
const SENTENCES = [
  { domain: 'every', tokens: ['fever', 'and', 'cough', 'after', 'aspirin'], labels: ['D', 'O', 'D', 'O', 'T'] },
  { domain: 'every', tokens: ['no', 'fever', 'today'], labels: ['O', 'D', 'O'] },
  { domain: 'relation', tokens: ['fever', 'and', 'cough', 'after', 'aspirin'], labels: ['O', 'O', 'O', 'O', 'O'] },
  { domain: 'relation', tokens: ['asthma', 'treated', 'with', 'salbutamol'], labels: ['D', 'O', 'O', 'T'] },
  { domain: 'every', tokens: ['asthma', 'treated', 'with', 'salbutamol'], labels: ['D', 'O', 'O', 'T'] },
] as const;

describe('domains: feature augmentation, and the weights folded per domain', () => {
  let dir: string;
  let bytes: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'domains-'));
    const sequences = Array.from({ length: 20 }, () => SENTENCES)
      .flat()
      .map((s) => ({ attributes: withDomainAttributes(attributeStrings(plan, s.tokens, NO_RESOURCES), [s.domain]), labels: encodeLabels([...s.labels], 'BIO') }));
    trainCrf(sequences, { ...DEFAULT_TRAINING_PARAMETERS, c1: 0, c2: 0.01, maxIterations: 60 }, join(dir, 'model.crfsuite'));
    bytes = await readFile(join(dir, 'model.crfsuite'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives each attribute once shared and once under each domain, in that order', () => {
    expect(withDomainAttributes([['bias', 'lower[0]=fever']], ['every-mention', 'case-reports'])).toEqual([
      ['bias', 'lower[0]=fever', 'every-mention~bias', 'every-mention~lower[0]=fever', 'case-reports~bias', 'case-reports~lower[0]=fever'],
    ]);
    expect(withDomainAttributes([['bias']], [])).toEqual([['bias']]);
  });

  it('tags with the folded table exactly as CRFsuite tags the augmented attributes, for each domain', () => {
    const weights = parseCrfsuiteModel(bytes);
    const reference = referenceTagger(join(dir, 'model.crfsuite'));
    for (const domain of ['every', 'relation']) {
      const model = createCrfNerModel({ version: domain, labelEncoding: 'BIO', templates, weights: foldDomainWeights(weights, [domain]), resources: NO_RESOURCES, spanRules: [], noteStyle: false });
      for (const sentence of [...SENTENCES.map((s) => s.tokens), ['fever', 'with', 'asthma'], ['unknown', 'words']]) {
        const expected = reference.tag(withDomainAttributes(attributeStrings(plan, sentence, NO_RESOURCES), [domain]));
        expect(model.tag(sentence), `${domain}: ${sentence.join(' ')}`).toEqual(expected);
      }
    }
    reference.close();
  });

  it('learns each policy apart: "fever" is a disease under one and not under the other', () => {
    const weights = parseCrfsuiteModel(bytes);
    const tagged = (domain: string) => createCrfNerModel({ version: domain, labelEncoding: 'BIO', templates, weights: foldDomainWeights(weights, [domain]), resources: NO_RESOURCES, spanRules: [], noteStyle: false }).tag(['fever', 'and', 'cough', 'after', 'aspirin']);
    expect(tagged('every')).toEqual(['B-D', 'O', 'B-D', 'O', 'B-T']);
    expect(tagged('relation')).toEqual(['O', 'O', 'O', 'O', 'O']);
  });

  it("folds only the serving domain's table when loaded for serving, and tags the same with it", () => {
    const parts = { version: 'v', labelEncoding: 'BIO' as const, templates, weights: parseCrfsuiteModel(bytes), resources: NO_RESOURCES, spanRules: [], noteStyle: false, domains: { every: ['every'], relation: ['relation'] }, servingDomain: 'every' };
    const all = createCrfNerModel(parts);
    const served = createCrfNerModel({ ...parts, foldDomains: 'served' });
    const words = ['fever', 'and', 'cough', 'after', 'aspirin'];
    expect(served.tag(words)).toEqual(all.tag(words));
    expect(served.forDomain('every').tag(words)).toEqual(all.forDomain('every').tag(words));
    expect(all.forDomain('relation').tag(words)).toEqual(['O', 'O', 'O', 'O', 'O']);
    expect(() => served.forDomain('relation')).toThrow(/not loaded in this process/);
    // No attribute learned only under the domain left out is kept.
    expect(served.weights.attributeIds.size).toBeLessThanOrEqual(all.weights.attributeIds.size);
  });

  it('keeps the shared weights alone with no domain, and drops the attributes of domains not asked for', () => {
    const weights = parseCrfsuiteModel(bytes);
    const shared = foldDomainWeights(weights, []);
    expect([...shared.attributeIds.keys()].some((name) => name.includes('~'))).toBe(false);
    const every = foldDomainWeights(weights, ['every']);
    const id = every.attributeIds.get('lower[0]=fever') as number;
    const L = weights.labels.length;
    const sum = (name: string, l: number) => weights.stateDense[(weights.attributeIds.get(name) as number) * L + l] ?? 0;
    // Summed in double precision, kept in single.
    for (let l = 0; l < L; l++) expect(every.stateDense[id * L + l]).toBe(Math.fround(sum('lower[0]=fever', l) + sum('every~lower[0]=fever', l)));
    expect(every.numAttributes).toBe(every.attributeIds.size);
    expect(every.stateStart[every.numAttributes]).toBe(every.stateWeight.length);
  });
});
