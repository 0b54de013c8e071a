/**
 * Adds what cards written before this code lack, without retraining: the drift profile of the train split
 * (core/evaluation/drift.ts) and the entity-confidence calibration with its reliability tables (core/tagger/calibration.ts):
 *   node --import tsx scripts/backfill-model-card.ts [VERSION ...] [--models DIR] [--corpus DIR] [--force]
 * (default: the production version). It refuses unless the corpus's train files are the ones the card says
 * the model was trained on (sha256, sentences, tokens). Both come from out-of-fold predictions, which come
 * from replaying the card's cross-validation (same folds, seed, templates, parameters, at the shipped
 * entity bias, with the external resources shipped in the model's directory); the replay must reproduce the
 * card's cross-validated strict micro F1 at that bias, or the script refuses (--force writes anyway).
 * Only model-card.json changes: the model and resource files, whose digests the card holds, stay as they are.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { buildTrainingProfile, trainingProfileProblem } from '../src/core/evaluation/drift.js';
import { readBeHealthySplit } from '../src/corpus/behealthy-format.js';
import { POS_LEXICON_FILE, readResourceFiles, RELEVANCE_FILE, SPAN_LEXICON_FILE, writeResourceFiles } from '../src/corpus/resource-files.js';
import { formatModelCard, parseModelCard, type ModelCard } from '../src/registry/model-card.js';
import { CARD_FILE, loadModel, readProductionVersion } from '../src/registry/model-store.js';
import { crossValidate } from '../src/training/cross-validate.js';
import { cardCalibration, combinedDigest } from '../src/training/train-model-version.js';

/** Resources learned from the training sentences: cross-validation learns them again inside each fold. */
const LEARNED_FILES = new Set<string>([RELEVANCE_FILE, SPAN_LEXICON_FILE, POS_LEXICON_FILE]);

const { values, positionals } = parseArgs({
  options: { models: { type: 'string' }, corpus: { type: 'string' }, force: { type: 'boolean' } },
  allowPositionals: true,
});
const config = loadConfig();
const modelsDir = values.models ? resolve(values.models) : config.modelDir;
const corpusDir = values.corpus ? resolve(values.corpus) : config.corpusDir;
const versions = positionals.length > 0 ? positionals : [await readProductionVersion(modelsDir)];

function refuse(version: string, why: string): never {
  console.error(`${version}: refused: ${why}`);
  process.exit(1);
}

const train = await readBeHealthySplit(corpusDir, 'train');
const tokens = train.sentences.reduce((sum, s) => sum + s.tokens.length, 0);

for (const version of versions) {
  const { card, directory } = await loadModel(modelsDir, version);
  // The data the card says trained the model must be the corpus read here.
  if (card.data.split !== 'train') refuse(version, `the card says it was trained on the "${card.data.split}" split`);
  if (combinedDigest(card.data.files) !== card.data.sha256) refuse(version, 'the card\'s data.sha256 is not the digest of its data.files');
  for (const file of train.files) {
    const listed = card.data.files.find((f) => f.path === basename(file.path));
    if (!listed) refuse(version, `the card lists no digest for ${basename(file.path)}`);
    if (listed.sha256 !== file.sha256) refuse(version, `${file.path} (sha256 ${file.sha256.slice(0, 12)}…) is not the file the model was trained on (${listed.sha256.slice(0, 12)}…)`);
  }
  if (card.data.sentences !== train.sentences.length || card.data.tokens !== tokens) {
    refuse(version, `the card counts ${card.data.sentences} sentences / ${card.data.tokens} tokens, the corpus ${train.sentences.length} / ${tokens}`);
  }
  const cv = card.metrics.crossValidation;
  if (!cv) refuse(version, 'the card has no cross-validation to replay for out-of-fold predictions');
  const bias = card.trainingParameters.entityBias;
  const recorded = cv.entityBiasSearch.find((e) => e.entityBias.D === bias.D && e.entityBias.T === bias.T)?.strictMicroF1.mean;

  const workDir = await mkdtemp(join(tmpdir(), 'behealthy-backfill-'));
  try {
    const shipped = await readResourceFiles(directory);
    await writeResourceFiles(workDir, Object.fromEntries(Object.entries(shipped).filter(([name]) => !LEARNED_FILES.has(name))));
    const started = performance.now();
    console.error(`${version}: replaying its ${cv.folds}-fold cross-validation (seed ${cv.seed}, entity bias D ${bias.D} T ${bias.T})…`);
    const replay = await crossValidate({
      sentences: train.sentences,
      folds: cv.folds,
      seed: cv.seed,
      spec: { templates: card.templates, spanRules: card.spanRules ?? [], labelEncoding: card.labelEncoding, parameters: card.trainingParameters },
      resourceDir: workDir,
      entityBiasGrid: [bias],
    });
    const replayed = replay.mean.strict.micro.f1.mean;
    const same = recorded !== undefined && Math.abs(replayed - recorded) < 1e-9;
    console.error(`${version}: replay strict micro F1 ${replayed.toFixed(6)}, card ${recorded?.toFixed(6) ?? '(none at this bias)'}: ${same ? 'identical' : 'DIFFERENT'} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    if (!same && !values.force) refuse(version, 'the replayed cross-validation does not reproduce the card\'s figures (another code version?); --force writes the profile anyway');
    if (!replay.outOfFold) refuse(version, 'the cross-validation gave no out-of-fold predictions');
    const trainingProfile = buildTrainingProfile({ sentences: train.sentences, outOfFold: { counts: replay.outOfFold, folds: cv.folds, seed: cv.seed } });
    const problem = trainingProfileProblem(trainingProfile);
    if (problem) refuse(version, `the profile built is invalid: ${problem}`);
    // Written in place, atomically; the card is re-read and checked by the loader before it replaces the old one.
    const cardPath = join(directory, CARD_FILE);
    const current = parseModelCard(await readFile(cardPath, 'utf8'), cardPath);
    if (!replay.confidenceByFold) refuse(version, 'the cross-validation gave no out-of-fold confidences');
    const calibration = cardCalibration(replay.confidenceByFold, cv.folds, cv.seed);
    const updated: ModelCard = { ...current, trainingProfile, calibration };
    const staging = `${cardPath}.tmp-${process.pid}`;
    const text = formatModelCard(updated);
    parseModelCard(text, staging);
    await writeFile(staging, text);
    await rename(staging, cardPath);
    const reloaded = await loadModel(modelsDir, version);
    const p = reloaded.card.trainingProfile;
    console.log(
      JSON.stringify({
        version,
        card: cardPath,
        sentences: p?.sentences,
        tokens: p?.tokens,
        vocabularyWords: p ? Object.keys(p.vocabulary.words).length : 0,
        heldOutOovRate: p?.vocabulary.heldOutOovRate,
        predictions: p?.predictions.source,
        entitiesPer100Tokens: p ? (100 * (p.predictions.entities.disease + p.predictions.entities.treatment)) / p.predictions.tokens : null,
        goldEntitiesPer100Tokens: p ? (100 * (p.gold.entities.disease + p.gold.entities.treatment)) / p.tokens : null,
        replayStrictMicroF1: replayed,
      }),
    );
    const reliability = reloaded.card.calibration?.reliability;
    for (const [kind, table] of Object.entries(reliability ?? {})) {
      console.log(JSON.stringify({ version, reliability: kind, spans: table.count, ece: table.ece, bins: table.bins }));
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
