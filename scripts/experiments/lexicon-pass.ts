/**
 * What the note-style lexicon pass and the lexicon's misspelling matches change, measured on the dev data only:
 * the project's own held-out notes (the clinical-notes corpus's dev split), and the MACCROBAT and Chia dev splits
 * as the product routes them.
 * Variants: the model as trained; without the pass; with its gazetteer rebuilt with the shorthand list and
 * known words (misspelling matches), with and without the pass.
 *   node --import tsx scripts/experiments/lexicon-pass.ts --models DIR --model VERSION
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCrfNerModel, type NotesCalibration } from '../../src/core/crf-ner-model.js';
import { fitNotesCalibration } from '../../src/training/notes-calibration.js';
import { RAW_NOTES_CONFIDENCE } from '../../src/training/train-tagger.js';
import { scoreDocuments, type DocumentReport } from '../../src/core/evaluation/document-scores.js';
import { extract } from '../../src/core/extract.js';
import { resolveTemplates } from '../../src/core/tagger/feature-templates.js';
import { buildGazetteer } from '../../src/core/tagger/gazetteer.js';
import { parseCrfsuiteModel } from '../../src/core/tagger/crf-model-file.js';
import { resolveDomainSpanRules, resolveSpanRules } from '../../src/core/clinical/span-rules.js';
import { shorthandEntries } from '../../src/core/clinical/note-lexicon.js';
import { readCorpusMappings } from '../../src/corpus/corpus-mapping.js';
import { readJsonlCorpus } from '../../src/corpus/annotated-corpus.js';
import { readBrandLexicon } from '../../src/corpus/brands.js';
import { readMtSamples } from '../../src/corpus/mtsamples.js';
import { parseResources } from '../../src/corpus/resource-files.js';
import { parseModelCard } from '../../src/registry/model-card.js';
import { loadConfig } from '../../src/config.js';
import { mappingsDir } from '../../src/training/training-corpora.js';
import { wordsUsedTwice } from '../../src/training/build-resources.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';

const { values } = parseArgs({ options: { models: { type: 'string' }, model: { type: 'string' }, rebuild: { type: 'boolean' } } });
const config = loadConfig(process.env);
const dir = join(values.models ?? 'models', values.model as string);
const card = parseModelCard(await readFile(join(dir, 'model-card.json'), 'utf8'), 'card');
const files: Record<string, Buffer> = {};
for (const r of card.files.resources) files[r.path] = await readFile(join(dir, r.path));
const resources = parseResources(files, dir);
const weights = parseCrfsuiteModel(await readFile(join(dir, 'model.crfsuite')));

async function rebuiltGazetteer() {
  const sentences: string[][] = [];
  for await (const note of readMtSamples(config.notesFile)) for (const s of splitSentences(note.text)) sentences.push(s.tokens.map((t) => t.text));
  const mappings = await readCorpusMappings(mappingsDir());
  for (const m of mappings.values()) {
    if (m.format !== 'jsonl') continue;
    const c = await readJsonlCorpus(m, config.corporaDir);
    for (const d of c.documents) if (d.split === 'train') for (const s of splitSentences(d.text)) sentences.push(s.tokens.map((t) => t.text));
  }
  const base = resources.gazetteer?.entries() ?? [];
  return buildGazetteer([...base, ...shorthandEntries()], { knownWords: wordsUsedTwice(sentences) });
}

// As served: the brand pass finds the brand names the lexicon pass would otherwise take with other bounds.
const brands = await readBrandLexicon(config.brandsFile);

function modelWith(gazetteer: typeof resources.gazetteer, noteStyle: boolean, notesCalibration?: NotesCalibration) {
  return createCrfNerModel({
    brands,
    ...(notesCalibration ? { notesCalibration } : {}),
    ...(card.learnedFrom ? { learnedFrom: card.learnedFrom } : {}),
    version: card.version, labelEncoding: card.labelEncoding, templates: resolveTemplates(card.templates), weights,
    resources: { ...resources, gazetteer }, spanRules: resolveSpanRules(card.spanRules ?? []),
    ...(card.calibration ? { calibration: card.calibration.map } : {}),
    ...(card.decoding ? { decoding: card.decoding } : {}),
    ...(card.domains ? { domains: card.domains } : {}),
    ...(card.servingDomain ? { servingDomain: card.servingDomain } : {}),
    ...(card.domainSpanRules ? { domainSpanRules: resolveDomainSpanRules(card.domainSpanRules) } : {}),
    ...(noteStyle ? {} : { noteStyle: false }),
  });
}

const mappings = await readCorpusMappings(mappingsDir());
// The project's notes the model did not learn from (the note sets' dev halves are partly its training data).
const notes = (await readJsonlCorpus(mappings.get('clinical-notes')!, config.corporaDir)).documents.filter((d) => d.split === 'dev');
const devs: { name: string; docs: { id: string; text: string; entities: never[]; unscored?: { start: number; end: number }[] }[]; unscoredKinds: string[] }[] = [];
for (const name of ['maccrobat2020', 'chia']) {
  const m = mappings.get(name)!;
  const c = await readJsonlCorpus(m, config.corporaDir);
  devs.push({ name, docs: c.documents.filter((d) => d.split === 'dev') as never, unscoredKinds: (m.scoring.unscoredKinds ?? []) as string[] });
}
const line = (label: string, r: DocumentReport) =>
  `${label.padEnd(34)} strict D ${r.strict.disease.f1.toFixed(3)} T ${r.strict.treatment.f1.toFixed(3)} micro ${r.strict.micro.f1.toFixed(3)} (P ${r.strict.micro.precision.toFixed(3)} R ${r.strict.micro.recall.toFixed(3)})`;

const variants: [string, ReturnType<typeof modelWith>][] = [
  ['as trained, pass on', modelWith(resources.gazetteer, true)],
  ['as trained, pass off', modelWith(resources.gazetteer, false)],
];
if (values.rebuild) {
  const g = await rebuiltGazetteer();
  variants.push(['rebuilt gazetteer, pass on', modelWith(g, true)], ['rebuilt gazetteer, pass off', modelWith(g, false)]);
}
{
  // The pass with its own calibration (fitted on these same dev documents: a check of the design, not a score).
  const gazetteer = values.rebuild ? await rebuiltGazetteer() : resources.gazetteer;
  const raw = modelWith(gazetteer, true, RAW_NOTES_CONFIDENCE);
  const fitted = fitNotesCalibration(raw, [...notes, ...devs.flatMap((d) => d.docs)]);
  console.log(`fitted on ${fitted.documents} documents: CRF spans ${fitted.spans.observations}, lexicon spans ${fitted.lexiconSpans.observations}; lexicon knots ${JSON.stringify(fitted.lexiconSpans.knots)}`);
  console.log(`reliability of lexicon spans (cross-fitted): ece ${fitted.reliability.lexiconSpans.calibrated.ece}, CRF spans: raw ece ${fitted.reliability.spans.raw.ece} calibrated ${fitted.reliability.spans.calibrated.ece}`);
  variants.push(['fitted calibration, pass on', modelWith(gazetteer, true, { spans: fitted.spans, lexiconSpans: fitted.lexiconSpans })]);
}
for (const [label, model] of variants) {
  const ns = scoreDocuments(notes.map((n) => ({ id: n.id, text: n.text, gold: n.entities, predicted: extract(n.text, model).entities })), {});
  console.log(line(`clinical-notes dev: ${label}`, ns));
  for (const d of devs) {
    const r = scoreDocuments(d.docs.map((doc) => ({ id: doc.id, text: doc.text, gold: doc.entities, predicted: extract(doc.text, model).entities, ...(doc.unscored ? { unscored: doc.unscored } : {}) })), { unscoredKinds: d.unscoredKinds as never });
    console.log(line(`${d.name} dev routed: ${label}`, r));
  }
  const probe = ['Known case of diabetis and hypertenshion. Started metfromin 500 mg BD and paracetmol SOS.', 'Start sertraline 50 mg OD.', 'Patient on RA, sats 98%. Follow up with PCP. All his blood tests normal.'];
  for (const p of probe) console.log('   ', JSON.stringify(extract(p, model).entities.map((e) => `${e.text}:${e.type}:${e.confidence}`)));
}
