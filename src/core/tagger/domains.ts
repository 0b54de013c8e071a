import type { CrfWeights } from './crf-model-file.js';
import { ownString } from '../text/own-string.js';

/**
 * Feature augmentation by domain ("frustratingly easy domain adaptation", Daumé III, 2007). The corpora the
 * tagger learns from annotate under different policies (every mention, or only mentions in sentences stating
 * a relation) and in different styles (case reports, trial criteria, abstracts). In training, every attribute of
 * a token is given once as it is, shared by all corpora, and once under each domain of the token's sentence (its
 * corpus's domain, and the group of corpora annotated under the same policy), so the CRF learns what they share
 * apart from what is each corpus's own. A model serves one domain at a time: when it loads, the shared weights and
 * that domain's are folded into one table, so tagging costs what it costs without domains.
 */
export const DOMAIN_SEPARATOR = '~';

/** The attribute as learned under a domain: `case-reports~lower[0]=fever`. */
export function domainAttribute(domain: string, attribute: string): string {
  return `${domain}${DOMAIN_SEPARATOR}${attribute}`;
}

/** Each token's attributes, followed by the same under each domain, in that order. */
export function withDomainAttributes(attributes: readonly (readonly string[])[], domains: readonly string[]): string[][] {
  if (domains.length === 0) return attributes.map((item) => [...item]);
  return attributes.map((item) => {
    const out = [...item];
    for (const domain of domains) for (const attribute of item) out.push(domainAttribute(domain, attribute));
    return out;
  });
}

/**
 * The weights a model has for `domains`: each attribute's shared weights plus its weights under each of the
 * domains, under the shared name; attributes of other domains are dropped. With no domain, the shared weights
 * alone. (The sums are computed once here, so a score can differ from the augmented model's in its last bits.)
 */
export function foldDomainWeights(weights: CrfWeights, domains: readonly string[], sharedIds?: ReadonlyMap<string, number>): CrfWeights {
  const prefixes = domains.map((d) => `${d}${DOMAIN_SEPARATOR}`);
  return foldOnto(weights, prefixes, sharedIds ?? foldedAttributeIds(weights, [domains]));
}

/** The attribute names of every domain's folded table, with one id each: folded tables can share one map. */
export function foldedAttributeIds(weights: CrfWeights, domainLists: readonly (readonly string[])[]): Map<string, number> {
  const prefixes = [...new Set(domainLists.flat())].map((d) => `${d}${DOMAIN_SEPARATOR}`);
  const ids = new Map<string, number>();
  for (const name of weights.attributeIds.keys()) {
    const separator = name.indexOf(DOMAIN_SEPARATOR);
    let target: string | undefined;
    if (separator < 0) target = name;
    else {
      const prefix = prefixes.find((p) => name.startsWith(p));
      if (prefix) target = name.slice(prefix.length);
    }
    // A name cut from a longer one is a view of it in V8: a copy lets the model file's names go.
    if (target !== undefined && !ids.has(target)) ids.set(separator < 0 ? target : ownString(target), ids.size);
  }
  return ids;
}

/**
 * foldDomainWeights onto ids shared by several domains' tables (foldedAttributeIds): the map of attribute names,
 * the largest part of a loaded model, is held once however many domains are served.
 */
function foldOnto(weights: CrfWeights, prefixes: readonly string[], ids: ReadonlyMap<string, number>): CrfWeights {
  const L = weights.labels.length;
  const A = ids.size;
  const stateDense = new Float64Array(A * L);
  for (const [name, id] of weights.attributeIds) {
    let target: string | undefined;
    if (name.indexOf(DOMAIN_SEPARATOR) < 0) target = name;
    else {
      const prefix = prefixes.find((p) => name.startsWith(p));
      if (prefix) target = name.slice(prefix.length);
    }
    if (target === undefined) continue;
    const a = ids.get(target);
    if (a === undefined) continue;
    for (let k = weights.stateStart[id] as number; k < (weights.stateStart[id + 1] as number); k++) {
      const at = a * L + (weights.stateLabel[k] as number);
      stateDense[at] = (stateDense[at] as number) + (weights.stateWeight[k] as number);
    }
  }
  // Kept in single precision: half the memory of a table. A sum of weights is computed in double precision
  // from the rounded weights, so scores move in about the 7th significant digit.
  const stored = Float32Array.from(stateDense);
  // Tagging reads the dense rows only: the CSR form (the same weights, in label order) is built if something asks for it.
  let sparse: Pick<CrfWeights, 'stateStart' | 'stateLabel' | 'stateWeight'> | undefined;
  const csr = (): Pick<CrfWeights, 'stateStart' | 'stateLabel' | 'stateWeight'> => (sparse ??= sparseRows(stored, A, L));
  return {
    labels: weights.labels,
    attributeIds: ids,
    numAttributes: A,
    get stateStart() {
      return csr().stateStart;
    },
    get stateLabel() {
      return csr().stateLabel;
    },
    get stateWeight() {
      return csr().stateWeight;
    },
    stateDense: stored,
    transition: weights.transition,
  };
}

function sparseRows(stateDense: Float32Array, A: number, L: number): Pick<CrfWeights, 'stateStart' | 'stateLabel' | 'stateWeight'> {
  let features = 0;
  for (let i = 0; i < stateDense.length; i++) if (stateDense[i] !== 0) features++;
  const stateStart = new Uint32Array(A + 1);
  const stateLabel = new Uint16Array(features);
  const stateWeight = new Float64Array(features);
  let k = 0;
  for (let a = 0; a < A; a++) {
    stateStart[a] = k;
    for (let l = 0; l < L; l++) {
      const w = stateDense[a * L + l] as number;
      if (w === 0) continue;
      stateLabel[k] = l;
      stateWeight[k] = w;
      k++;
    }
  }
  stateStart[A] = k;
  return { stateStart, stateLabel, stateWeight };
}

