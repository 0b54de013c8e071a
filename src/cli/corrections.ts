import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { labeledSentencesOf } from '../core/text/annotated-sentences.js';
import { describeUnstorable, findUnstorable } from '../core/text/storable-text.js';
import { formatBeHealthy } from '../corpus/behealthy-format.js';
import { readAnnotationsJsonl, type AnnotatedNote } from '../corpus/jsonl-annotations.js';
import { NerError } from '../errors.js';
import { createPgCorrectionStore, type CorrectionStore } from '../store/correction-store.js';
import { redactUrl, type Config } from '../config.js';
import { retrainIfEnoughCorrections, withTrainQueue } from '../queue/train-queue.js';
import { parseCommandArgs, withMigratedDatabase, type Command } from './command.js';

const usage =
  'behealthy corrections import FILE.jsonl [--reviewer NAME]   |   behealthy corrections export [--out DIR]   (DATABASE_URL)';

/**
 * Reviewers' corrections as training data. `import` stores annotated notes (the corpus's JSONL annotation
 * format: {"id", "text", "entities": [{"type", "start", "end"}]}), all or none: a bad line names its file and
 * line and nothing is stored. `export` writes the latest correction of every note as corrections.jsonl (that
 * format) and corrections_sent / corrections_label (the BeHealthy corpus format), what retraining consumes.
 */
export const correctionsCommand: Command = {
  name: 'corrections',
  summary: 'import reviewed notes as corrections, or export the corrections as training data (JSONL and corpus format)',
  usage,
  async run(argv, { config, stdout }) {
    const { values, positionals } = parseCommandArgs(argv, { reviewer: { type: 'string' }, out: { type: 'string' } }, usage, true);
    const [action, file] = positionals;
    if (!((action === 'import' && file && positionals.length === 2) || (action === 'export' && positionals.length === 1))) {
      throw new NerError('NER_ERR_CLI_USAGE', `usage: ${usage}`);
    }
    const notes = action === 'import' ? (await readAnnotationsJsonl(resolve(file as string))).notes : [];
    if (action === 'import') assertStorable(file as string, notes);
    return withMigratedDatabase(config, async (pool) => {
      const store = createPgCorrectionStore(pool);
      if (action === 'import') {
        const reviewer = values.reviewer ?? 'import';
        const added = await store.add(notes.map((note) => ({ noteId: note.id, text: note.text, entities: note.entities, reviewer, source: 'import' as const })));
        const retraining = await retrainOnCount(config, store);
        stdout.write(`${JSON.stringify({ imported: added, file, reviewer, retraining })}\n`);
        return 0;
      }
      const corrections = await store.latestPerNote();
      const out = resolve(values.out ?? 'corrections-export');
      await mkdir(out, { recursive: true });
      const jsonl = corrections.map((c) => JSON.stringify({ id: c.noteId, text: c.text, entities: c.entities, reviewer: c.reviewer, correctedAt: c.createdAt.toISOString() }));
      await writeFile(join(out, 'corrections.jsonl'), jsonl.length > 0 ? `${jsonl.join('\n')}\n` : '');
      const sentences = corrections.flatMap((c) => labeledSentencesOf(c.text, c.entities));
      const corpus = formatBeHealthy(sentences);
      await writeFile(join(out, 'corrections_sent'), sentences.length > 0 ? `${corpus.sent}\n` : '');
      await writeFile(join(out, 'corrections_label'), sentences.length > 0 ? `${corpus.label}\n` : '');
      stdout.write(`${JSON.stringify({ exported: corrections.length, sentences: sentences.length, out })}\n`);
      return 0;
    });
  },
};

/**
 * All or none: a note PostgreSQL cannot store as written (NUL, unpaired surrogate) stops the import before
 * any SQL. (--reviewer comes from the command line, which can hold neither.)
 */
function assertStorable(file: string, notes: readonly AnnotatedNote[]): void {
  notes.forEach((note, index) => {
    const inId = findUnstorable(note.id);
    if (inId) throw new NerError('NER_ERR_INPUT_INVALID', `note ${index + 1} of the file: ${describeUnstorable('id', inId)}; nothing was imported`, { file });
    const inText = findUnstorable(note.text);
    if (inText) {
      throw new NerError('NER_ERR_INPUT_INVALID', `note ${index + 1} of the file (id ${JSON.stringify(note.id)}): ${describeUnstorable('text', inText)}; nothing was imported`, { file });
    }
  });
}

/** The corrections trigger (RETRAIN_AFTER_CORRECTIONS), best effort: without Redis the import still stands. */
async function retrainOnCount(config: Config, corrections: CorrectionStore): Promise<{ corrections: number; queued: boolean } | { skipped: string }> {
  if (config.retrainAfterCorrections <= 0) return { skipped: 'RETRAIN_AFTER_CORRECTIONS is 0' };
  return withTrainQueue(config, config.queuePrefix, async (queue, redis, ready) => {
    if (!ready) return { skipped: `Redis unreachable at ${redactUrl(config.redisUrl)}: no retraining queued` };
    return retrainIfEnoughCorrections({ queue, redis, prefix: config.queuePrefix, corrections, threshold: config.retrainAfterCorrections });
  });
}
