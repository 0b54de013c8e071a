import { basename, join } from 'node:path';
import { kindFeatures, trainKindClassifier, type KindClassifier, type KindExample } from '../core/clinical/entity-kinds.js';
import type { Gazetteer } from '../core/tagger/gazetteer.js';
import { routerFeatures, trainNoteRouter, type NoteRouter } from '../core/tagger/note-router.js';
import { splitSentences } from '../core/text/tokenizer.js';
import type { LabeledSentence } from '../core/text/types.js';
import { PROJECT_ROOT } from '../config.js';
import { GUIDELINE_SPAN_RULES, JOIN_LEADING_SITE } from '../core/clinical/span-rules.js';
import { documentSentences, readJsonlCorpus, type CorpusDocument } from '../corpus/annotated-corpus.js';
import { readBeHealthySplit } from '../corpus/behealthy-format.js';
import { MAPPINGS_DIR, readCorpusMappings, type CorpusMapping } from '../corpus/corpus-mapping.js';
import { NerError } from '../errors.js';
import type { DataFileDigest } from '../registry/model-card.js';

/**
 * The corpora a multi-corpus model learns from. The base corpus (BeHealthy, token per line) is the one
 * cross-validation folds; every other corpus's train documents join every fold's training, and its dev
 * documents are scored by every fold's model and by the final one, under the corpus's own domain.
 */
export interface TrainingCorpora {
  base: { mapping: CorpusMapping; train: LabeledSentence[] };
  others: { mapping: CorpusMapping; train: CorpusDocument[]; dev: CorpusDocument[]; sentences: LabeledSentence[] }[];
  files: DataFileDigest[];
}

/** The group domain of the every-mention policy: what a note is tagged with when no router picks a corpus. */
export const EVERY_MENTION = 'every-mention';

export function mappingsDir(): string {
  return join(PROJECT_ROOT, MAPPINGS_DIR);
}

/** The mappings of the named corpora, in the order named; an unknown name lists the known ones. */
export async function corpusMappings(names: readonly string[], dir = mappingsDir()): Promise<CorpusMapping[]> {
  const all = await readCorpusMappings(dir);
  return names.map((name) => {
    const mapping = all.get(name);
    if (!mapping) throw new NerError('NER_ERR_CORPUS_UNKNOWN', `no corpus mapping named "${name}" (known: ${[...all.keys()].join(', ')})`);
    return mapping;
  });
}

export async function readTrainingCorpora(mappings: readonly CorpusMapping[], dirs: { corpusDir: string; corporaDir: string }): Promise<TrainingCorpora> {
  const bases = mappings.filter((m) => m.format === 'behealthy');
  if (bases.length !== 1) throw new NerError('NER_ERR_CLI_USAGE', `exactly one token-per-line (BeHealthy) corpus is the base of cross-validation; got ${bases.length}`);
  const baseMapping = bases[0] as CorpusMapping;
  // The base corpus is read from CORPUS_DIR (--corpus), like a single-corpus training.
  const base = await readBeHealthySplit(dirs.corpusDir, 'train');
  const files: DataFileDigest[] = base.files.map((f) => ({ path: basename(f.path), sha256: f.sha256 }));
  const others: TrainingCorpora['others'] = [];
  for (const mapping of mappings) {
    if (mapping === baseMapping) continue;
    const corpus = await readJsonlCorpus(mapping, dirs.corporaDir);
    files.push(...corpus.files.map((f) => ({ path: `${mapping.folder}/${basename(f.path)}`, sha256: f.sha256 })));
    const train = corpus.documents.filter((d) => d.split === 'train');
    others.push({ mapping, train, dev: corpus.documents.filter((d) => d.split === 'dev'), sentences: train.flatMap((d) => documentSentences(d, mapping.domain)) });
  }
  return { base: { mapping: baseMapping, train: base.sentences.map((s) => ({ ...s, domain: baseMapping.domain })) }, others, files };
}

/**
 * Feature augmentation of the corpora: each corpus's domain learned under its policy's group and its own, and
 * the every-mention group alone (the policy of clinical notes, served when no router picks a corpus).
 */
export function domainsOfCorpora(mappings: readonly CorpusMapping[]): Record<string, string[]> {
  const domains: Record<string, string[]> = {};
  for (const mapping of mappings) domains[mapping.domain] = [mapping.policy, mapping.domain];
  domains[EVERY_MENTION] = [EVERY_MENTION];
  return domains;
}

/** The guideline's span rules in every domain of the every-mention policy (and its group), none in the others. */
export function guidelineRulesOfCorpora(mappings: readonly CorpusMapping[]): Record<string, string[]> {
  const rules: Record<string, string[]> = { [EVERY_MENTION]: [...GUIDELINE_SPAN_RULES] };
  for (const mapping of mappings) {
    if (mapping.policy !== EVERY_MENTION) continue;
    rules[mapping.domain] = GUIDELINE_SPAN_RULES.filter((rule) => mapping.sitesBeforeNames !== 'apart' || rule !== JOIN_LEADING_SITE);
  }
  return rules;
}

/** The kind classifier, learned from the train documents of the corpora whose mappings give kinds. */
export function trainKinds(corpora: TrainingCorpora, gazetteer: Gazetteer | null): KindClassifier | null {
  const examples: KindExample[] = [];
  for (const { train } of corpora.others) {
    for (const document of train) {
      for (const entity of document.entities) {
        if (entity.kind) examples.push({ type: entity.type, kind: entity.kind, features: kindFeatures(document.text, entity.start, entity.end, gazetteer) });
      }
    }
  }
  const both = (['disease', 'treatment'] as const).every((type) => new Set(examples.filter((e) => e.type === type).map((e) => e.kind)).size === 2);
  return both ? trainKindClassifier(examples) : null;
}

/** The note router, learned from the train documents of the every-mention corpora (the domains notes are served with). */
export function trainRouter(corpora: TrainingCorpora): NoteRouter | null {
  const notes = corpora.others
    .filter(({ mapping }) => mapping.policy === EVERY_MENTION)
    .flatMap(({ mapping, train }) =>
      train.map((document) => ({ domain: mapping.domain, features: routerFeatures(document.text, splitSentences(document.text).map((s) => s.tokens.map((t) => t.text))) })),
    );
  return new Set(notes.map((n) => n.domain)).size >= 2 ? trainNoteRouter(notes) : null;
}
