import type { Entity } from '../text/types.js';

/**
 * Abbreviations that name a disease or a treatment in one context and something else in another: "RA" is
 * rheumatoid arthritis, or room air after an oxygen saturation; "PCP" Pneumocystis pneumonia, or the primary
 * care provider a patient follows up with; "PE" a pulmonary embolism, or the physical examination a note
 * reports; "HD" haemodialysis or Huntington disease, or the hospital day a progress note counts ("HD 3"). The
 * vocabularies list them and the tagger, reading the letters, takes them; this step drops the
 * entity where the words around it give the other sense. The rules are data: the letters as written and the
 * text just before or after that gives the other sense.
 */
export interface AmbiguousAbbreviation {
  /** The abbreviation as written (case-sensitive: "Ra" is no room air), in lower case when `anyCase`. */
  text: string;
  /** The rule holds however the word is written ("cold", "Cold", "COLD"). */
  anyCase?: boolean;
  /** What it means where the rule holds. */
  otherSense: string;
  /** Text before it, on its line, that gives the other sense. */
  before?: RegExp;
  /** Text after it that gives the other sense. */
  after?: RegExp;
}

/** How far either side a rule reads. */
const CONTEXT_CHARS = 40;

/** A word after the abbreviation, as a drug's name follows its dose form. */
const BEFORE_A_NAME = /^\.?\s+[A-Za-z]/;

export const AMBIGUOUS_ABBREVIATIONS: readonly AmbiguousAbbreviation[] = [
  // "Inh Foracort 200": the inhaler a drug is given by ("INH" in capitals is isoniazid, so not in any case)
  { text: 'Inh', otherSense: 'inhaler (a dose form)', after: BEFORE_A_NAME },
  { text: 'inh', otherSense: 'inhaler (a dose form)', after: BEFORE_A_NAME },
  // "worse with hot and cold": a temperature, not the common cold
  {
    text: 'cold',
    anyCase: true,
    otherSense: 'a temperature',
    before: /\bhot\s*(?:and|&|or|\/)\s*$/i,
    after: /^\s*(?:(?:and|&|or|\/)\s*hot\b|(?:water|drinks?|foods?|weather|compress\w*|exposure|sensitivity|stimul\w*|air)\b)/i,
  },
  {
    text: 'RA',
    otherSense: 'room air',
    before: /(?:\d\s*%|\bsp\s?o2|\bsao2|\bsats?\b|\bsaturat\w*|\bo2)[^\n]{0,24}?(?:\bon|\bat|\bin|@)\s*$/i,
    after: /^\s*(?:sats?\b|saturation\b|\d{2,3}\s*%)/i,
  },
  {
    text: 'PCP',
    otherSense: 'primary care provider',
    before: /\b(?:with|to|by|see|seen|your|her|his|their|the|per|from|call|contact|notify|our|primary)\s+$/i,
    after: /^\s*(?:in|for|visit|appointment|office|within|as|next|regarding|follow)\b/i,
  },
  {
    text: 'HD',
    otherSense: 'hospital day',
    after: /^\s*#?\s*\d/,
  },
  {
    text: 'PE',
    otherSense: 'physical examination',
    after: /^\s*(?::|-\s|normal\b|unremarkable\b|wnl\b|benign\b|otherwise\b|was\s+(?:normal|unremarkable))/i,
  },
];

/**
 * Ordinary words a vocabulary happens to list (histidine's "his", a rice allergen extract, "Today" a brand) that
 * the guideline says are never entities alone, in any case. "blood" alone is no treatment ("blood transfusion" is).
 */
export const ORDINARY_WORDS: ReadonlySet<string> = new Set([
  'his', 'her', 'him', 'hers', 'all', 'this', 'that', 'today', 'tonight', 'blood', 'anatomy', 'water', 'rice', 'balance', 'diet', 'rest', 'plan',
  'heavy', 'drugs', 'medicines', 'meds', 'medications', 'alcohol',
  // clinics a note's header names ("Ortho OPD", "Neuro F/U"); Ortho is also a brand
  'ortho', 'neuro', 'paeds', 'peds', 'derm', 'gynae', 'cardio', 'psych', 'opd',
  // advice and measures taken at home, which a prescription may list but the guideline does not count as treatments
  'oral fluids', 'plenty of fluids', 'plenty of oral fluids', 'steam inhalation', 'steam inhalations', 'warm saline gargles', 'saline gargles',
  'salt water gargles', 'warm salt water gargles', 'warm water gargles', 'gargles', 'hot fomentation', 'warm fomentation', 'bed rest', 'salt',
  // severity, which the guideline keeps outside names
  'mild', 'moderate', 'severe', 'mild-moderate', 'moderate-severe',
  // a note's furniture: "Date:", "continue same", "NAD" (no abnormality detected), "Medication:"
  'date', 'same', 'nad',
  // when, around an operation ("hold pre-op"; Pre-Op is also a hexachlorophene scrub's brand)
  'pre-op', 'preop', 'post-op', 'postop', 'peri-op',
]);

/**
 * Abbreviations of investigations a note orders or reports ("Na 128": serum sodium), which a drug vocabulary lists
 * for something else ("TFT" trifluridine, "CMP" cytidine monophosphate) or the tagger reads as a name: a test is no entity.
 */
export const INVESTIGATIONS: ReadonlySet<string> = new Set([
  'tft', 'tfts', 'lft', 'lfts', 'rft', 'rfts', 'kft', 'kfts', 'cbc', 'fbc', 'cmp', 'bmp', 'fbs', 'ppbs', 'rbs', 'abg', 'esr', 'crp', 'inr', 'bun', 'ecg', 'ekg', 'cxr', 'usg', 'na', 'nitrite', 'nitrites',
  'creatinine', 'egfr', 'hba1c', 'tsh', 'pft', 'pfts',
]);

/**
 * Substances a note both gives and measures: followed by a value ("glucose 148 today", "ferritin 12", "potassium
 * 3.1", "calcium 8.2 mg/dL") the name is a result, not a treatment; a dose ("potassium 20 mEq", "glucose 25%") is given.
 */
const MEASURED = new Set(['glucose', 'potassium', 'sodium', 'calcium', 'magnesium', 'phosphate', 'ferritin', 'albumin', 'haemoglobin', 'hemoglobin', 'iron', 'vitamin d', 'b12', 'vitamin b12', 'folate', 'bicarbonate']);
const VALUE_AFTER = /^\s*(?:[:=]|\b(?:level|levels|is|was|of)\b)?\s*\d+(?:[.,]\d+)?(?!\d|[.,]\d)(?!\s*(?:mg|g|gm|mcg|ug|meq|mmol|ml|units?|iu|tabs?|tablets?|caps?|capsules?|%)(?![a-z])(?!\s*\/))/i;

function isMeasuredValue(text: string, entity: Pick<Entity, 'text' | 'end'>): boolean {
  return MEASURED.has(entity.text.toLowerCase()) && VALUE_AFTER.test(text.slice(entity.end, entity.end + 40));
}

/**
 * A disease's name followed by the service, place or procedure it names ("per ACS protocol", "sepsis bundle", "seen
 * in the diabetes clinic", "TB unit"): the words say where or how care is given, not what the patient has. (A
 * treatment's protocol is still given: "chemotherapy protocol".)
 */
const NAMES_A_SERVICE = /^\s*(?:protocol|pathway|bundle|order set|clinic|opd|team|nurse|service|ward|unit|camp)s?\b/i;

/**
 * Words of an operation's or examination's description that name no disease or treatment alone: the steps
 * ("was removed", "closed", "incised"), the means ("sutures", "guidewire"), the position, the tissue
 * ("fascia") and the report's own words ("complications", "indications", "alert and oriented", "in no acute
 * distress"). Over MTSamples notes "incision", "removed" and "closed" had been the commonest treatments after "pain"
 * the commonest disease. A named procedure keeps its name: "excision of the cyst", "wound closure", "aortic
 * dissection", and so does a finding: "respiratory distress".
 */
export const DESCRIPTION_WORDS: ReadonlySet<string> = new Set([
  'removed', 'closed', 'opened', 'excised', 'incised', 'sutured', 'placed', 'exposed', 'extubated', 'intubated',
  'infiltrated', 'irrigated', 'cauterized', 'cauterised', 'ligated', 'divided', 'retracted', 'dissected', 'mobilized',
  'mobilised', 'injected', 'inserted', 'approximated', 'reapproximated', 'transected', 'clamped', 'prepped', 'draped',
  'incision', 'incisions', 'suture', 'sutures', 'guidewire', 'guide wire', 'fascia', 'hemostasis',
  'haemostasis', 'dissection', 'closure', 'supine position', 'prone position', 'lithotomy position',
  'dorsal lithotomy position', 'dorsal-lithotomy position', 'lateral decubitus position',
  'alert', 'oriented', 'distress', 'difficulty', 'symptoms', 'complications', 'indications', 'description', 'cm', 'enlarged', 'dilated',
]);

/** Words that are no entity alone, in any case: the ordinary words, the investigations and the description words, for one lookup. */
const NO_ENTITY_ALONE: ReadonlySet<string> = new Set([...ORDINARY_WORDS, ...INVESTIGATIONS, ...DESCRIPTION_WORDS]);
const LONGEST_NO_ENTITY = Math.max(...[...NO_ENTITY_ALONE].map((word) => word.length));

/** Whether the entity's context gives one of its letters' other senses. */
export function hasOtherSense(text: string, entity: Pick<Entity, 'type' | 'text' | 'start' | 'end'>, rules: readonly AmbiguousAbbreviation[] = AMBIGUOUS_ABBREVIATIONS): boolean {
  if (entity.text.length <= LONGEST_NO_ENTITY && NO_ENTITY_ALONE.has(entity.text.toLowerCase())) return true;
  if (isMeasuredValue(text, entity)) return true;
  if (entity.type === 'disease' && NAMES_A_SERVICE.test(text.slice(entity.end, entity.end + 16))) return true;
  for (const rule of rules) {
    if ((rule.anyCase ? entity.text.toLowerCase() : entity.text) !== rule.text) continue;
    const lineStart = text.lastIndexOf('\n', entity.start - 1) + 1;
    const before = text.slice(Math.max(lineStart, entity.start - CONTEXT_CHARS), entity.start);
    const after = text.slice(entity.end, entity.end + CONTEXT_CHARS);
    if ((rule.before && rule.before.test(before)) || (rule.after && rule.after.test(after))) return true;
  }
  return false;
}

/** The entities by sentence without ordinary words and those whose context gives their letters another sense. */
export function withoutOtherSenses(text: string, found: Entity[][], rules: readonly AmbiguousAbbreviation[] = AMBIGUOUS_ABBREVIATIONS): void {
  for (let s = 0; s < found.length; s++) {
    const entities = found[s] as Entity[];
    const kept = entities.filter((e) => !hasOtherSense(text, e, rules));
    if (kept.length < entities.length) found[s] = kept;
  }
}
