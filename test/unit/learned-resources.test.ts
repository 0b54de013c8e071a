import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isNerError } from '../../src/errors.js';
import { outOfFoldRelevance, relevanceProbability, trainRelevanceModel, trainRelevanceModels } from '../../src/core/tagger/sentence-relevance.js';
import { clusterKey, learnWordClusters, DEFAULT_CLUSTER_OPTIONS } from '../../src/core/tagger/word-clusters.js';
import {
  parseClusters, parsePosLexicon, parseRelevance, parseSpanLexicon, readFixedResources, serializeClusters, serializePosLexicon, serializeRelevance,
  serializeResources, serializeSpanLexicon, writeResourceFiles,
} from '../../src/corpus/resource-files.js';
import { learnSpanLexicon, outOfFoldSpanLexicon, rateBucket } from '../../src/core/tagger/span-lexicon.js';
import { learnPosLexicon } from '../../src/core/tagger/feature-templates.js';
import type { WordMemo } from '../../src/core/tagger/word-memo.js';
import { readSample, sampleResources } from '../helpers/sample-model.js';

const relevant = (text: string) => ({ lowerWords: text.toLowerCase().split(' '), relevant: true, labels: ['D', 'T'] });
const background = (text: string) => ({ lowerWords: text.toLowerCase().split(' '), relevant: false, labels: ['O'] });
const sentences = [
  relevant('aspirin was effective in treating stroke'),
  relevant('patients with asthma were treated with salbutamol'),
  relevant('chemotherapy improved survival in lung cancer'),
  relevant('metformin is first-line treatment for diabetes'),
  background('patients were recruited from three clinics'),
  background('the study was approved by the ethics committee'),
  background('data were analysed with logistic regression'),
  background('follow-up lasted two years'),
];

describe('sentence relevance', () => {
  it('learns which sentences state a treatment relation', () => {
    const model = trainRelevanceModel(sentences);
    expect(relevanceProbability(model, 'patients were treated with aspirin'.split(' '))).toBeGreaterThan(0.5);
    expect(relevanceProbability(model, 'the committee approved the study'.split(' '))).toBeLessThan(0.5);
  });

  it('is deterministic, and out of fold gives each sentence a model that never saw it', () => {
    expect(trainRelevanceModel(sentences)).toEqual(trainRelevanceModel(sentences));
    const { perSentence, full } = outOfFoldRelevance(sentences, 4);
    expect(perSentence).toHaveLength(sentences.length);
    expect(new Set(perSentence).size).toBe(4);
    expect(perSentence).not.toContain(full);
  });

  it('round-trips through its file and rejects a malformed one with the line', () => {
    const models = trainRelevanceModels(sentences);
    const parsed = parseRelevance(serializeRelevance(models), 'relevance.tsv.gz');
    for (const s of sentences) expect(relevanceProbability(parsed.treatment, s.lowerWords)).toBeCloseTo(relevanceProbability(models.treatment, s.lowerWords), 6);
    const error = (() => { try { parseRelevance(gzipSync('#model\tany\t0\nfeature-without-weight'), 'r.gz'); } catch (e) { return e; } })();
    expect(isNerError(error, 'NER_ERR_LEXICON_INVALID') && String(error)).toContain('r.gz:2');
    expect(() => parseRelevance(gzipSync('#model\tany\t0'), 'r.gz')).toThrow(/missing relevance model\(s\): disease, treatment/);
  });
});

describe('word clusters', () => {
  it('folds case and digits into one key', () => {
    expect(clusterKey('HbA1c')).toBe(clusterKey('hba2c'));
  });

  it('gives words used in the same contexts the same cluster, deterministically', () => {
    const text: string[][] = [];
    for (const drug of ['aspirin', 'heparin', 'warfarin']) for (let i = 0; i < 5; i++) text.push(['patients', 'received', drug, 'daily', 'for', 'months']);
    for (const organ of ['liver', 'kidney', 'lung']) for (let i = 0; i < 5; i++) text.push(['the', organ, 'biopsy', 'showed', 'fibrosis']);
    const options = { ...DEFAULT_CLUSTER_OPTIONS, levels: [2], minCount: 1, dimensions: 64, iterations: 10 };
    const clusters = learnWordClusters(text, options);
    const id = (w: string) => clusters.clusters.get(w)?.[0];
    expect(id('aspirin')).toBe(id('heparin'));
    expect(id('heparin')).toBe(id('warfarin'));
    expect(id('liver')).toBe(id('kidney'));
    expect(id('aspirin')).not.toBe(id('liver'));
    expect(learnWordClusters(text, options)).toEqual(clusters);
  });

  it('round-trips through its file and rejects out-of-range ids', async () => {
    const text = (await readSample('train')).map((s) => s.tokens);
    const clusters = learnWordClusters(text, { ...DEFAULT_CLUSTER_OPTIONS, levels: [8, 2], minCount: 1, dimensions: 16 });
    expect(parseClusters(serializeClusters(clusters), 'c.gz')).toEqual(clusters);
    expect(() => parseClusters(gzipSync('#levels\t4\nword\t9'), 'c.gz')).toThrow(/c\.gz:2/);
  });
});

describe('part-of-speech lexicon', () => {
  it("keeps each word's most frequent compromise tag and round-trips through its file", () => {
    const lexicon = learnPosLexicon([
      ['Patients', 'were', 'treated', 'with', 'aspirin'],
      ['The', 'treatment', 'of', 'asthma', 'was', 'effective'],
    ]);
    expect(lexicon.get('patients')).toBe('Noun');
    expect(lexicon.get('with')).toBe('Preposition');
    expect(lexicon.get('effective')).toBe('Adjective');
    expect(parsePosLexicon(serializePosLexicon(lexicon), 'p.gz')).toEqual(lexicon);
    expect(() => parsePosLexicon(gzipSync('word-without-tag'), 'p.gz')).toThrow(/p\.gz:1/);
  });
});

describe('span lexicon', () => {
  const labelled = (text: string, labels: string) => ({ lowerWords: text.toLowerCase().split(' '), labels: labels.split(' ') });
  const examples = [
    labelled('aspirin reduced stroke in patients', 'T O D O O'),
    labelled('stroke is common', 'O O O'),
    labelled('lung cancer treated with radiotherapy', 'D D O O T'),
    labelled('lung function was measured', 'O O O O'),
    labelled('cancer patients received aspirin', 'O O O T'),
  ];

  it('counts how often each labelled name is labelled where it occurs, and matches the longest name', () => {
    const lexicon = learnSpanLexicon(examples);
    const byName = new Map(lexicon.entries().map((e) => [e.tokens.join(' '), e]));
    expect(byName.get('aspirin')).toMatchObject({ label: 'T', labelled: 2, seen: 2 });
    expect(byName.get('stroke')).toMatchObject({ label: 'D', labelled: 1, seen: 2 });
    expect(byName.get('lung cancer')).toMatchObject({ label: 'D', labelled: 1, seen: 1 });
    expect(byName.has('cancer')).toBe(false);
    expect(lexicon.match(['severe', 'lung', 'cancer', 'and', 'stroke'])).toEqual([
      [], ['B-D', 'B-D:hi'], ['I-D', 'I-D:hi'], [], ['B-D', 'B-D:mid'],
    ]);
    expect(rateBucket(1, 4)).toBe('lo');
  });

  it('matches as without word memos, on their first use and from their cache, one memo per distinct word', () => {
    const lexicon = learnSpanLexicon(examples);
    const memos = new Map<string, WordMemo>();
    const memosOf = (words: string[]) => words.map((w) => memos.get(w) ?? (memos.set(w, {}).get(w) as WordMemo));
    for (const sentence of ['severe lung cancer and stroke', 'lung function and aspirin', 'stroke lung lung cancer', 'cancer']) {
      const words = sentence.split(' ');
      const expected = lexicon.match(words);
      expect(lexicon.match(words, memosOf(words)), sentence).toEqual(expected);
      expect(lexicon.match(words, memosOf(words)), sentence).toEqual(expected);
    }
    expect(lexicon.match(['stroke', 'lung', 'cancer'], memosOf(['stroke', 'lung', 'cancer']))).toEqual([['B-D', 'B-D:mid'], ['B-D', 'B-D:hi'], ['I-D', 'I-D:hi']]);
  });

  it('out of fold never gives a sentence a lexicon learned from it', () => {
    const { perSentence, full } = outOfFoldSpanLexicon(examples, 5);
    expect(perSentence[2]?.match(['lung', 'cancer'])).toEqual([[], []]);
    expect(full.match(['lung', 'cancer'])[0]).toEqual(['B-D', 'B-D:hi']);
  });

  it('round-trips through its file and rejects a malformed line with its number', () => {
    const lexicon = learnSpanLexicon(examples);
    expect(parseSpanLexicon(serializeSpanLexicon(lexicon), 's.gz').entries()).toEqual(lexicon.entries());
    expect(() => parseSpanLexicon(gzipSync('aspirin\tT\t2\t2\nstroke\tX\t1\t1'), 's.gz')).toThrow(/s\.gz:2/);
    expect(() => parseSpanLexicon(gzipSync('aspirin\tT\t0\t2'), 's.gz')).toThrow(/s\.gz:1/);
  });
});

describe('readFixedResources', () => {
  it('reads a model directory without the resources learned from training sentences', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fixed-resources-'));
    try {
      const all = { ...(await sampleResources()), relevance: trainRelevanceModels(sentences), spanLexicon: learnSpanLexicon(sentences) };
      await writeResourceFiles(dir, serializeResources(all));
      const fixed = await readFixedResources(dir);
      expect([fixed.relevance, fixed.spanLexicon, fixed.posLexicon]).toEqual([null, null, null]);
      expect(fixed.gazetteer?.size).toBe(all.gazetteer?.size);
      expect(fixed.notesPosLexicon?.size).toBe(all.notesPosLexicon?.size);
      expect(fixed.clusters?.clusters.size).toBe(all.clusters?.clusters.size);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
