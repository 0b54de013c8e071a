import { queueRetrain, withTrainQueue } from '../queue/train-queue.js';
import { whoAmI } from '../registry/model-registry.js';
import { createPgCorrectionStore } from '../store/correction-store.js';
import { queueUnavailable } from '../queue/job-service.js';
import { retrain } from '../training/retrain.js';
import { numberOption, parseCommandArgs, withMigratedDatabase, type Command } from './command.js';

const usage = 'behealthy retrain [--margin F] [--queue] [--json]   (DATABASE_URL; RETRAIN_MARGIN; --queue: REDIS_URL)';

/**
 * Retrains on the base corpus plus the reviewers' corrections in PostgreSQL: champion and challenger on the
 * same cross-validation folds, the challenger promoted only if not worse by more than the margin. --queue
 * leaves it to the workers (the `train` queue) instead of running it here.
 */
export const retrainCommand: Command = {
  name: 'retrain',
  summary: 'retrain with the reviewers\' corrections; promote the challenger only if its CV is not worse than production\'s by more than the margin',
  usage,
  async run(argv, { config, stdout, stderr }) {
    const { values } = parseCommandArgs(argv, { margin: { type: 'string' }, queue: { type: 'boolean' }, json: { type: 'boolean' } }, usage);
    if (values.queue) {
      return withTrainQueue(config, config.queuePrefix, async (queue, _redis, ready) => {
        if (!ready) throw queueUnavailable(config.redisUrl);
        const queued = await queueRetrain(queue, 'manual', `behealthy retrain --queue by ${whoAmI()}`);
        stdout.write(`${JSON.stringify({ queued, queue: 'train', note: queued ? 'a worker will run it' : 'a manual retraining is already queued or running' })}\n`);
        return 0;
      });
    }
    const corrections = await withMigratedDatabase(config, (pool) => createPgCorrectionStore(pool).latestPerNote());
    const outcome = await retrain(
      {
        corpusDir: config.corpusDir, lexiconDir: config.lexiconDir, notesFile: config.notesFile, modelDir: config.modelDir, runsDir: config.runsDir,
        corrections, margin: numberOption(values.margin, 'margin', config.retrainMargin), trigger: 'manual', by: whoAmI(),
      },
      { onStage: (stage) => stderr.write(`${stage}...\n`) },
    );
    if (values.json) {
      stdout.write(`${JSON.stringify(outcome)}\n`);
      return 0;
    }
    const c = outcome.comparison;
    const lines = [
      `run ${outcome.runId}: ${outcome.promoted ? `promoted ${outcome.challengerVersion}` : 'production unchanged'} — ${outcome.reason}`,
      ...(c
        ? [
            `  CV strict micro F1, ${c.folds} folds (seed ${c.seed}): champion ${c.champion.version} ${c.champion.cv.mean.toFixed(4)} ± ${c.champion.cv.sd.toFixed(4)}, ` +
              `challenger ${c.challenger.cv.mean.toFixed(4)} ± ${c.challenger.cv.sd.toFixed(4)} (${c.challenger.correctionNotes} corrected notes, ${c.challenger.correctionSentences} sentences)`,
          ]
        : []),
      `  test split (reported, not decided on): champion ${outcome.test.champion?.toFixed(4) ?? 'n/a'}, challenger ${outcome.test.challenger?.toFixed(4) ?? 'n/a'}`,
    ];
    stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
