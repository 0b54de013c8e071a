import { assertEntities } from './clinical/assertion.js';
import type { Gazetteer } from './tagger/gazetteer.js';
import { doseFollows, isNoteStyle, isNoteStyleText, LEXICON_SPAN_CONFIDENCE, withLexiconSpans, writesDose } from './clinical/note-lexicon.js';
import { BRAND_SPAN_CONFIDENCE, withBrandSpans, type BrandLexicon } from './clinical/brands.js';
import { spansFromTags, type LabelEncoding, type TokenSpan } from './tagger/label-codec.js';
import { notePairs } from './clinical/relations.js';
import { firstEndingAfter } from './text/ordered-spans.js';
import { noteSections, sectionAt, type SectionKind } from './clinical/sections.js';
import { withoutOtherSenses } from './clinical/ambiguous-abbreviations.js';
import { withoutHeaderNames } from './clinical/header-names.js';
import { withDefinedAbbreviations } from './clinical/defined-abbreviations.js';
import { withDiagnosisItems, type SectionNames } from './clinical/diagnosis-section.js';
import { withDrugConditions } from './clinical/drug-conditions.js';
import type { IndicationKnowledge } from './clinical/indications.js';
import { applySpanRules, JOIN_LEADING_SITE, withLeadingSites, type SpanRule } from './clinical/span-rules.js';
import { splitSentences } from './text/tokenizer.js';
import type { EnrichedNote, Entity, EntityType, ExtractionRecord, Sentence } from './text/types.js';

/** What extract() needs of a model: its version and a tagger over the words of one sentence. */
export interface SequenceTagger {
  readonly version: string;
  readonly labelEncoding: LabelEncoding;
  /** One tag per word, in the model's encoding; must not throw for any list of non-empty words. */
  tag(words: readonly string[]): string[];
  /** Repairs applied to the decoded spans, in order (see span-rules.ts). */
  readonly spanRules: readonly SpanRule[];
  /**
   * tag() plus the model's confidence in any span of the sentence (see span-confidence.ts). Taggers without
   * a probability model (test dictionaries) omit it; their entities get confidence 1.
   */
  tagScored?(words: readonly string[]): ScoredTagging;
  /** Names the note-style lexicon pass adds where the CRF found nothing (see note-lexicon.ts); none: no pass. */
  readonly noteLexicon?: Gazetteer;
  /**
   * The tagger for a whole note: a model that learned several domains tags each note with the weights of the
   * domain it reads like (tagger/note-router.ts). Absent: this tagger tags every note.
   */
  forNote?(text: string, sentenceWords: readonly (readonly string[])[]): SequenceTagger;
  /**
   * Steps after tagging and assertion that add to the entities what the note says of them (their kind, concept
   * codes, dosage), run in this order; each reads the whole note. Absent: entities carry none of that.
   */
  readonly enrichers?: readonly EntityEnricher[];
  /** The names the model knows, which span rules consult (the tagger is the SpanRuleModel they are given). */
  readonly lexicon?: Gazetteer;
  /** Brand names found as drugs in every sentence, whatever the CRF decoded there (see brands.ts); none: no pass. */
  readonly brands?: BrandLexicon;
  /** What drugs and procedures are given for, which pairs them with a note's diagnoses (see relations.ts); none: no such pairs. */
  readonly indications?: IndicationKnowledge;
  /** Names a diagnosis section's items (see diagnosis-section.ts); none: the items are what the tagger found. */
  readonly sectionNames?: SectionNames;
}

/** A step of the record after tagging: it sets fields of the note's entities (see SequenceTagger.enrichers). */
export interface EntityEnricher {
  readonly name: string;
  /** `entities` are the note's, in text order, with their assertions; the step sets its fields in place. */
  apply(note: EnrichedNote, entities: Entity[]): void;
}

/** The spans come from the Viterbi tags (CRFsuite's own decoding), or the model decodes them itself (span-decoding.ts). */
export type ScoredTagging = ({ tags: string[]; spans?: undefined } | { spans: TokenSpan[]; tags?: undefined }) & ScoredTaggingConfidence;

interface ScoredTaggingConfidence {
  /**
   * Calibrated probability that the span is an entity of its type with exactly these boundaries. Valid
   * until the tagger's next tagScored call (the CRF reuses its tables).
   */
  confidence(span: TokenSpan): number;
  /**
   * The calibrated probability that a span the note-style lexicon pass adds is right, from the CRF's probability
   * of it (the pass's own calibration map). Absent: such spans get the pass's measured precision.
   */
  lexiconConfidence?(span: TokenSpan): number;
}

export interface ScoredSpan extends TokenSpan {
  confidence: number;
  /** Added by the note-style lexicon pass, not decoded by the CRF. */
  fromLexicon?: true;
}

/** The entity spans of one sentence: tags decoded, then the model's span rules applied. */
export function tagSpans(model: SequenceTagger, words: readonly string[]): TokenSpan[] {
  return tagScoredSpans(model, words).map(({ type, start, end }) => ({ type, start, end }));
}

const MIN_CASED_LETTERS = 8;

/**
 * The words as the tagger should see them. A sentence written in capitals ("DX: TYPHOID. RX: TAB
 * AZITHROMYCIN 500MG") looks to a model trained on mixed-case prose like a run of acronyms; lower-cased it
 * reads as prose, and lower case costs the model almost nothing (measured on the test split, see README).
 * A sentence counts as capitals when at least 8 of its letters have case and at most 1 in 10 of them is lower case.
 */
export function caseForTagging(words: readonly string[]): readonly string[] {
  let upper = 0;
  let lower = 0;
  for (const word of words) {
    // Prose settles it within a few words: more lower than upper case, 8 letters or more, is not capitals.
    if (lower >= MIN_CASED_LETTERS && lower > upper) return words;
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      if (c >= 65 && c <= 90) upper++;
      else if (c >= 97 && c <= 122) lower++;
      else if (c > 127) {
        const ch = word[i] as string;
        if (ch !== ch.toLowerCase()) upper++;
        else if (ch !== ch.toUpperCase()) lower++;
      }
    }
  }
  if (upper + lower < MIN_CASED_LETTERS || lower * 10 > upper + lower) return words;
  return words.map((w) => w.toLowerCase());
}

/** What is known of a sentence from its note: a note written in note style (see note-lexicon.ts). */
export interface SentenceContext {
  noteStyle?: boolean;
  /**
   * What each word's section holds by its header (clinical/sections.ts): 'D' under "Dx:", 'T' under "Rx:", else
   * undefined. A vocabulary name of its section's type is one.
   */
  sectionTypes?: readonly (TokenSpan['type'] | undefined)[];
  /** Keep every span the lexicon pass finds, however unlikely (to fit the pass's calibration on them). */
  everyLexiconSpan?: boolean;
}

/** tagSpans with each span's confidence, scored after the span rules (they may move its boundaries). */
export function tagScoredSpans(model: SequenceTagger, words: readonly string[], context: SentenceContext = {}): ScoredSpan[] {
  const spans = modelScoredSpans(model, words, context);
  if (!model.brands) return spans;
  return withBrandSpans(words, spans, model.brands, (span) => ({ ...span, confidence: BRAND_SPAN_CONFIDENCE })) as ScoredSpan[];
}

function modelScoredSpans(model: SequenceTagger, words: readonly string[], context: SentenceContext): ScoredSpan[] {
  if (!model.tagScored) {
    return applySpanRules(model.spanRules, words, spansFromTags(model.tag(caseForTagging(words)), model.labelEncoding), model).map((span) => ({ ...span, confidence: 1 }));
  }
  const cased = caseForTagging(words);
  const tagging = model.tagScored(cased);
  const { confidence } = tagging;
  const decoded = applySpanRules(model.spanRules, words, tagging.spans ?? spansFromTags(tagging.tags, model.labelEncoding), model);
  const rescored = (span: TokenSpan): ScoredSpan => ({ type: span.type, start: span.start, end: span.end, confidence: round3(confidence(span)) });
  const scored: ScoredSpan[] = decoded.map(rescored);
  if (!model.noteLexicon) return withDrugConditions(words, scored, rescored) as ScoredSpan[];
  // Capitals alone do not make a note: its cues (read from the lower-cased words) do.
  const { sectionTypes } = context;
  const noteStyle = context.noteStyle ?? isNoteStyle(cased);
  // Under a Dx or Rx header, or beside a dose, the pass looks for names, but prose keeps the CRF's spans whole.
  const dosed = !noteStyle && !sectionTypes && writesDose(cased);
  const merged = noteStyle || sectionTypes || dosed ? withLexiconSpans(cased, scored, model.noteLexicon, { noteStyle: true, cutAtDoseWords: noteStyle }) : scored;
  if (merged === scored) return withDrugConditions(words, scored, rescored) as ScoredSpan[];
  const kept = new Set<object>(scored);
  const result: ScoredSpan[] = [];
  for (const span of merged) {
    if (kept.has(span)) {
      result.push(span as ScoredSpan);
      continue;
    }
    const bounds = { type: span.type, start: span.start, end: span.end };
    // A span the pass added, or a CRF span it cut short at a dose word: each scored as what it now is.
    if (!('fromLexicon' in span)) {
      result.push({ ...bounds, confidence: round3(confidence(bounds)) });
      continue;
    }
    // A vocabulary name under a header of its kind ("Dx: viral fever", "Plan: potassium chloride 20 mEq") is one.
    // So is a drug's name a dose follows ("increase lisinopril to 20 mg daily").
    // And a disease's name that labels its line's treatments ("Heart failure: furosemide 40 mg OD, …").
    const named = (sectionTypes !== undefined && sectionTypes[span.start] === span.type) || (span.type === 'T' && doseFollows(cased, span.end)) || (span.type === 'D' && labelsTreatments(cased, span, merged));
    // Outside note style, only those (and a span's probability, a pass over the sentence, only for what may be kept).
    if (!noteStyle && !named) continue;
    const calibrated = tagging.lexiconConfidence ? tagging.lexiconConfidence(bounds) : LEXICON_SPAN_CONFIDENCE;
    const lexiconConfidence = named ? Math.max(calibrated, SECTION_NAME_CONFIDENCE) : calibrated;
    // A name is an entity only where its context does not make it unlikely ("RA" on room air is not arthritis).
    if (lexiconConfidence >= MIN_LEXICON_SPAN_CONFIDENCE || context.everyLexiconSpan) result.push({ ...bounds, confidence: round3(lexiconConfidence), fromLexicon: true });
  }
  // The pass's names start where the vocabulary's do; the domain's rule puts a site written before them in them.
  const sited = model.spanRules.some((rule) => rule.name === JOIN_LEADING_SITE) ? withLeadingSites(words, result, (span) => 'fromLexicon' in span) : result;
  return withDrugConditions(words, sited, rescored) as ScoredSpan[];
}

/** The span opens its sentence, a colon follows it, and a treatment comes after: "Heart failure: furosemide 40 mg OD". */
function labelsTreatments(words: readonly string[], span: TokenSpan, spans: readonly TokenSpan[]): boolean {
  return span.start === 0 && words[span.end] === ':' && spans.some((other) => other.type === 'T' && other.start > span.end);
}

/** What a diagnosis section holds, and a treatment section. */
export const SECTION_SPAN_TYPE: Record<SectionKind, TokenSpan['type'] | undefined> = { dx: 'D', rx: 'T', other: undefined };

/**
 * The confidence of a vocabulary name of its section's kind the CRF did not choose: the share of such names that
 * were exactly right on the dev halves of the prescription and pair sets.
 */
export const SECTION_NAME_CONFIDENCE = 0.9;

/**
 * The confidence of a later mention of an abbreviation the note defines beside an entity
 * (clinical/defined-abbreviations.ts): on the BC5CDR and MACCROBAT dev splits, 127 of the 136 such mentions
 * were exactly an annotated entity of their type.
 */
export const DEFINED_ABBREVIATION_CONFIDENCE = 0.9;

/**
 * The calibrated confidence a name the lexicon pass finds needs to become an entity. The pass's map is coarse (fitted
 * on few spans): out of fold, the production model's names that the map put between 0.2 and 0.5 were right 8 times
 * in 12, those below 0.2 twice in 47 (the card's notesCalibration.reliability.lexiconSpans).
 */
export const MIN_LEXICON_SPAN_CONFIDENCE = 0.2;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

const ENTITY_TYPE: Record<TokenSpan['type'], EntityType> = { D: 'disease', T: 'treatment' };

export interface SentenceEntities {
  sentence: Sentence;
  entities: Entity[];
}

function sentenceEntities(text: string, sentence: Sentence, model: SequenceTagger, context: SentenceContext = {}, words = sentence.tokens.map((t) => t.text)): Entity[] {
  return tagScoredSpans(model, words, context).map((span): Entity => {
    const start = (sentence.tokens[span.start] as { start: number }).start;
    const end = (sentence.tokens[span.end - 1] as { end: number }).end;
    return { type: ENTITY_TYPE[span.type], text: text.slice(start, end), start, end, assertion: 'present', confidence: span.confidence };
  });
}

/** Tokenizes, tags and decodes each sentence of a note into entities with character offsets. */
export function tagSentences(text: string, model: SequenceTagger): SentenceEntities[] {
  return splitSentences(text).map((sentence) => ({ sentence, entities: sentenceEntities(text, sentence, model) }));
}

export interface ExtractOptions {
  noteId?: string;
  /** Leave out entities below this confidence (and the pairs they would form). */
  minConfidence?: number;
}

export interface ExtractionOutcome {
  record: ExtractionRecord;
  /** Tokens tagged, for throughput metrics. */
  tokens: number;
}

/**
 * extract() in steps: yields after every `tokensPerStep` tokens tagged, so a caller serving other requests
 * can give the event loop a turn in the middle of a very long note (see Extractor). Pure: the caller decides
 * what to do between steps.
 */
export function* extractInSteps(
  text: string,
  model: SequenceTagger,
  options: ExtractOptions & { tokensPerStep?: number } = {},
): Generator<void, ExtractionOutcome> {
  const minConfidence = options.minConfidence ?? 0;
  const tokensPerStep = options.tokensPerStep ?? Infinity;
  const sentences = splitSentences(text);
  const sentenceWords = sentences.map((s) => s.tokens.map((t) => t.text));
  const tagger = model.forNote?.(text, sentenceWords) ?? model;
  const context: SentenceContext = tagger.noteLexicon ? { noteStyle: isNoteStyleText(sentenceWords) } : {};
  // Read once for the tagger and the pairs; a tagger without the vocabulary pass leaves them to the pairs.
  const sections = tagger.noteLexicon ? noteSections(text) : undefined;
  const typedSections = sections ? sections.filter((section) => SECTION_SPAN_TYPE[section.kind] !== undefined) : [];
  // Sections are in text order and each ends where the next begins: found by binary search, not a scan per
  // sentence and token (a note of thousands of headers would take quadratic time).
  const sectionContext = (sentence: Sentence): SentenceContext => {
    if (!sections || typedSections.length === 0) return context;
    const tokens = sentence.tokens;
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    const typed = first ? typedSections[firstEndingAfter(typedSections, first.start)] : undefined;
    if (!first || !last || !typed || typed.start >= last.end) return context;
    return { ...context, sectionTypes: tokens.map((token) => {
      const section = sectionAt(sections, token.start);
      return section ? SECTION_SPAN_TYPE[section.kind] : undefined;
    }) };
  };
  const found: Entity[][] = [];
  let tokens = 0;
  let sinceStep = 0;
  for (let s = 0; s < sentences.length; s++) {
    const sentence = sentences[s] as Sentence;
    if (sinceStep >= tokensPerStep) {
      sinceStep = 0;
      yield;
    }
    found.push(sentenceEntities(text, sentence, tagger, sectionContext(sentence), sentenceWords[s]));
    tokens += sentence.tokens.length;
    sinceStep += sentence.tokens.length;
  }
  if (sections && tagger.sectionNames && typedSections.some((section) => section.kind === 'dx')) withDiagnosisItems(text, sections, sentences, found, tagger.sectionNames, SECTION_NAME_CONFIDENCE);
  withDefinedAbbreviations(text, sentences, found, DEFINED_ABBREVIATION_CONFIDENCE);
  withoutOtherSenses(text, found);
  withoutHeaderNames(text, found);
  // Assertion reads every entity of a sentence (a list under one negation), so it runs before the filter.
  const assertions = assertEntities(text, sentences, found);
  for (let s = 0; s < found.length; s++) {
    const sentenceFound = found[s] as Entity[];
    for (let e = 0; e < sentenceFound.length; e++) {
      const entity = sentenceFound[e] as Entity;
      entity.assertion = assertions[s]?.[e] ?? 'present';
    }
  }
  if (tagger.enrichers) {
    const all = found.flat();
    const note: EnrichedNote = context.noteStyle === undefined ? { text, sentences } : { text, sentences, noteStyle: context.noteStyle };
    for (const enricher of tagger.enrichers) enricher.apply(note, all);
  }
  const entitiesBySentence = minConfidence > 0 ? found.map((sentenceFound) => sentenceFound.filter((e) => e.confidence >= minConfidence)) : found;
  const entities = entitiesBySentence.flat();
  const record: ExtractionRecord = {
    ...(options.noteId === undefined ? {} : { noteId: options.noteId }),
    modelVersion: tagger.version,
    diseases: entities.filter((e) => e.type === 'disease'),
    treatments: entities.filter((e) => e.type === 'treatment'),
    // A pair is a present diagnosis and a treatment the note names with it, with its evidence (clinical/relations.ts).
    pairs: notePairs({ text, sentences }, entitiesBySentence, { lineByLine: context.noteStyle === true, ...(sections ? { sections } : {}), ...(tagger.indications ? { indications: tagger.indications } : {}) }),
    entities,
  };
  return { record, tokens };
}

/** Runs extractInSteps to the end without pausing. */
export function extractOutcome(text: string, model: SequenceTagger, options: ExtractOptions = {}): ExtractionOutcome {
  const steps = extractInSteps(text, model, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The one extraction every entry point calls: note text → structured record. */
export function extract(text: string, model: SequenceTagger, noteId?: string, options: Omit<ExtractOptions, 'noteId'> = {}): ExtractionRecord {
  return extractOutcome(text, model, { ...options, ...(noteId === undefined ? {} : { noteId }) }).record;
}
