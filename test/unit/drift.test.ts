import { describe, expect, it } from 'vitest';
import {
  addPredictedSentence,
  buildTrainingProfile,
  compareDrift,
  DRIFT_FEATURES,
  driftLevel,
  DriftObserver,
  emptyPredictionCounts,
  jensenShannon,
  mergePredictionCounts,
  normalizeWord,
  samplingNoise,
  TOKEN_SHAPES,
  tokenShape,
  trainingProfileProblem,
  type DriftResult,
  type TrainingProfile,
} from '../../src/core/evaluation/drift.js';
import type { TokenSpan } from '../../src/core/tagger/label-codec.js';
import type { Entity, LabeledSentence } from '../../src/core/text/types.js';
import { isNerError } from '../../src/errors.js';
import { formatModelCard, parseModelCard, type ModelCard } from '../../src/registry/model-card.js';

const THRESHOLDS = { watch: 0.02, retrain: 0.05, alert: 0.1 };

/** MEDLINE-like sentences (gold labels), repeated to a few thousand tokens. */
const MEDLINE: LabeledSentence[] = [
  ['Cisplatin', 'improved', 'survival', 'in', 'patients', 'with', 'lung', 'cancer'],
  ['The', 'effect', 'of', 'aspirin', 'on', 'the', 'risk', 'of', 'stroke', 'was', 'studied', 'in', '120', 'women'],
  ['Metformin', 'is', 'first-line', 'therapy', 'for', 'type', '2', 'diabetes', '(', 'T2D', ')'],
  ['Results', 'were', 'similar', 'in', 'both', 'groups'],
].map((tokens) => ({
  tokens,
  labels: tokens.map((t) => (['Cisplatin', 'aspirin', 'Metformin', 'therapy'].includes(t) ? 'T' : ['lung', 'cancer', 'stroke', 'diabetes', 'T2D'].includes(t) ? 'D' : 'O')),
}));

function repeat<T>(items: readonly T[], times: number): T[] {
  return Array.from({ length: times }, () => items).flat();
}

function goldSpans(sentence: LabeledSentence): TokenSpan[] {
  const spans: TokenSpan[] = [];
  sentence.labels.forEach((label, i) => {
    if (label === 'O') return;
    const last = spans[spans.length - 1];
    if (last && last.type === label && last.end === i) last.end = i + 1;
    else spans.push({ type: label, start: i, end: i + 1 });
  });
  return spans;
}

function observe(sentences: readonly LabeledSentence[], spans = goldSpans): DriftObserver {
  const observer = new DriftObserver();
  for (const s of sentences) observer.addSentence(s.tokens, spans(s));
  return observer;
}

function expectFinite(result: DriftResult): void {
  expect(Number.isFinite(result.score)).toBe(true);
  for (const f of result.features) {
    for (const value of [f.score, f.divergence, f.noise, f.reference, f.sample]) expect(Number.isFinite(value), `${f.name}: ${value}`).toBe(true);
    expect(f.score).toBeGreaterThanOrEqual(0);
    expect(f.score).toBeLessThanOrEqual(1);
  }
}

describe('Jensen–Shannon divergence', () => {
  it('is 0 for identical histograms, 1 bit for disjoint ones, symmetric, and scale-free', () => {
    expect(jensenShannon([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(jensenShannon([1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 12);
    expect(jensenShannon([5, 0], [0, 7])).toBeCloseTo(1, 12);
    expect(jensenShannon([3, 1, 0], [1, 1, 2])).toBeCloseTo(jensenShannon([1, 1, 2], [3, 1, 0]), 12);
    const half = jensenShannon([1, 1], [1, 0]);
    expect(half).toBeGreaterThan(0.3);
    expect(half).toBeLessThan(0.32); // 1.5 − 0.75·log2(3) ≈ 0.311
  });

  it('is 0, not NaN, when either side is empty', () => {
    expect(jensenShannon([], [])).toBe(0);
    expect(jensenShannon([0, 0], [1, 2])).toBe(0);
    expect(jensenShannon([1, 2], [0, 0])).toBe(0);
  });

  it('expects less sampling noise from bigger samples and fewer bins', () => {
    expect(samplingNoise(10, 1000, 40_000)).toBeGreaterThan(samplingNoise(10, 10_000, 40_000));
    expect(samplingNoise(10, 1000, 40_000)).toBeGreaterThan(samplingNoise(3, 1000, 40_000));
    expect(samplingNoise(1, 1000, 40_000)).toBe(0);
    expect(samplingNoise(10, 0, 40_000)).toBe(0);
  });
});

describe('token classes', () => {
  it('sorts tokens into shapes', () => {
    const shape = (t: string): string => TOKEN_SHAPES[tokenShape(t)] as string;
    expect(['fever', 'first-line', "patient's"].map(shape)).toEqual(['lower', 'lower', 'lower']);
    expect(['Cisplatin', 'A', 'Dr.'].map(shape)).toEqual(['capitalized', 'capitalized', 'capitalized']);
    expect(['HISTORY', 'T2D'].map(shape)).toEqual(['upper', 'alphanumeric']);
    expect(['mRNA', 'IgG'].map(shape)).toEqual(['mixed', 'mixed']);
    expect(['500', '2.5', '10:30', 'COVID-19'].map(shape)).toEqual(['number', 'number', 'number', 'alphanumeric']);
    expect(['.', '...', ',', ':', ';', '(', ']', '%', '+/-'].map(shape)).toEqual(['period', 'period', 'comma', 'colon', 'colon', 'bracket', 'bracket', 'other', 'other']);
  });

  it('reads words lower-cased with digits as 0', () => {
    expect(normalizeWord('Metformin')).toBe('metformin');
    expect(normalizeWord('500')).toBe('000');
    expect(normalizeWord('COVID-19')).toBe('covid-00');
  });
});

describe('drift levels', () => {
  it('follow the thresholds: below watch none, then watch, retrain, alert', () => {
    expect(driftLevel(0, THRESHOLDS)).toBe('none');
    expect(driftLevel(0.0199, THRESHOLDS)).toBe('none');
    expect(driftLevel(0.02, THRESHOLDS)).toBe('watch');
    expect(driftLevel(0.0499, THRESHOLDS)).toBe('watch');
    expect(driftLevel(0.05, THRESHOLDS)).toBe('retrain');
    expect(driftLevel(0.0999, THRESHOLDS)).toBe('retrain');
    expect(driftLevel(0.1, THRESHOLDS)).toBe('alert');
    expect(driftLevel(1, THRESHOLDS)).toBe('alert');
    expect(driftLevel(Number.NaN, THRESHOLDS)).toBe('none');
    expect(driftLevel(0.03, { watch: 0.01, retrain: 0.02, alert: 0.5 })).toBe('retrain');
  });
});

describe('training profile', () => {
  const train = repeat(MEDLINE, 100);
  const profile = buildTrainingProfile({ sentences: train });

  it('counts the train split and survives JSON', () => {
    expect(profile.sentences).toBe(400);
    expect(profile.tokens).toBe(100 * (8 + 14 + 11 + 6));
    expect(profile.sentenceLength.counts.reduce((a, b) => a + b)).toBe(400);
    expect(profile.tokenShape.counts.reduce((a, b) => a + b)).toBe(profile.tokens);
    expect(profile.vocabulary.words.cisplatin).toBe(100);
    expect(profile.vocabulary.words['000']).toBe(100);
    expect(profile.gold.entities).toEqual({ disease: 400, treatment: 400 });
    expect(profile.gold.labels.counts).toEqual([profile.tokens - 900, 500, 400]);
    expect(profile.predictions.source).toBe('gold');
    expect(trainingProfileProblem(profile)).toBeNull();
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
  });

  it('keeps only words seen at least twice, and measures out-of-vocabulary with each sentence left out', () => {
    const sentences: LabeledSentence[] = [
      { tokens: ['fever', 'and', 'cough'], labels: ['D', 'O', 'D'] },
      { tokens: ['fever', 'and', 'rash'], labels: ['D', 'O', 'D'] },
    ];
    const p = buildTrainingProfile({ sentences });
    expect(Object.keys(p.vocabulary.words).sort()).toEqual(['and', 'fever']);
    // Left out in turn, each sentence's "fever" and "and" are seen once in the rest (< 2): all 6 unknown.
    expect(p.vocabulary.heldOutOovRate).toBe(1);
    // Twice over: "cough" and "rash" are seen once in the rest of the split, "fever" and "and" three times.
    expect(buildTrainingProfile({ sentences: repeat(sentences, 2) }).vocabulary.heldOutOovRate).toBeCloseTo(2 / 6, 12);
  });

  it('compares with out-of-fold predictions when it has them', () => {
    const counts = emptyPredictionCounts();
    addPredictedSentence(counts, 10, [{ type: 'D', start: 0, end: 2 }]);
    const other = emptyPredictionCounts();
    addPredictedSentence(other, 5, []);
    const merged = mergePredictionCounts([counts, other]);
    expect(merged).toEqual({ sentences: 2, tokens: 15, labels: [13, 2, 0], entities: { disease: 1, treatment: 0 }, entityDensity: [1, 0, 1, 0, 0] });
    const p = buildTrainingProfile({ sentences: train, outOfFold: { counts: merged, folds: 5, seed: 42 } });
    expect(p.predictions).toMatchObject({ source: 'out-of-fold', folds: 5, seed: 42, tokens: 15, entities: { disease: 1, treatment: 0 } });
    expect(p.gold.entities).toEqual({ disease: 400, treatment: 400 });
  });

  it('names what is wrong with a broken stored profile', () => {
    const broken = (edit: (p: TrainingProfile) => void): string | null => {
      const copy = JSON.parse(JSON.stringify(profile)) as TrainingProfile;
      edit(copy);
      return trainingProfileProblem(copy);
    };
    expect(trainingProfileProblem(null)).toMatch(/object/);
    expect(broken((p) => p.tokenShape.counts.pop())).toMatch(/tokenShape.counts/);
    expect(broken((p) => (p.vocabulary.words = [] as unknown as Record<string, number>))).toMatch(/vocabulary.words/);
    expect(broken((p) => (p.vocabulary.heldOutOovRate = 2))).toMatch(/heldOutOovRate/);
    expect(broken((p) => (p.predictions.source = 'guess' as 'gold'))).toMatch(/source/);
    expect(broken((p) => (p.gold.labels.counts = [1, -1, 0]))).toMatch(/gold.labels/);
  });
});

describe('compareDrift', () => {
  const train = repeat(MEDLINE, 100);
  const profile = buildTrainingProfile({ sentences: train });

  it('reads 0 and level none for a sample identical to the training data', () => {
    const result = compareDrift(profile, observe(train), THRESHOLDS);
    expectFinite(result);
    expect(result.features.map((f) => f.name)).toEqual([...DRIFT_FEATURES]);
    expect(result.score).toBe(0);
    expect(result.level).toBe('none');
    expect(result.sample).toEqual({ sentences: 400, tokens: profile.tokens, entities: 800 });
    expect(result.warnings.some((w) => /gold labels/.test(w))).toBe(true);
  });

  it('reads near 0 for a smaller sample of the same distribution (sampling noise is discounted)', () => {
    const result = compareDrift(profile, observe(repeat(MEDLINE, 30)), THRESHOLDS);
    expect(result.score).toBeLessThan(0.005);
    expect(result.level).toBe('none');
  });

  it('reads high, level alert, for text with nothing in common', () => {
    const notes: LabeledSentence[] = repeat(
      [
        { tokens: ['HISTORY', 'OF', 'PRESENT', 'ILLNESS', ':'], labels: ['O', 'O', 'O', 'O', 'O'] },
        { tokens: ['BP', '120/80', '.', 'HR', '72', '.', 'Afebrile', '.', 'Lungs', 'clear', 'bilaterally', '.', 'No', 'edema', '.', 'Abdomen', 'soft', ',', 'nontender', '.', 'Neuro', 'intact', '.', 'Skin', 'warm', 'and', 'dry', '.', 'Follow', 'up', 'in', '2', 'weeks', '.', 'Call', 'if', 'worse', '.', 'Labs', 'pending', '.'], labels: new Array(41).fill('O') },
      ],
      50,
    );
    const result = compareDrift(profile, observe(notes), THRESHOLDS);
    expectFinite(result);
    expect(result.level).toBe('alert');
    expect(result.score).toBeGreaterThan(0.3);
    const byName = Object.fromEntries(result.features.map((f) => [f.name, f]));
    expect(byName['out-of-vocabulary']?.sample).toBeGreaterThan(0.9);
    expect(byName['entity-density']?.sample).toBe(0);
    expect(byName.labels?.score).toBeGreaterThan(0.05);
    expect(result.score).toBe(Math.max(...result.features.map((f) => f.score)));
    expect(result.features.find((f) => f.name === result.drivenBy)?.score).toBe(result.score);
  });

  it('scores predictions apart from text: same sentences, half the entities predicted', () => {
    const halved = observe(train, (s) => goldSpans(s).slice(0, 1));
    const result = compareDrift(profile, halved, THRESHOLDS);
    const byName = Object.fromEntries(result.features.map((f) => [f.name, f.score]));
    expect(byName['vocabulary']).toBe(0);
    expect(byName['sentence-length']).toBe(0);
    expect(byName['entity-density']).toBeGreaterThan(0.1);
    expect(result.level).toBe('alert');
  });

  it('stays NaN-free on an empty sample, with level none and a warning', () => {
    const result = compareDrift(profile, new DriftObserver(), THRESHOLDS);
    expectFinite(result);
    expect(result.score).toBe(0);
    expect(result.level).toBe('none');
    expect(result.sample).toEqual({ sentences: 0, tokens: 0, entities: 0 });
    expect(result.warnings[0]).toMatch(/no token/);
  });

  it('stays NaN-free on an empty training profile', () => {
    const empty = buildTrainingProfile({ sentences: [] });
    const result = compareDrift(empty, observe(MEDLINE), THRESHOLDS);
    expectFinite(result);
    expect(result.warnings.some((w) => /fewer than/.test(w))).toBe(true);
  });

  it('refuses a profile written with other bins (NER_ERR_DRIFT_NO_PROFILE)', () => {
    const other = JSON.parse(JSON.stringify(profile)) as TrainingProfile;
    other.sentenceLength.bins[0] = '1-2';
    expect(() => compareDrift(other, observe(MEDLINE), THRESHOLDS)).toThrow(expect.objectContaining({ code: 'NER_ERR_DRIFT_NO_PROFILE' }));
  });
});

describe('observing notes', () => {
  it('maps extracted entities to the tokens of the sentences they fall in', () => {
    const text = 'Dx: lung cancer. Rx: cisplatin 75 mg/m2.\n\nNo other complaints.';
    const entity = (type: Entity['type'], name: string): Entity => {
      const start = text.indexOf(name);
      return { type, text: name, start, end: start + name.length, assertion: 'present', confidence: 1 };
    };
    const observer = new DriftObserver();
    observer.addNote(text, [entity('treatment', 'cisplatin'), entity('disease', 'lung cancer')]);
    expect(observer.sentences).toBe(3);
    expect(observer.predictions.entities).toEqual({ disease: 1, treatment: 1 });
    expect(observer.predictions.labels).toEqual([observer.tokens - 3, 2, 1]);
    expect(observer.words.get('cancer')).toBe(1);
    expect(observer.words.get('00')).toBe(1);
    // Sentences: "Dx: lung cancer." (1 entity in 5 tokens: 20 per 100), "Rx: cisplatin 75 mg/m2." (1 in 6), "No other complaints." (0).
    expect(observer.predictions.entityDensity).toEqual([1, 0, 0, 2, 0]);
  });

  it('observes a note without entities, and an empty note, without failing', () => {
    const observer = new DriftObserver();
    observer.addNote('', []);
    observer.addNote('Fever for 3 days.', []);
    expect(observer.sentences).toBe(1);
    expect(observer.predictions.labels).toEqual([5, 0, 0]);
  });
});

describe('model card', () => {
  const card = {
    schemaVersion: 1, version: 'v1', created: '2026-01-01T00:00:00.000Z', gitCommit: null, description: 'test', labelEncoding: 'BIO', templates: ['lower'],
    trainingParameters: {}, data: { corpus: 'c', split: 'train', sentences: 1, tokens: 1, files: [], sha256: '0'.repeat(64) },
    files: { model: { path: 'model.crfsuite', sha256: 'a'.repeat(64), bytes: 1 }, resources: [] }, metrics: { crossValidation: null, test: null },
    environment: { node: 'v20', crfsuite: '1' },
  } as unknown as ModelCard;

  it('accepts a card without a training profile, and one with a valid profile, written compactly', () => {
    expect(parseModelCard(JSON.stringify(card), 'card.json').trainingProfile).toBeUndefined();
    const withProfile: ModelCard = { ...card, trainingProfile: buildTrainingProfile({ sentences: repeat(MEDLINE, 3) }) };
    const text = formatModelCard(withProfile);
    expect(parseModelCard(text, 'card.json')).toEqual(withProfile);
    // The vocabulary on one line, the rest indented.
    expect(text.split('\n').filter((line) => line.includes('"cisplatin"'))).toHaveLength(1);
    expect(formatModelCard(card)).toBe(`${JSON.stringify(card, null, 2)}\n`);
  });

  it('refuses a card whose profile is broken, naming the field', () => {
    const bad = { ...card, trainingProfile: { ...buildTrainingProfile({ sentences: MEDLINE }), tokenShape: { bins: ['lower'], counts: [] } } };
    let error: unknown;
    try {
      parseModelCard(JSON.stringify(bad), 'card.json');
    } catch (caught) {
      error = caught;
    }
    expect(isNerError(error, 'NER_ERR_MODEL_CARD_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/card.json: "trainingProfile": "tokenShape.counts"/);
  });
});
