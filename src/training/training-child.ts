/**
 * Entry of the child process that runs one training job. Training runs in children because the CRFsuite
 * binding blocks its thread, prints its progress only on file descriptor 1, and its native classes are not
 * safe in worker threads; children also let cross-validation folds use every core.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_FILE } from '../registry/model-store.js';
import { confidenceObservations, type ConfidenceObservation } from '../core/tagger/calibration.js';
import { addPredictedSentence, emptyPredictionCounts } from '../core/evaluation/drift.js';
import { foldPartition, kFoldIndices } from '../core/text/folds.js';
import { parseResources, readResourceFiles, serializeResources, writeResourceFiles } from '../corpus/resource-files.js';
import { entityBiasAttribute, evaluateTagger, modelFromBytes, trainTagger, withEntityBias } from './train-tagger.js';
import { evaluateDevSet } from './dev-evaluation.js';
import type { FoldReport, TrainingJob } from './training-process.js';

async function run(job: TrainingJob): Promise<FoldReport | { written: string }> {
  const started = performance.now();
  const resources = parseResources(await readResourceFiles(job.resourceDir), job.resourceDir);
  if (job.kind === 'train') {
    const trained = await trainTagger(job.sentences, job.spec, resources, { log: true });
    await writeFile(join(job.outputDir, MODEL_FILE), trained.crfBytes);
    await writeResourceFiles(job.outputDir, serializeResources(trained.resources));
    return { written: job.outputDir };
  }
  const { train, heldOut } = foldPartition(job.sentences, kFoldIndices(job.sentences.length, job.folds, job.seed), job.fold);
  const unbiased = { ...job.spec, parameters: { ...job.spec.parameters, entityBias: { D: 0, T: 0 } } };
  const trained = await trainTagger(job.extraTraining ? [...train, ...job.extraTraining] : train, unbiased, resources, { log: job.log });
  const dev = (job.devSets ?? []).map((set) => {
    const { errors: _errors, ...report } = evaluateDevSet(trained.model, set);
    return { corpus: set.corpus, report };
  });
  const byEntityBias = job.entityBiasGrid.map((entityBias) => {
    const model = modelFromBytes(withEntityBias(trained.crfBytes, entityBias, entityBiasAttribute(unbiased)), unbiased, trained.resources, 'fold', unbiased.learnedFrom);
    const predictions = emptyPredictionCounts();
    const confidence: ConfidenceObservation[] = [];
    const { errors: _errors, ...report } = evaluateTagger(model, heldOut, (sentence, spans) => {
      addPredictedSentence(predictions, sentence.tokens.length, spans);
      confidence.push(...confidenceObservations(sentence, spans));
    });
    return { entityBias, report, predictions, confidence };
  });
  return { fold: job.fold, seconds: (performance.now() - started) / 1000, byEntityBias, ...(dev.length > 0 ? { dev } : {}) };
}

process.once('message', (job: TrainingJob) => {
  run(job).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ ok: false, message: error instanceof Error ? error.message : String(error) }, () => process.exit(1)),
  );
});
