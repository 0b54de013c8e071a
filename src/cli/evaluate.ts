import { resolve } from 'node:path';
import { confidenceObservations, formatReliability, reliabilityTable, type ConfidenceObservation } from '../core/tagger/calibration.js';
import { errorSummary, formatReport } from '../core/evaluation/evaluation.js';
import { evaluateAssertions } from '../core/evaluation/assertion-evaluation.js';
import { ASSERTIONS } from '../core/text/types.js';
import { readAnnotationsJsonl, type AnnotatedNote } from '../corpus/jsonl-annotations.js';
import { readMarkedNotes } from '../corpus/marked-notes.js';
import { NerError } from '../errors.js';
import { readBeHealthySplit } from '../corpus/behealthy-format.js';
import { loadModel } from '../registry/model-store.js';
import { servingLoadOptions } from '../registry/serving-options.js';
import { readCodePairNotes } from '../corpus/code-pair-notes.js';
import { evaluateCodesAndPairs } from '../core/evaluation/code-pair-evaluation.js';
import { evaluateTagger } from '../training/train-tagger.js';
import { devSetOf, evaluateDevSet, type DevSet } from '../training/dev-evaluation.js';
import { corpusMappings, mappingsDir } from '../training/training-corpora.js';
import { readCorpusMappings, type CorpusMapping } from '../corpus/corpus-mapping.js';
import { readJsonlCorpus } from '../corpus/annotated-corpus.js';
import { formatDocumentErrors, formatDocumentReport, scoreDocuments } from '../core/evaluation/document-scores.js';
import { extract, type SequenceTagger } from '../core/extract.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';
import { evaluatePrescriptions, formatPrescriptionReport, goldEntityPairs } from '../core/evaluation/prescription-evaluation.js';
import { BRAND_SPAN_CONFIDENCE } from '../core/clinical/brands.js';
import { readPrescriptions } from '../corpus/prescriptions.js';
import type { Config } from '../config.js';

const usage =
  'behealthy evaluate [--split test|train | --notes FILE.marked.txt|FILE.jsonl] [--case lower|upper] [--corpus DIR] [--models DIR] [--model VERSION] [--json] [--errors N]\n' +
  '       behealthy evaluate --dev NAME|all [--routed] [--json] [--errors N]   (a corpus\'s dev split by its mapping; own domain, or routed as notes are)\n' +
  '       behealthy evaluate --documents FILE.jsonl --mapping NAME [--routed] [--json] [--errors N]   (any documents in a corpus\'s JSONL format)\n' +
  '       behealthy evaluate --assertions FILE.marked.txt|FILE.jsonl [--json]   (assertion rules on the gold spans; no model)\n' +
  '       behealthy evaluate --prescriptions FILE.jsonl [--split dev|test|all] [--json] [--errors N]   (spans, kinds, codes, generics, brands, dosage fields, pairs)\n' +
  '       behealthy evaluate --pairs FILE.jsonl [--split dev|test|all] [--json] [--errors N]   (concept codes, generics and pairs of notes annotated with them)';

/** --case: the split rewritten in one case, to measure how much the model depends on the writer's capitals. */
const CASES: Record<string, (token: string) => string> = { lower: (t) => t.toLowerCase(), upper: (t) => t.toUpperCase() };

async function readAnnotatedNotes(path: string): Promise<AnnotatedNote[]> {
  return (path.endsWith('.jsonl') ? await readAnnotationsJsonl(path) : await readMarkedNotes(path)).notes;
}

/** Assertion accuracy per gold class on hand-annotated notes: the rules alone, on the gold spans. */
async function reportAssertions(path: string, json: boolean, stdout: NodeJS.WritableStream): Promise<number> {
  const { errors: _errors, ...evaluation } = evaluateAssertions(await readAnnotatedNotes(path));
  if (json) {
    stdout.write(`${JSON.stringify({ assertions: path, ...evaluation })}\n`);
    return 0;
  }
  const rows = ASSERTIONS.map((a) => {
    const c = evaluation.perClass[a];
    return `${a.padEnd(11)} ${String(c.support).padStart(8)} ${String(c.correct).padStart(8)} ${c.accuracy.toFixed(3).padStart(9)} ${c.precision.toFixed(3).padStart(10)}`;
  });
  stdout.write(
    [`assertion on the gold spans of ${path}`, 'class        support  correct  accuracy  precision', ...rows, `overall     ${String(evaluation.total).padStart(8)} ${String(evaluation.correct).padStart(8)} ${evaluation.accuracy.toFixed(3).padStart(9)}`].join('\n') + '\n',
  );
  return 0;
}

/**
 * Hand-annotated notes (marked or JSONL), each extracted as the product extracts a note (routed, span rules,
 * lexicon pass) and scored by character offsets; the reliability of the entities' confidence beside.
 */
async function reportNotes(
  model: SequenceTagger,
  version: string,
  path: string,
  options: { json: boolean; examples: number; toCase?: (text: string) => string; caseName?: string },
  stdout: NodeJS.WritableStream,
): Promise<number> {
  const notes = (await readAnnotatedNotes(path)).map((note) => (options.toCase ? { ...note, text: options.toCase(note.text) } : note));
  const observations: ConfidenceObservation[] = [];
  const documents = notes.map((note) => {
    const predicted = extract(note.text, model).entities;
    const gold = new Set(note.entities.map((e) => `${e.type}:${e.start}:${e.end}`));
    observations.push(...predicted.map((e) => ({ confidence: e.confidence, correct: gold.has(`${e.type}:${e.start}:${e.end}`) })));
    return { id: note.id, text: note.text, gold: note.entities, predicted };
  });
  const report = scoreDocuments(documents);
  const reliability = reliabilityTable(observations);
  if (options.json) {
    const { errors: _errors, ...scores } = report;
    stdout.write(`${JSON.stringify({ model: version, notes: path, ...(options.caseName ? { case: options.caseName } : {}), ...scores, reliability })}\n`);
    return 0;
  }
  stdout.write(`model ${version} on ${path}${options.caseName ? ` in ${options.caseName} case` : ''}, each note as the product extracts it\n${formatDocumentReport(report)}\n`);
  stdout.write(`\n${formatReliability(reliability)}\n`);
  if (options.examples > 0) stdout.write(`\n${formatDocumentErrors(report, options.examples)}\n`);
  return 0;
}

/** The dev split of one named corpus, or of every JSONL corpus that has a mapping. */
async function devSets(name: string, corporaDir: string): Promise<DevSet[]> {
  const all = await readCorpusMappings(mappingsDir());
  const names = name === 'all' ? [...all.values()].filter((m) => m.format === 'jsonl').map((m) => m.name) : [name];
  const sets: DevSet[] = [];
  for (const mapping of await corpusMappings(names)) {
    if (mapping.format !== 'jsonl') throw new NerError('NER_ERR_CLI_USAGE', `${mapping.name} is scored with --split (it is token per line)`);
    const corpus = await readJsonlCorpus(mapping, corporaDir);
    sets.push(devSetOf(mapping, corpus.documents.filter((d) => d.split === 'dev')));
  }
  return sets;
}

/** Every document of a JSONL file, read and scored through a corpus's mapping (held-out documents of that corpus). */
async function documentsSet(name: string, file: string): Promise<DevSet> {
  const [mapping] = await corpusMappings([name]);
  const m = mapping as CorpusMapping;
  const corpus = await readJsonlCorpus({ ...m, root: 'corpora', folder: '.', files: { test: [file] } }, '/');
  return devSetOf(m, corpus.documents);
}

/** Every field of the record on the annotated prescriptions (corpus/prescriptions/README.md), one split or both. */
async function reportPrescriptions(
  values: { prescriptions?: string; split?: string; models?: string; model?: string; json?: boolean; errors?: string },
  config: Config,
  stdout: NodeJS.WritableStream,
): Promise<number> {
  const split = values.split ?? 'test';
  if (split !== 'dev' && split !== 'test' && split !== 'all') throw new NerError('NER_ERR_CLI_USAGE', `with --prescriptions, --split must be dev, test or all, got "${split}"`);
  const file = resolve(values.prescriptions as string);
  const notes = (await readPrescriptions(file)).filter((n) => split === 'all' || n.split === split);
  const { model, card } = await loadModel(values.models ? resolve(values.models) : config.modelDir, values.model, await servingLoadOptions(config));
  const report = evaluatePrescriptions(notes, (note) => extract(note.text, model), {
    brandSpanConfidence: BRAND_SPAN_CONFIDENCE,
    pairsOfGold: (note) => goldEntityPairs(note, model.indications),
  });
  const { errors, ...scores } = report;
  if (values.json) {
    stdout.write(`${JSON.stringify({ model: card.version, prescriptions: values.prescriptions, split, ...scores })}\n`);
    return 0;
  }
  stdout.write(`model ${card.version} on ${values.prescriptions} (${split}: ${notes.length} notes)\n${formatPrescriptionReport(report)}\n`);
  const examples = numberOption(values.errors, 'errors', 0);
  if (examples > 0) stdout.write(`\n${errors.slice(0, examples).join('\n')}\n`);
  return 0;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score a model version (default: production) on a corpus split: strict, partial and token level',
  usage,
  async run(argv, { config, stdout }) {
    const { values } = parseCommandArgs(
      argv,
      {
        split: { type: 'string', default: 'test' }, corpus: { type: 'string' }, models: { type: 'string' },
        model: { type: 'string' }, json: { type: 'boolean' }, errors: { type: 'string' }, case: { type: 'string' }, notes: { type: 'string' }, assertions: { type: 'string' },
        dev: { type: 'string' }, documents: { type: 'string' }, mapping: { type: 'string' }, routed: { type: 'boolean' }, prescriptions: { type: 'string' }, pairs: { type: 'string' },
      },
      usage,
    );
    if (values.prescriptions) return reportPrescriptions(values, config, stdout);
    if (values.assertions) return reportAssertions(resolve(values.assertions), values.json === true, stdout);
    if (values.pairs) {
      const split = argv.includes('--split') ? values.split : 'all';
      const notes = (await readCodePairNotes(resolve(values.pairs))).filter((note) => split === 'all' || note.split === split);
      if (notes.length === 0) throw new NerError('NER_ERR_CLI_USAGE', `no notes of split "${split}" in ${values.pairs}`);
      // As served: with the configured concept codes.
      const { model, card } = await loadModel(values.models ? resolve(values.models) : config.modelDir, values.model, await servingLoadOptions(config));
      const { errors, ...report } = evaluateCodesAndPairs(notes, (note) => extract(note.text, model, note.id));
      if (values.json) {
        stdout.write(`${JSON.stringify({ model: card.version, file: values.pairs, split, ...report })}\n`);
        return 0;
      }
      const line = (name: string, s: { correct: number; total: number; accuracy: number }) => `${name.padEnd(26)} ${s.accuracy.toFixed(3)}  (${s.correct}/${s.total})`;
      const p = report.pairs;
      stdout.write(
        [
          `model ${card.version} on ${values.pairs} (${split}: ${notes.length} notes)`,
          line('ICD-10-CM category', report.icd10cmCategory),
          line('ICD-10-CM code', report.icd10cmCode),
          line('generic', report.generic),
          line('diseases found', report.diseasesFound),
          line('drugs found', report.drugsFound),
          `pairs                      precision ${p.precision.toFixed(3)}  recall ${p.recall.toFixed(3)}  f1 ${p.f1.toFixed(3)}  (${p.matchedPredicted}/${p.predicted} predicted, ${p.matchedGold}/${p.gold} annotated)`,
          `pairs of entities found     recall ${report.pairsOfFoundEntities.recall.toFixed(3)}  (${report.pairsOfFoundEntities.matchedGold}/${report.pairsOfFoundEntities.gold} annotated pairs whose two names the model found)`,
          ...Object.entries(report.byEvidence).map(([evidence, t]) => `  ${evidence.padEnd(24)} ${t.correct}/${t.predicted} right`),
        ].join('\n') + '\n',
      );
      const examples = numberOption(values.errors, 'errors', 0);
      for (const error of errors.slice(0, examples)) stdout.write(`  ${error.note} ${error.kind}: ${error.text}${error.expected ? ` expected ${error.expected}` : ''}${error.got ? ` got ${error.got}` : ''}\n`);
      return 0;
    }
    if (values.dev !== undefined || values.documents !== undefined) {
      if (values.documents !== undefined && values.mapping === undefined) throw new NerError('NER_ERR_CLI_USAGE', `--documents needs --mapping NAME (how its types are read and scored)\nusage: ${usage}`);
      const { model, card } = await loadModel(values.models ? resolve(values.models) : config.modelDir, values.model, await servingLoadOptions(config));
      const examples = numberOption(values.errors, 'errors', 0);
      const sets = values.documents !== undefined
        ? [await documentsSet(values.mapping as string, resolve(values.documents))]
        : await devSets(values.dev as string, config.corporaDir);
      for (const set of sets) {
        const routed = values.routed === true;
        if (!routed && !card.domains?.[set.domain] && card.domains) throw new NerError('NER_ERR_CLI_USAGE', `model ${card.version} has no domain "${set.domain}" (it has ${Object.keys(card.domains).join(', ')}): use --routed`);
        const report = evaluateDevSet(model, set, { routed });
        const what = { model: card.version, corpus: set.corpus, documents: values.documents ?? 'dev', decoding: routed ? 'routed' : card.domains ? set.domain : 'single' };
        if (values.json) {
          const { errors: _errors, ...scores } = report;
          stdout.write(`${JSON.stringify({ ...what, ...scores })}\n`);
          continue;
        }
        stdout.write(`model ${card.version} on ${set.corpus} (${what.documents}), ${routed ? 'each note routed as the product routes it' : card.domains ? `domain ${set.domain}` : 'its one domain'}\n${formatDocumentReport(report)}\n`);
        if (examples > 0) stdout.write(`\n${formatDocumentErrors(report, examples)}\n`);
        stdout.write('\n');
      }
      return 0;
    }
    if (values.split !== 'test' && values.split !== 'train') throw new NerError('NER_ERR_CLI_USAGE', `--split must be test or train, got "${values.split}"`);
    const { model, card } = await loadModel(values.models ? resolve(values.models) : config.modelDir, values.model);
    const toCase = values.case === undefined ? undefined : CASES[values.case];
    if (values.case !== undefined && !toCase) throw new NerError('NER_ERR_CLI_USAGE', `--case must be lower or upper, got "${values.case}"`);
    if (values.notes) return reportNotes(model, card.version, resolve(values.notes), { json: values.json === true, examples: numberOption(values.errors, 'errors', 0), ...(toCase ? { toCase, caseName: values.case as string } : {}) }, stdout);
    const source = (await readBeHealthySplit(values.corpus ? resolve(values.corpus) : config.corpusDir, values.split)).sentences;
    const sentences = toCase ? source.map((s) => ({ ...s, tokens: s.tokens.map(toCase) })) : source;
    const scored = { split: values.split, ...(card.learnedFrom ? { domain: card.learnedFrom } : {}) };
    const observations: ConfidenceObservation[] = [];
    // The corpus is scored under its own annotation policy: a model that learned several keeps its domain apart.
    const tagger = card.learnedFrom ? model.forDomain(card.learnedFrom) : model;
    const report = evaluateTagger(tagger, sentences, (sentence, spans) => observations.push(...confidenceObservations(sentence, spans)));
    const reliability = reliabilityTable(observations);
    if (values.json) {
      const { strict, partial, token } = report;
      stdout.write(`${JSON.stringify({ model: card.version, ...scored, ...(values.case ? { case: values.case } : {}), strict, partial, token, reliability })}\n`);
      return 0;
    }
    stdout.write(`model ${card.version} on the ${values.split} split${card.learnedFrom ? ` (its own policy: domain ${card.learnedFrom})` : ''}${values.case ? ` in ${values.case} case` : ''} (${sentences.length} sentences)\n${formatReport(report)}\n`);
    stdout.write(`\n${formatReliability(reliability)}\n`);
    const examples = numberOption(values.errors, 'errors', 0);
    if (examples > 0) stdout.write(`\n${errorSummary(report, examples)}\n`);
    return 0;
  },
};
