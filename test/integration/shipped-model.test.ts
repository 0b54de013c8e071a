import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { referenceTagger } from '../../src/core/tagger/crfsuite-binding.js';
import { withDomainAttributes } from '../../src/core/tagger/domains.js';
import { extract } from '../../src/core/extract.js';
import { TEMPLATE_LIBRARY } from '../../src/core/tagger/feature-templates.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { loadModel, MODEL_FILE, type LoadedModel } from '../../src/registry/model-store.js';
import type { LabeledSentence } from '../../src/core/text/types.js';

/** The model in models/ (what a fresh clone serves), against the shared corpus's test split. */
describe('the shipped production model', () => {
  let loaded: LoadedModel;
  let test: LabeledSentence[];
  beforeAll(async () => {
    const config = loadConfig();
    loaded = await loadModel(config.modelDir);
    test = (await readBeHealthySplit(config.corpusDir, 'test')).sentences;
  });

  it('has a card with everything a run is reproduced from', () => {
    const { card } = loaded;
    expect(card.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(card.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(card.templates.every((name) => TEMPLATE_LIBRARY.some((t) => t.name === name))).toBe(true);
    expect(card.data.files.map((f) => f.path)).toEqual(expect.arrayContaining(['train_sent', 'train_label']));
    expect(card.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    // A single-corpus model is cross-validated; a multi-corpus one scores every other corpus's dev split.
    if (card.corpora) {
      expect(Object.keys(card.metrics.corpora ?? {}).sort()).toEqual(card.corpora.filter((c) => c !== card.learnedFrom && c !== 'behealthy').sort());
      for (const scores of Object.values(card.metrics.corpora ?? {})) expect(scores.final.strict.micro.f1).toBeGreaterThan(0);
    } else {
      expect(card.metrics.crossValidation?.folds).toBeGreaterThanOrEqual(5);
    }
    expect(card.metrics.test?.strict.micro.f1).toBeGreaterThan(0);
  });

  it('reads an e-prescription: diagnoses and drugs, their assertions, calibrated confidences, pairs', () => {
    const note = 'Pt c/o fever x3d. No h/o asthma.\nDx: typhoid fever\nRx: tab azithromycin 500mg OD x5d\n- paracetamol 650mg SOS';
    const record = extract(note, loaded.model);
    const found = record.entities.map((e) => [e.type, e.text, e.assertion]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['disease', 'fever', 'present'],
        ['disease', 'asthma', 'absent'],
        ['treatment', 'azithromycin', 'present'],
        ['treatment', 'paracetamol', 'present'],
      ]),
    );
    for (const e of record.entities) expect(e.confidence).toBeGreaterThan(0);
    // Notes' confidences are calibrated on held-out notes (a multi-corpus model), else on the folds.
    const reliability = loaded.card.notesCalibration?.reliability.spans ?? loaded.card.calibration?.reliability;
    expect(reliability?.calibrated.ece).toBeLessThan(reliability?.raw.ece as number);
    expect(record.pairs.some((p) => p.disease === 'asthma')).toBe(false);
    // The diagnosis section's one diagnosis pairs with the prescription lines.
    expect(record.pairs).toEqual(expect.arrayContaining([{ disease: 'typhoid fever', treatment: 'azithromycin', evidence: 'dx-rx-sections' }]));
    const prose = extract('Typhoid fever is endemic. Azithromycin was compared with ceftriaxone.', loaded.model);
    expect(prose.treatments.map((t) => t.text)).toContain('Azithromycin');
    expect(prose.pairs.filter((p) => p.treatment === 'Azithromycin')).toEqual([]);
    // The same note in capitals reads the same.
    const upper = extract(note.toUpperCase(), loaded.model).entities.map((e) => [e.type, e.text.toLowerCase(), e.assertion]);
    expect(upper).toEqual(found.map(([type, text, assertion]) => [type, (text as string).toLowerCase(), assertion]));
  });

  it('reads a section by its header: a vocabulary name under Plan is a drug, a Dx item the concept index names is one diagnosis', async () => {
    const { servingLoadOptions } = await import('../../src/registry/serving-options.js');
    const config = loadConfig();
    const served = (await loadModel(config.modelDir, undefined, await servingLoadOptions(config))).model;
    const record = extract('Assessment: Hypokalemia\nPlan: potassium chloride 20 mEq PO BID x 3 days, recheck K.', served);
    expect(record.treatments.map((t) => t.text)).toContain('potassium chloride');
    expect(record.pairs).toEqual(expect.arrayContaining([expect.objectContaining({ disease: 'Hypokalemia', treatment: 'potassium chloride' })]));
    const dx = extract('Pt c/o fever x 3 days\nDx: viral fever\nRx:\n1. Tab Dolo 650 1-1-1 x 3 days', served);
    expect(dx.diseases.map((d) => [d.text, d.codes?.[0]?.code])).toEqual(expect.arrayContaining([['viral fever', 'B34.9']]));
    expect(dx.diseases.filter((d) => d.start >= dx.diseases.find((x) => x.text === 'viral fever')!.start).map((d) => d.text)).toEqual(['viral fever']);
    // A drug's name a dose follows is one, header or not.
    expect(extract('Hypertension, uncontrolled - increase lisinopril to 20 mg daily.', served).treatments.map((t) => t.text)).toContain('lisinopril');
    // A vitamin's deficiency is a disease, not a drug.
    const deficiency = extract('Rx for vitamin D deficiency: cholecalciferol 60,000 IU weekly x 8 weeks', served);
    expect(deficiency.diseases.map((d) => d.text)).toContain('vitamin D deficiency');
    expect(deficiency.treatments.map((t) => t.text)).not.toContain('vitamin D');
    // Without a header, prose keeps the tagger's reading.
    const prose = extract('She was given potassium chloride for hypokalemia.', served);
    expect(prose.diseases.map((d) => d.text)).toContain('hypokalemia');
  });

  it('predicts exactly what CRFsuite predicts for every test sentence', () => {
    const reference = referenceTagger(join(loaded.directory, MODEL_FILE));
    // A model of several domains is served under one: CRFsuite reads its file with that domain's attributes.
    const { card } = loaded;
    const servedUnder = card.domains && card.servingDomain ? (card.domains[card.servingDomain] ?? []) : [];
    let tokens = 0;
    for (const sentence of test) {
      expect(loaded.model.tag(sentence.tokens)).toEqual(reference.tag(withDomainAttributes(loaded.model.attributes(sentence.tokens), servedUnder)));
      tokens += sentence.tokens.length;
    }
    reference.close();
    expect(tokens).toBe(18_618);
  });
});
