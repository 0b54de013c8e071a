/**
 * What each feature template and the label encoding are worth, by k-fold cross-validation on the train
 * split only (the test split is never read here). Prints one JSON line per configuration:
 *   node --import tsx scripts/experiments/ablation.ts [--folds 5] [--configs baseline,full,-gazetteer,...]
 * "-name" removes a template from the default set, "+name" adds one (combinable: "+relevance-cues");
 * "io" switches the encoding to IO; "baseline" is word, affix, shape and position features only.
 * Each configuration is scored at every entity (recall) bias of the grid, or at --entity-bias N.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_TRAINING_PARAMETERS } from '../../src/core/tagger/crfsuite-binding.js';
import { DEFAULT_TEMPLATES, TEMPLATE_LIBRARY } from '../../src/core/tagger/feature-templates.js';
import type { LabelEncoding } from '../../src/core/tagger/label-codec.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { serializeResources, writeResourceFiles } from '../../src/corpus/resource-files.js';
import { crossValidate } from '../../src/training/cross-validate.js';
import { buildResources } from '../../src/training/build-resources.js';
import { DEFAULT_SPAN_RULES } from '../../src/core/clinical/span-rules.js';
import { ENTITY_BIAS_GRID } from '../../src/training/train-model-version.js';

const BASELINE = ['lower', 'suffix', 'prefix', 'shape', 'flags', 'position'];
/** The default set before relevance, neighbour suffixes and the POS lexicon were measured and added. */
const FIRST_SET = ['lower', 'suffix', 'prefix', 'shape', 'flags', 'stem', 'position', 'bigram', 'gazetteer', 'cues'];

function configuration(name: string): { templates: string[]; labelEncoding: LabelEncoding } {
  if (name === 'baseline') return { templates: BASELINE, labelEncoding: 'IO' };
  if (name === 'baseline-bio') return { templates: BASELINE, labelEncoding: 'BIO' };
  if (name === 'full') return { templates: [...DEFAULT_TEMPLATES], labelEncoding: 'BIO' };
  if (name === 'first-set') return { templates: FIRST_SET, labelEncoding: 'BIO' };
  if (name === 'io') return { templates: [...DEFAULT_TEMPLATES], labelEncoding: 'IO' };
  const changes = [...name.matchAll(/([+-])([a-z-]+)/g)];
  if (changes.length === 0 || changes.map((m) => m[0]).join('') !== name) throw new Error(`unknown configuration ${name}`);
  let templates = [...DEFAULT_TEMPLATES];
  for (const [, sign, template] of changes) {
    templates = sign === '-' ? templates.filter((t) => t !== template) : [...templates, template as string];
  }
  return { templates, labelEncoding: 'BIO' };
}

const { values } = parseArgs({
  options: {
    folds: { type: 'string', default: '5' },
    configs: { type: 'string', default: 'baseline,baseline-bio,full,io,-gazetteer,-cues,-bigram,-stem,-prefix,+pos' },
    c1: { type: 'string' }, c2: { type: 'string' }, iterations: { type: 'string' }, 'entity-bias': { type: 'string', default: 'auto' },
    'span-rules': { type: 'string', default: 'default' },
    resources: { type: 'string', default: TEMPLATE_LIBRARY.map((t) => t.name).join(',') },
    // A directory already holding the resource files (e.g. a model version's): skips building them (minutes).
    'resource-dir': { type: 'string' },
  },
});
const config = loadConfig();
const { sentences } = await readBeHealthySplit(config.corpusDir, 'train');
const workDir = await mkdtemp(join(tmpdir(), 'behealthy-ablation-'));
if (values['resource-dir']) {
  await cp(values['resource-dir'], workDir, { recursive: true });
} else {
  const allTemplates = (values.resources as string).split(',');
  const { resources } = await buildResources(allTemplates, { lexiconDir: config.lexiconDir, notesFile: config.notesFile, trainSentences: sentences });
  await writeResourceFiles(workDir, serializeResources(resources));
}
const parameters = {
  ...DEFAULT_TRAINING_PARAMETERS,
  ...(values.c1 ? { c1: Number(values.c1) } : {}),
  ...(values.c2 ? { c2: Number(values.c2) } : {}),
  ...(values.iterations ? { maxIterations: Number(values.iterations) } : {}),
};
try {
  for (const name of (values.configs as string).split(',')) {
    const spec = { ...configuration(name), parameters, spanRules: values['span-rules'] === 'none' ? [] : [...DEFAULT_SPAN_RULES] };
    const started = performance.now();
    const fixed = Number(values['entity-bias']);
    const grid = values['entity-bias'] === 'auto' ? ENTITY_BIAS_GRID : [{ D: fixed, T: fixed }];
    const { mean, entityBias, entityBiasSearch } = await crossValidate({ sentences, folds: Number(values.folds), seed: 42, spec, resourceDir: workDir, entityBiasGrid: grid });
    console.log(JSON.stringify({
      bench: 'ablation', config: name, encoding: spec.labelEncoding, templates: spec.templates, c1: parameters.c1, c2: parameters.c2,
      strict_micro_f1: mean.strict.micro.f1.mean, strict_micro_f1_sd: mean.strict.micro.f1.sd,
      strict_disease_f1: mean.strict.disease.f1.mean, strict_treatment_f1: mean.strict.treatment.f1.mean,
      partial_micro_f1: mean.partial.micro.f1.mean, token_weighted_f1: mean.token.weighted.f1.mean,
      span_rules: spec.spanRules,
      entity_bias: entityBias,
      unbiased_strict_micro_f1: entityBiasSearch[0]?.strictMicroF1.mean,
      by_entity_bias: entityBiasSearch.map((s) => [s.entityBias.D, s.entityBias.T, Number(s.strictMicroF1.mean.toFixed(4))]),
      seconds: Math.round((performance.now() - started) / 1000),
    }));
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
