import { splitSentences } from '../text/tokenizer.js';
import type { Entity, Quantity } from '../text/types.js';
import type { TokenSpan } from '../tagger/label-codec.js';
import { DOSE_UNITS, FORM_PHRASES } from './dosage/rules.js';

/**
 * Brand names: the products a note names by brand ("Tab Dolo 650", "Pan-D", "Augmentin 625"), which the open
 * vocabularies lack. The list is data given by the caller (the shipped data/brands.tsv and a deployment's own,
 * read by src/corpus/brands.ts); here it is matched in a sentence's words and mapped to the product's
 * ingredients and strength.
 */
export interface BrandProduct {
  /** The name as written ("Dolo", "Pan-D"). */
  name: string;
  /** The number written after the name for this product ("650" in "Dolo 650"); absent: the name alone. */
  variant?: string;
  /** Active ingredients, generic names, lower case. */
  ingredients: string[];
  /** The dose one unit holds, for a one-ingredient product whose strength is known. */
  strength?: Quantity;
  /** Matched only when a number follows the name (a name that is also a common word: "Pan 40"). */
  needsVariant?: boolean;
}

export interface BrandMatch extends TokenSpan {
  product: BrandProduct;
  /**
   * The dose a product number the list does not know states ("Montek 4": 4 mg), in the unit of the name's listed
   * one-ingredient strengths; absent for a listed number (the product's strength says it) or a combination.
   */
  dose?: Quantity;
}

export interface BrandLexicon {
  readonly size: number;
  /** Brand mentions in a sentence's words (any case): the name, and the product number right after it. */
  match(words: readonly string[]): BrandMatch[];
  /** The product an entity's text names, if it names one. */
  lookup(entityText: string): BrandProduct | undefined;
  /** The same, with the dose an unlisted product number states. */
  mention(entityText: string): BrandMatch | undefined;
}

/**
 * The share of the spans the brand pass adds that are exactly right, measured on the prescriptions dev set
 * (corpus/prescriptions, dev notes: 40 of 40; `behealthy evaluate --prescriptions … --split dev` prints it),
 * with one success and one failure added so that a small perfect count does not read as certainty: 41/42.
 */
/**
 * Words after a brand that name a strength or release of the same ingredients ("Forte", "DS", "SR", "Kid"), part
 * of the brand's name. Words that add an ingredient ("Plus", "D", "M", "AM") are not: the list names those products.
 */
const SAME_INGREDIENT_FORMS: ReadonlySet<string> = new Set(['forte', 'ds', 'sr', 'xr', 'cr', 'mr', 'er', 'xl', 'kid', 'kids', 'junior', 'jr', 'paed', 'pediatric', 'paediatric', 'infant']);

export const BRAND_SPAN_CONFIDENCE = 0.976;

/**
 * Words after a number that make it an amount ("Pan 40 mg", "Asthalin 2 puffs"), not a listed product's number:
 * the dosage rules' units but tablets and capsules, which follow a product's name ("Dolo 650 tab").
 */
const TABLET_WORDS: ReadonlySet<string> = new Set(['tab', 'tabs', 'tablet', 'tablets', 'cap', 'caps', 'capsule', 'capsules']);
const DOSE_UNIT_WORDS: ReadonlySet<string> = new Set([...Object.keys(DOSE_UNITS).filter((unit) => !TABLET_WORDS.has(unit)), 'kg']);
/** Dose forms written after a brand ("Budecort respules", "Soframycin cream"): not part of its name. */
const FORM_WORDS: ReadonlySet<string> = new Set(FORM_PHRASES.map(([phrase]) => phrase));
/** A product number as written after the name: "650", "0.4", "60K" (thousands, as vitamin D capsules are sold). */
const NUMBER = /^\d+(\.\d+)?k?$/;
/**
 * A product number the list does not know, taken into the name ("Montek 4", "Sinemet 25/100"), but never "1": after
 * a brand, "Orofer XT 1 OD" counts tablets.
 */
const UNLISTED_NUMBER = /^(?:[2-9]|\d{2,}|\d+\.\d+)(?:\/\d+(?:\.\d+)?)?$/;
/** Words after a number that make it an amount or a count, not a product number. */
const AMOUNT_WORDS: ReadonlySet<string> = new Set([...Object.keys(DOSE_UNITS), 'kg', 'tbsp', 'spoon', 'spoons', 'x', 'times', 'days', 'day', 'weeks', 'months']);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const lowerAt = (words: readonly string[], k: number): string | undefined => words[k]?.toLowerCase();
/** An amount's or a count's word at k, or a concentration's unit ("mg/mL" as the tokenizer keeps it). */
const amountAt = (words: readonly string[], k: number): boolean => AMOUNT_WORDS.has((lowerAt(words, k) ?? '').split('/')[0] as string);

function nameTokens(name: string): string[] {
  return splitSentences(name).flatMap((s) => s.tokens.map((t) => t.text.toLowerCase()));
}

/** A name's tokens as listed, and with a hyphen written as a space or a space as a hyphen ("Razo-D", "Razo D"). */
function spellings(name: string): string[][] {
  const listed = nameTokens(name);
  const variants = [listed];
  for (const other of [name.replace(/-/g, ' '), name.replace(/ /g, '-')]) {
    const tokens = nameTokens(other);
    if (!variants.some((v) => v.join(' ') === tokens.join(' '))) variants.push(tokens);
  }
  return variants;
}

export function createBrandLexicon(products: readonly BrandProduct[]): BrandLexicon {
  /** By first token: names (as tokens) longest first, each with its products by variant. */
  const byFirst = new Map<string, { tokens: string[]; products: Map<string, BrandProduct>; unit?: string }[]>();
  for (const product of products) for (const tokens of spellings(product.name)) {
    if (tokens.length === 0) continue;
    const first = tokens[0] as string;
    const list = byFirst.get(first) ?? [];
    let entry = list.find((e) => e.tokens.join(' ') === tokens.join(' '));
    if (!entry) {
      entry = { tokens, products: new Map() };
      list.push(entry);
      list.sort((a, b) => b.tokens.length - a.tokens.length);
      byFirst.set(first, list);
    }
    const variant = product.variant?.toLowerCase() ?? '';
    if (!entry.products.has(variant)) entry.products.set(variant, product);
    if (entry.unit === undefined && product.strength && product.ingredients.length === 1) entry.unit = product.strength.unit;
  }

  const productFor = (products: Map<string, BrandProduct>, variant: string | undefined): BrandProduct | undefined =>
    (variant !== undefined ? products.get(variant) : undefined) ?? products.get('') ?? [...products.values()].find((p) => !p.needsVariant || variant !== undefined);

  // Most words are ruled out by their length before they are lower-cased (brand names are short).
  let longestFirst = 0;
  for (const first of byFirst.keys()) longestFirst = Math.max(longestFirst, first.length);
  const maxWordLength = longestFirst + 6;
  /** The first letters (lower case) brand names start with: other words are not lower-cased at all. */
  const firstChars = new Set([...byFirst.keys()].map((name) => name.charCodeAt(0)));

  const match = (words: readonly string[]): BrandMatch[] => {
    let found: BrandMatch[] | undefined;
    for (let i = 0; i < words.length; i++) {
      const raw = words[i] as string;
      if (raw.length > maxWordLength) continue;
      const c = raw.charCodeAt(0);
      if (!firstChars.has(c >= 65 && c <= 90 ? c + 32 : c)) continue;
      const word = raw.toLowerCase();
      let candidates = byFirst.get(word);
      let gluedVariant: string | undefined;
      // "Dolo-650", "Dolo650": the product number glued to the name
      if (!candidates && isDigit(word.charCodeAt(word.length - 1))) {
        const glued = /^(.*?)-?(\d+)$/.exec(word);
        if (glued?.[1]) {
          candidates = byFirst.get(glued[1]);
          gluedVariant = glued[2];
        }
      }
      if (!candidates) continue;
      for (const { tokens, products, unit } of candidates) {
        if (gluedVariant !== undefined && tokens.length !== 1) continue;
        let k = 1;
        while (k < tokens.length && lowerAt(words, i + k) === tokens[k]) k++;
        if (k < tokens.length) continue;
        let end = i + k;
        let variant = gluedVariant;
        const next = lowerAt(words, end);
        // The number after the name is the product's when the list knows that product ("Dolo 650", not "Orofer XT 1 OD").
        if (variant === undefined && next !== undefined && NUMBER.test(next) && products.has(next) && !DOSE_UNIT_WORDS.has(lowerAt(words, end + 1) ?? '')) {
          variant = next;
          end++;
        }
        const product = productFor(products, variant);
        if (!product || (product.needsVariant && variant === undefined)) continue;
        // "Omnacortil Forte", "Glycomet SR": a formulation of the same ingredients the list does not name apart.
        if (SAME_INGREDIENT_FORMS.has(lowerAt(words, end) ?? '')) end++;
        const after = lowerAt(words, end);
        let dose: Quantity | undefined;
        if (variant === undefined && after !== undefined && UNLISTED_NUMBER.test(after) && !amountAt(words, end + 1)) {
          end++;
          if (unit !== undefined && product.ingredients.length === 1 && !after.includes('/')) dose = { value: Number(after), unit };
        }
        (found ??= []).push({ type: 'T', start: i, end, product, ...(dose ? { dose } : {}) });
        i = end - 1;
        break;
      }
    }
    return found ?? [];
  };

  const mention = (entityText: string): BrandMatch | undefined => {
    // Most drugs name no brand: their first word is ruled out before the text is tokenized.
    const first = /^\S+/.exec(entityText.toLowerCase())?.[0] ?? '';
    let named = false;
    for (let length = Math.min(first.length, longestFirst); length > 0 && !named; length--) named = byFirst.has(first.slice(0, length));
    if (!named) return undefined;
    return match(nameTokens(entityText))[0];
  };

  return {
    size: products.length,
    match,
    lookup: (entityText) => mention(entityText)?.product,
    mention,
  };
}

/**
 * The sentence's spans with its brand mentions: a brand match is a treatment span, and replaces the spans it
 * overlaps unless a treatment span already holds it whole.
 */
export function withBrandSpans<S extends TokenSpan>(words: readonly string[], spans: readonly S[], brands: BrandLexicon, make: (span: TokenSpan) => S): readonly S[] {
  const matches = brands.match(words);
  if (matches.length === 0) return spans;
  let out: S[] = [...spans];
  let changed = false;
  for (const m of matches) {
    // A treatment span holding the brand stands, but for a dose form after it ("Budecort respules").
    if (out.some((s) => s.type === 'T' && s.start <= m.start && s.end >= m.end && !(s.start === m.start && s.end > m.end && notOfTheName(words, m.end, s.end)))) continue;
    out = out.filter((s) => s.end <= m.start || s.start >= m.end);
    out.push(make({ type: 'T', start: m.start, end: m.end }));
    changed = true;
  }
  return changed ? out.sort((a, b) => a.start - b.start) : spans;
}

/**
 * Words a treatment span holds after a brand that are not its name: dose forms ("Budecort respules"), or a number
 * an amount's unit follows ("Redipred 5 mg/mL"), which the brand's match left out.
 */
function notOfTheName(words: readonly string[], from: number, to: number): boolean {
  if (to === from + 1 && NUMBER.test(words[from] as string) && amountAt(words, to)) return true;
  for (let k = from; k < to; k++) if (!FORM_WORDS.has((words[k] as string).toLowerCase())) return false;
  return true;
}

/**
 * The record step that maps each brand a drug entity names to its ingredients (`generic`) and, for a
 * one-ingredient product of known strength, that strength as its dose (dosage.ts reads it). Runs after the
 * kinds step: an entity naming a brand is a drug.
 */
export function brandEnricher(brands: BrandLexicon): { name: string; apply(note: { text: string }, entities: Entity[]): void } {
  return {
    name: 'brands',
    apply: (_note, entities) => {
      for (const entity of entities) {
        if (entity.type !== 'treatment') continue;
        const found = brands.mention(entity.text);
        if (!found) continue;
        const { product, dose } = found;
        entity.kind = 'drug';
        entity.generic = [...product.ingredients];
        // The strength is the note's only when it writes the product's number ("Dolo 650", not "Crocin").
        const doseQuantity = product.strength && product.variant !== undefined ? product.strength : dose;
        if (doseQuantity) entity.dosage = { text: entity.text, start: entity.start, end: entity.end, doseQuantity: { ...doseQuantity } };
      }
    },
  };
}
