/**
 * What each span rule does on corpora that annotate tight spans (MACCROBAT2020 case reports, Chia trial
 * criteria; ../shared/corpus): how many GOLD spans a rule would change (a rule that changes many gold spans
 * contradicts that corpus's policy), and the shipped model's strict and partial F1 without and with it.
 *   node --import tsx scripts/experiments/span-rules-corpora.ts [--rules a,b] [--chia-every 6] [--marked FILES] [--examples 0] [--models DIR]
 * --notes N: also count the spans each rule changes in the first N MTSamples notes (no gold there).
 * --marked: the repository's hand-annotated notes (comma-separated .marked.txt files; default the two dev sets).
 * Types: MACCROBAT Disease_disorder and Sign_symptom -> disease, Medication and Therapeutic_procedure ->
 * treatment; Chia Condition -> disease, Drug -> treatment. Overlapping entities: the longer wins, then the
 * earlier. Discontinuous entities and entities across a sentence boundary are left out; a span that cuts a
 * token covers the whole token, as the corpora's token labels would (their count is printed: the tokenizer's
 * fit to the corpus). BeHealthy's train split is scored for gold changes only (the model trained on it).
 * spansChanged / changedSpansCorrect: the spans a rule makes and how many of them are gold (their precision).
 * Prints one JSON line per corpus and rule; examples (public corpus text) go to stderr with --examples N.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applySpanRules, DEFAULT_SPAN_RULES, resolveSpanRules, SPAN_RULE_LIBRARY } from '../../src/core/clinical/span-rules.js';
import { isNoteStyleText } from '../../src/core/clinical/note-lexicon.js';
import { tagScoredSpans, type SequenceTagger } from '../../src/core/extract.js';
import { evaluate, goldFromLabeled, type GoldSentence, type PredictedSentence, type SpanScores } from '../../src/core/evaluation/evaluation.js';
import { labelsFromSpans, type SpanType, type TokenSpan } from '../../src/core/tagger/label-codec.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { readMarkedNotes } from '../../src/corpus/marked-notes.js';
import { loadModel } from '../../src/registry/model-store.js';
import { readMtSamples } from '../../src/corpus/mtsamples.js';

const { values } = parseArgs({
  options: {
    rules: { type: 'string' },
    'chia-every': { type: 'string', default: '6' },
    examples: { type: 'string', default: '0' },
    models: { type: 'string', default: 'models' },
    shared: { type: 'string', default: '../shared/corpus' },
    marked: { type: 'string', default: 'corpus/note-style/dev.marked.txt,corpus/assertion/dev.marked.txt' },
    notes: { type: 'string', default: '0' },
  },
});
const defaults = new Set(DEFAULT_SPAN_RULES);
const candidates = values.rules ? values.rules.split(',') : SPAN_RULE_LIBRARY.map((r) => r.name).filter((name) => !defaults.has(name));
resolveSpanRules(candidates); // fails early on an unknown name
const exampleLimit = Number(values.examples);

interface CorpusEntity {
  type: string;
  start: number;
  end: number;
}
interface CorpusDocument {
  id: string;
  text: string;
  entities: CorpusEntity[];
}
interface Sentence extends GoldSentence {
  document: number;
}

const MAPPINGS: Record<string, Record<string, SpanType>> = {
  maccrobat2020: { Disease_disorder: 'D', Sign_symptom: 'D', Medication: 'T', Therapeutic_procedure: 'T' },
  chia: { Condition: 'D', Drug: 'T' },
  marked: { disease: 'D', treatment: 'T' },
};

function readDocuments(corpus: string, every: number): CorpusDocument[] {
  const lines = readFileSync(join(values.shared, corpus, 'docs.jsonl'), 'utf8').split('\n').filter((line) => line.trim() !== '');
  return lines.filter((_, i) => i % every === 0).map((line) => JSON.parse(line) as CorpusDocument);
}

/** The repository's hand-annotated notes (every mention marked, as the guideline says). */
async function readMarked(file: string): Promise<CorpusDocument[]> {
  return (await readMarkedNotes(file)).notes.map((note) => ({ id: note.id, text: note.text, entities: note.entities.map((e) => ({ type: e.type, start: e.start, end: e.end })) }));
}

interface Alignment {
  entities: number;
  offGrid: number;
  acrossSentences: number;
  overlapping: number;
}

/** The documents as tokenized gold sentences, with how well the entities sit on the token grid. */
function goldSentences(documents: readonly CorpusDocument[], mapping: Record<string, SpanType>): { sentences: Sentence[]; texts: string[][][]; alignment: Alignment } {
  const alignment: Alignment = { entities: 0, offGrid: 0, acrossSentences: 0, overlapping: 0 };
  const sentences: Sentence[] = [];
  const texts: string[][][] = [];
  documents.forEach((doc, d) => {
    const mapped = doc.entities.filter((e) => mapping[e.type] !== undefined).sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
    const kept: CorpusEntity[] = [];
    for (const e of mapped) {
      if (kept.some((k) => k.start < e.end && e.start < k.end)) alignment.overlapping++;
      else kept.push(e);
    }
    alignment.entities += kept.length;
    const docSentences = splitSentences(doc.text);
    texts.push(docSentences.map((s) => s.tokens.map((t) => t.text)));
    const bySentence = docSentences.map((): TokenSpan[] => []);
    for (const e of kept) {
      const s = docSentences.findIndex((sentence) => sentence.start < e.end && e.start < sentence.end);
      const sentence = docSentences[s];
      if (!sentence) continue;
      if (e.start < sentence.start || e.end > sentence.end) {
        alignment.acrossSentences++;
        continue;
      }
      const first = sentence.tokens.findIndex((t) => t.end > e.start);
      let last = first;
      while (last + 1 < sentence.tokens.length && (sentence.tokens[last + 1]?.start ?? Infinity) < e.end) last++;
      if (sentence.tokens[first]?.start !== e.start || sentence.tokens[last]?.end !== e.end) alignment.offGrid++;
      bySentence[s]?.push({ type: mapping[e.type] as SpanType, start: first, end: last + 1 });
    }
    docSentences.forEach((sentence, s) => {
      const spans = (bySentence[s] ?? []).sort((a, b) => a.start - b.start);
      // Two entities on one token (a span cutting a token) keep the first.
      const disjoint = spans.filter((span, i) => i === 0 || span.start >= (spans[i - 1] as TokenSpan).end);
      const tokens = sentence.tokens.map((t) => t.text);
      sentences.push({ document: d, tokens, spans: disjoint, labels: labelsFromSpans(tokens.length, disjoint) });
    });
  });
  return { sentences, texts, alignment };
}

const key = (s: TokenSpan): string => `${s.type}:${s.start}:${s.end}`;
const phrase = (tokens: readonly string[], s: TokenSpan): string => tokens.slice(s.start, s.end).join(' ');

/** Gold spans a rule changes (not in its output), per type, with examples. */
function goldChanges(sentences: readonly GoldSentence[], ruleName: string, model: SequenceTagger, label: string): { D: number; T: number; goldD: number; goldT: number } {
  const rules = resolveSpanRules([ruleName]);
  const counts = { D: 0, T: 0, goldD: 0, goldT: 0 };
  let shown = 0;
  for (const sentence of sentences) {
    for (const span of sentence.spans) counts[span.type === 'D' ? 'goldD' : 'goldT']++;
    const out = applySpanRules(rules, sentence.tokens, sentence.spans, model);
    const kept = new Set(out.map(key));
    const changed = sentence.spans.filter((s) => !kept.has(key(s)));
    for (const span of changed) counts[span.type]++;
    if (changed.length > 0 && shown < exampleLimit) {
      shown++;
      process.stderr.write(`[${label} gold ${ruleName}] ${changed.map((s) => `${s.type}:${phrase(sentence.tokens, s)}`).join(' ; ')}  =>  ${out.filter((s) => !sentence.spans.some((g) => key(g) === key(s))).map((s) => phrase(sentence.tokens, s)).join(' | ')}\n`);
    }
  }
  return counts;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
function f1s(scores: SpanScores): Record<string, number> {
  return { disease: round(scores.disease.f1), treatment: round(scores.treatment.f1), micro: round(scores.micro.f1) };
}

/** The model's spans for every sentence under `ruleNames` (the card's rules plus those given), as extract() decodes them. */
function predict(model: SequenceTagger, sentences: readonly Sentence[], texts: readonly string[][][], ruleNames: readonly string[]): TokenSpan[][] {
  const variant: SequenceTagger = { ...model, spanRules: resolveSpanRules(ruleNames) };
  const noteStyle = texts.map((docSentences) => isNoteStyleText(docSentences));
  return sentences.map((sentence) => tagScoredSpans(variant, sentence.tokens, model.noteLexicon ? { noteStyle: noteStyle[sentence.document] === true } : {}).map(({ type, start, end }) => ({ type, start, end })));
}

function asPrediction(sentences: readonly Sentence[], spans: readonly TokenSpan[][]): PredictedSentence[] {
  return sentences.map((s, i) => ({ spans: spans[i] as TokenSpan[], labels: labelsFromSpans(s.tokens.length, spans[i] as TokenSpan[]) }));
}

const { model, card } = await loadModel(values.models);
const baseRules = card.spanRules ?? [];
const emit = (record: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(record)}\n`);

const corpora: [string, CorpusDocument[], Record<string, SpanType>][] = [
  ['maccrobat2020', readDocuments('maccrobat2020', 1), MAPPINGS.maccrobat2020 as Record<string, SpanType>],
  ['chia', readDocuments('chia', Number(values['chia-every'])), MAPPINGS.chia as Record<string, SpanType>],
  ...(await Promise.all(values.marked.split(',').filter((f) => f !== '').map(async (file): Promise<[string, CorpusDocument[], Record<string, SpanType>]> => [file, await readMarked(file), MAPPINGS.marked as Record<string, SpanType>]))),
];
for (const [corpus, documents, mapping] of corpora) {
  const { sentences, texts, alignment } = goldSentences(documents, mapping);
  emit({ corpus, documents: documents.length, sentences: sentences.length, ...alignment });
  const base = predict(model, sentences, texts, baseRules);
  const baseReport = evaluate(sentences, asPrediction(sentences, base));
  emit({ corpus, rules: baseRules, strict: f1s(baseReport.strict), partial: f1s(baseReport.partial) });
  const configurations = [...candidates.map((name) => [name]), ...(candidates.length > 1 ? [candidates] : [])];
  for (const added of configurations) {
    const spans = predict(model, sentences, texts, [...baseRules, ...added]);
    const report = evaluate(sentences, asPrediction(sentences, spans));
    let changedPredictions = 0;
    let changedCorrect = 0;
    let shown = 0;
    spans.forEach((sentenceSpans, i) => {
      const before = new Set((base[i] as TokenSpan[]).map(key));
      const sentence = sentences[i] as Sentence;
      const fresh = sentenceSpans.filter((s) => !before.has(key(s)));
      changedPredictions += fresh.length;
      const goldKeys = new Set(sentence.spans.map(key));
      changedCorrect += fresh.filter((s) => goldKeys.has(key(s))).length;
      if (fresh.length > 0 && shown < exampleLimit && added.length === 1) {
        shown++;
        const gold = new Set(sentence.spans.map(key));
        process.stderr.write(`[${corpus} predicted ${added[0]}] ${(base[i] as TokenSpan[]).filter((s) => !sentenceSpans.some((n) => key(n) === key(s))).map((s) => phrase(sentence.tokens, s)).join(' ; ')}  =>  ${fresh.map((s) => `${phrase(sentence.tokens, s)}${gold.has(key(s)) ? ' (gold)' : ''}`).join(' | ')}\n`);
      }
    });
    // The precision of the spans a rule makes: what their confidence should be (the CRF gives them almost none).
    const record: Record<string, unknown> = { corpus, added, strict: f1s(report.strict), partial: f1s(report.partial), spansChanged: changedPredictions, changedSpansCorrect: changedCorrect };
    if (added.length === 1) record.goldChanged = goldChanges(sentences, added[0] as string, model, corpus);
    emit(record);
  }
}

const behealthy = goldFromLabeled((await readBeHealthySplit(join(values.shared, 'behealthy'), 'train')).sentences);
for (const name of candidates) emit({ corpus: 'behealthy-train', added: [name], goldChanged: goldChanges(behealthy, name, model, 'behealthy') });

const noteCount = Number(values.notes);
if (noteCount > 0) {
  const notes: string[][][] = [];
  for await (const note of readMtSamples(join(values.shared, '..', 'notes', 'mtsamples.csv'))) {
    if (notes.length >= noteCount) break;
    notes.push(splitSentences(note.text).map((s) => s.tokens.map((t) => t.text)));
  }
  const sentences: Sentence[] = notes.flatMap((note, d) => note.map((tokens) => ({ document: d, tokens, spans: [], labels: [] })));
  const base = predict(model, sentences, notes, baseRules);
  for (const name of candidates) {
    const spans = predict(model, sentences, notes, [...baseRules, name]);
    let changed = 0;
    let shown = 0;
    spans.forEach((sentenceSpans, i) => {
      const before = new Set((base[i] as TokenSpan[]).map(key));
      const fresh = sentenceSpans.filter((s) => !before.has(key(s)));
      changed += fresh.length;
      if (fresh.length > 0 && shown++ < exampleLimit) {
        const tokens = (sentences[i] as Sentence).tokens;
        process.stderr.write(`[mtsamples ${name}] ${(base[i] as TokenSpan[]).filter((s) => !sentenceSpans.some((n) => key(n) === key(s))).map((s) => phrase(tokens, s)).join(' ; ')}  =>  ${fresh.map((s) => phrase(tokens, s)).join(' | ')}\n`);
      }
    });
    emit({ corpus: 'mtsamples', notes: notes.length, added: [name], spans: base.reduce((n, s) => n + s.length, 0), spansChanged: changed });
  }
}
