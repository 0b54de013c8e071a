import { basename } from 'node:path';
import { learnPosLexicon, type FeatureResources } from '../core/tagger/feature-templates.js';
import { buildGazetteer } from '../core/tagger/gazetteer.js';
import { MIN_FUZZY_LETTERS } from '../core/tagger/fuzzy-words.js';
import { shorthandEntries } from '../core/clinical/note-lexicon.js';
import { splitSentences } from '../core/text/tokenizer.js';
import type { LabeledSentence } from '../core/text/types.js';
import { learnWordClusters } from '../core/tagger/word-clusters.js';
import { readLexiconEntries } from '../corpus/lexicons.js';
import { readMtSamples } from '../corpus/mtsamples.js';
import type { DataFileDigest } from '../registry/model-card.js';
import { digestFile } from '../registry/model-store.js';

/** Which resources a template list consults. */
/**
 * Which external resources a template list consults. Resources learned from the training sentences
 * themselves (relevance, part-of-speech lexicon) are learned by trainTagger, per fold in cross-validation.
 */
export function requiredResources(templates: readonly string[]): { gazetteer: boolean; clusters: boolean; notesPos: boolean } {
  return {
    gazetteer: templates.some((t) => t.includes('gazetteer')),
    clusters: templates.includes('cluster'),
    notesPos: templates.some((t) => t.startsWith('pos-notes')),
  };
}

export interface ResourceSources {
  lexiconDir: string;
  notesFile: string;
  /**
   * The training sentences (every corpus's train documents, never a test split): unlabelled text for the
   * clusters and the known words besides the notes.
   */
  trainSentences: readonly LabeledSentence[];
}

async function notesSentences(notesFile: string): Promise<string[][]> {
  const sentences: string[][] = [];
  for await (const note of readMtSamples(notesFile)) {
    for (const sentence of splitSentences(note.text)) sentences.push(sentence.tokens.map((t) => t.text));
  }
  return sentences;
}

/**
 * Words of 6+ letters the text uses at least twice: real words, which the gazetteer never reads as a
 * misspelt name (a misspelling is rarely repeated across notes and corpora).
 */
export function wordsUsedTwice(sentences: Iterable<readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const words of sentences) {
    for (const word of words) {
      if (word.length < MIN_FUZZY_LETTERS) continue;
      const lower = word.toLowerCase();
      if (seen.has(lower)) twice.add(lower);
      else seen.add(lower);
    }
  }
  return twice;
}

/** Builds the resources the templates need, and the digests of the data files they came from. */
export async function buildResources(
  templates: readonly string[],
  sources: ResourceSources,
  onStage?: (stage: string) => void,
): Promise<{ resources: FeatureResources; dataFiles: DataFileDigest[] }> {
  const needed = requiredResources(templates);
  const resources: FeatureResources = { gazetteer: null, clusters: null, relevance: null, posLexicon: null, notesPosLexicon: null, spanLexicon: null };
  const files: string[] = [];
  const notes = needed.gazetteer || needed.clusters || needed.notesPos ? await notesSentences(sources.notesFile) : [];
  if (needed.gazetteer) {
    onStage?.('building the gazetteer from the lexicons and the shorthand list');
    const lexicons = await readLexiconEntries(sources.lexiconDir);
    const knownWords = wordsUsedTwice([...notes, ...sources.trainSentences.map((s) => s.tokens)]);
    resources.gazetteer = buildGazetteer([...lexicons.entries, ...shorthandEntries()], { knownWords });
    files.push(...lexicons.files);
  }
  if (needed.clusters) {
    onStage?.('learning word clusters from the unlabelled notes and the train split');
    resources.clusters = learnWordClusters([...notes, ...sources.trainSentences.map((s) => s.tokens)]);
  }
  if (needed.notesPos) {
    onStage?.('tagging the unlabelled notes with compromise for their part-of-speech lexicon (about two minutes)');
    resources.notesPosLexicon = learnPosLexicon(notes);
  }
  if (notes.length > 0) files.push(sources.notesFile);
  return { resources, dataFiles: await Promise.all(files.map((f) => digestFile(f, basename(f)))) };
}
