/**
 * The assertion lexicon, as data: trigger phrases, pseudo-triggers, scope terminators and section headers.
 * assertion.ts compiles it once into a token trie; nothing here is code.
 *
 * Sources: NegEx (Chapman et al. 2001, and its later trigger lists) for negation and pseudo-negation,
 * ConText (Harkema et al. 2009) for uncertainty, temporality (historical), experiencer (family), the
 * per-category termination terms and bidirectional/backward triggers.
 *
 * Phrases are written in lower case and are tokenized with the note tokenizer (src/core/text/tokenizer.ts), so
 * `r/o`, `s/p`, `h/o`, `w/o` are single tokens, `mother's` is `mother` `'s`, and `?` is a token of its own.
 * Matching is case-insensitive, on whole tokens, longest phrase first, left to right (a trigger, pseudo-trigger
 * or terminator that starts inside an earlier, longer match is not seen: "no increase" hides "no").
 * `<year>` in a phrase stands for any year token 1900-2099 ("in <year>" matches "in 2019").
 *
 * - `forward`: the trigger modifies what follows it ("no fever").
 * - `backward`: what precedes it ("pneumonia was ruled out").
 * - `both`: either side ("? pneumonia", "pneumonia ?"; "mother with diabetes", "diabetes in her mother").
 */
import type { Assertion } from '../text/types.js';

/** The assertion a trigger gives: every assertion except the default, `present`. */
export type TriggerCategory = Exclude<Assertion, 'present'>;
export type TriggerDirection = 'forward' | 'backward' | 'both';

export interface AssertionTrigger {
  phrase: string;
  category: TriggerCategory;
  direction: TriggerDirection;
  /** Reaches diseases only: "risks of anesthesia, bleeding, infection" doubts the complications, not the anaesthetic. */
  diseasesOnly?: boolean;
  /** Words its forward scope reaches, where not the rules' forwardWindow: a consent's list of risks runs long. */
  window?: number;
}

/**
 * Ends the scope of the triggers of `categories` (of every category when omitted) that reach it; with
 * `direction`, only scopes running that way (a comma ends a backward scope, never a forward list).
 * A terminator also ends a section's category for the rest of its sentence ("PMH: HTN. On metformin").
 */
export interface ScopeTerminator {
  phrase: string;
  categories?: readonly TriggerCategory[];
  direction?: 'forward' | 'backward';
}

/**
 * A section header: the phrase before a `:` at the start of a line or sentence. A header with a category
 * opens a section whose entities get that category (unless a trigger of higher precedence reaches them);
 * a header with `null` is a neutral section that ends the previous one. A section lasts until the next
 * header or a blank line (a blank line right after the header, before any content, does not end it).
 */
export interface SectionHeader {
  phrase: string;
  category: TriggerCategory | null;
}

/**
 * A phrase naming what care prevents, screens for or weighs as a risk ("DVT prophylaxis", "to prevent stroke",
 * "colon cancer screening"). Unlike a trigger it reaches only the disease right beside it (`backward`: the one
 * ending right before it; `forward`: the first entity after it, past fillers and one other word), which becomes
 * possible as after "risk of": the patient is not said to have it, and a drug given for it is not a treatment of it.
 */
export interface PreventionPhrase {
  phrase: string;
  direction: 'forward' | 'backward';
}

export interface PreventionLexicon {
  phrases: readonly PreventionPhrase[];
  /**
   * Last words of conditions whose prophylaxis keeps the patient's own disease from flaring ("gout prophylaxis",
   * "migraine prophylaxis"): the phrase leaves them present.
   */
  relapsing: readonly string[];
  /** Words that say the condition happened before ("secondary stroke prevention", "to prevent further bleeding"). */
  recurrence: readonly string[];
}

export interface AssertionLexicon {
  triggers: readonly AssertionTrigger[];
  preventions?: PreventionLexicon;
  /** Phrases that contain a trigger but do not assert anything ("no increase", "gram negative"). */
  pseudoTriggers: readonly string[];
  terminators: readonly ScopeTerminator[];
  sections: readonly SectionHeader[];
}

const forward = (category: TriggerCategory, phrases: readonly string[]): AssertionTrigger[] =>
  phrases.map((phrase) => ({ phrase, category, direction: 'forward' }));
const backward = (category: TriggerCategory, phrases: readonly string[]): AssertionTrigger[] =>
  phrases.map((phrase) => ({ phrase, category, direction: 'backward' }));
const both = (category: TriggerCategory, phrases: readonly string[]): AssertionTrigger[] =>
  phrases.map((phrase) => ({ phrase, category, direction: 'both' }));

// ---------------------------------------------------------------------------------------------------
// Negation (absent).

const NEGATION_FORWARD = [
  'no', 'not', 'without', 'w/o', 'denies', 'denied', 'deny', 'denying', 'denies any', 'denied any',
  'negative for', 'neg for', 'was negative for', 'is negative for', 'tested negative for',
  'free of', 'absence of', 'absent', 'never', 'never had', 'none', 'nor', 'neither',
  'no evidence of', 'no evidence for', 'no evidence to suggest', 'no signs of', 'no sign of', 'no symptoms of',
  'no complaints of', 'no findings of', 'no findings to indicate', 'no suspicious', 'no new', 'no further',
  'no history of', 'no prior history of', 'no previous history of', 'no known history of', 'no past history of',
  'no personal history of', 'no h/o', 'no hx of', 'no hx', 'no known', 'no significant', 'no obvious',
  'denies any history of', 'denies history of', 'denies a history of', 'negative history of', 'no past medical history of',
  'rules out', 'ruled out', 'ruled him out', 'ruled her out', 'ruled the patient out', 'ruled out for',
  'has been ruled out for', 'fails to reveal', 'failed to reveal', 'not demonstrate', 'did not demonstrate',
  'does not demonstrate', 'not have', 'did not have', 'does not have', 'doesn\'t have', 'didn\'t have',
  'not had', 'has not had', 'have not had', 'not taking', 'not on', 'unremarkable for', 'no longer has',
  'no longer have', 'not experiencing', 'not complaining of', 'not evidence of', 'without evidence of',
  'without any', 'without signs of', 'without symptoms of', 'with no', 'unlikely', 'unlikely to be', 'not likely',
  'nil', 'no e/o', 'no c/o', 'no complaint of', 'no complaints',
  'no features of', 'no features suggestive of', 'no clinical features of', 'not suggestive of', 'not consistent with',
  'not suggestive', 'refused', 'refuses', 'declined', 'declines', 'opted out of',
];

const NEGATION_BACKWARD = [
  'was ruled out', 'were ruled out', 'is ruled out', 'are ruled out', 'has been ruled out', 'have been ruled out',
  'been ruled out', 'ruled out', 'was excluded', 'were excluded', 'is excluded', 'has been excluded', 'excluded',
  'is unlikely', 'are unlikely', 'was unlikely', 'unlikely', 'is negative', 'was negative', 'were negative',
  'are negative', 'negative', 'neg', 'not seen', 'not present', 'is not present', 'was not present',
  'are not present', 'were not present', 'not identified', 'not appreciated', 'not noted', 'not found',
  'not detected', 'was not seen', 'were not seen', 'not visualized', 'not demonstrated', 'is absent', 'are absent',
  'was absent', 'were absent', 'absent', 'free', 'denied', 'not required', 'not needed', 'not indicated',
  'not given', 'not received', 'not done', 'not performed', 'not started', 'not administered', 'not prescribed',
  'was not required', 'was not needed', 'was not given', 'is not required', 'is not needed', 'is not indicated',
  'not evident', 'not observed', 'not elicited', 'was declined', 'declined', 'refused', 'was refused',
];

// ---------------------------------------------------------------------------------------------------
// Uncertainty (possible). "r/o" and "rule out" mean "to be ruled out": possible, not absent.

const POSSIBLE_FORWARD = [
  'possible', 'possibly', 'probable', 'probably', 'suspected', 'suspect', 'suspicion of', 'suspicion for',
  'suspicious for', 'suspicious of', 'likely', 'most likely', 'more likely', 'is likely', 'likely to be',
  'concern for', 'concerning for', 'concerned about', 'worrisome for', 'worry for', 'questionable',
  'question of', 'questionably', 'cannot exclude', 'can not exclude', 'cannot be excluded', 'could not exclude',
  'cannot rule out', 'can not rule out', 'could not rule out', 'not ruled out', 'not excluded', 'not rule out',
  'may have', 'may have had', 'may be', 'might be', 'might have', 'could be', 'could have', 'could represent',
  'may represent', 'might represent', 'suggestive of', 'suggests', 'suggesting', 'suggest', 'presumed', 'presumably',
  'presumptive', 'equivocal', 'differential diagnosis', 'differential diagnoses', 'differential includes',
  'ddx', 'r/o', 'rule out', 'to rule out', 'rule-out', 'versus', 'vs', 'vs.', 'evaluate for', 'to evaluate for',
  'work up for', 'workup for', 'assess for', 'to assess for', 'rule out for', 'question',
  'uncertain', 'unclear', 'not sure', 'not certain', 'not certain if', 'not certain whether', 'either',
  'maybe', 'perhaps', 'apparent', 'apparently', 'consider', 'considered', 'considering',
  'possibility of', 'at risk for', 'risk of', 'risk for', 'if', 'in case of', 'should', '?', '??', 'query', '?query',
  'may need', 'may require', 'might need', 'may benefit from', 'could benefit from', 'watch for', 'monitor for',
  'observe for', 'look for', 'screen for', 'to exclude', 'differential', 'differentials', 'd/d',
  // a drug given as needed on a condition ("Ondem 2 ml SOS if vomiting"): the condition is uncertain, the drug is
  // prescribed (the longer phrase keeps backward "if" off the drug)
  'sos if', 'prn if', 'as needed if', 's.o.s. if',
];

const POSSIBLE_BACKWARD = [
  'suspected', 'if', 'is suspected', 'was suspected', 'are suspected', 'is possible', 'is probable',
  'is questionable', 'is not excluded', 'was not excluded', 'cannot be excluded', 'can not be excluded',
  'could not be excluded', 'cannot be ruled out', 'can not be ruled out', 'could not be ruled out',
  'not ruled out', 'is not ruled out', 'was not ruled out', 'is in the differential', 'is considered',
  'was considered', 'versus', 'vs', 'vs.', 'or not', '?', '??', 'to be considered', 'is being considered', 'query',
  'less likely', 'is less likely', 'is possible', 'is probable', 'is questionable',
];

// ---------------------------------------------------------------------------------------------------
// Temporality (historical).

const HISTORICAL_FORWARD = [
  'history of', 'hx of', 'h/o', 'hx', 'with a history of', 'a history of', 'past history of', 'past history',
  'past medical history', 'past medical history of', 'past medical history significant for',
  'past medical history is significant for', 'past surgical history', 'past surgical history of', 'pmh', 'pmhx',
  'psh', 'medical history', 'surgical history', 'previous history of', 'prior history of', 'personal history of',
  'known history of', 'remote history of', 'significant history of', 'status post', 's/p', 'sp', 'previously',
  'previous', 'prior', 'formerly', 'former', 'in the past', 'remote', 'old', 'history significant for',
  'was treated with', 'was treated for', 'underwent', 'had undergone', 'has undergone', 'was on', 'was taking',
  'used to take', 'used to', 'no longer', 'no longer on', 'no longer taking', 'stopped', 'discontinued',
  'stop', 'discontinue', 'cease', 'ceased',
  'completed', 'has completed', 'childhood', 'resolution of', 'resolved', 'in <year>', 'until <year>', '<year> :',
  'last year', 'earlier this year', 'the previous year', 'the year before', 'past hx of', 'recovered from', 'post',
];

const HISTORICAL_BACKWARD = [
  'ago', 'years ago', 'year ago', 'months ago', 'month ago', 'weeks ago', 'in the past', 'previously',
  'was discontinued', 'were discontinued', 'has been discontinued', 'discontinued', 'was stopped', 'were stopped',
  'was held', 'in childhood', 'as a child', 'in the remote past', 'has resolved', 'have resolved', 'resolved',
  'had resolved', 'was resolved', 'in <year>', 'until <year>', 'last year', 'earlier this year', '( <year> )',
  'years back', 'year back', 'months back', 'month back', 'yrs ago', 'yr ago', 'yrs back', 'stopped',
  'stop', 'discontinue', 'ceased',
  'last month', 'last week', 'has since resolved', 'since resolved', 'have since resolved',
];

// ---------------------------------------------------------------------------------------------------
// Experiencer (family).

const FAMILY_MEMBERS = [
  'mother', 'father', 'sister', 'brother', 'sisters', 'brothers', 'sibling', 'siblings', 'parent', 'parents',
  'son', 'sons', 'daughter', 'daughters', 'aunt', 'aunts', 'uncle', 'uncles', 'grandmother', 'grandfather',
  'grandmothers', 'grandfathers', 'grandparent', 'grandparents', 'cousin', 'cousins', 'niece', 'nephew',
  'mom', 'dad', 'maternal', 'paternal', 'mgm', 'mgf', 'pgm', 'pgf', 'half-sister', 'half-brother',
  'relative', 'relatives', 'family member', 'family members', 'wife', 'husband', 'spouse',
];

const FAMILY_BACKWARD = ['runs in the family', 'runs in family', 'in the family', 'in family', 'in his family', 'in her family'];

const FAMILY_FORWARD = [
  'family history', 'family history of', 'family hx', 'family hx of', 'fhx', 'fhx of', 'fh of', 'fh significant for',
  'family history is significant for', 'family history significant for', 'family history positive for',
  'family history is positive for', 'strong family history of', 'no family history of', 'family history negative for',
  'family history is negative for', 'negative family history of', 'no family hx of', 'no fhx of', 'family h/o',
  'f/h', 'fh/o', 'f/h/o', 'no family h/o',
];

// ---------------------------------------------------------------------------------------------------
// Pseudo-triggers: contain a trigger word but assert nothing (NegEx's pseudo-negations, ConText's pseudo terms).

const PSEUDO_TRIGGERS = [
  // negation
  'no increase', 'no increased', 'no significant increase', 'no change', 'no significant change', 'no interval change',
  'no definite change', 'no suspicious change', 'no decrease', 'no significant decrease', 'not only', 'not necessarily',
  'not just', 'not extend', 'not cause', 'not drain', 'not certain if', 'not certain whether', 'gram negative',
  'gram-negative', 'gram neg', 'without difficulty', 'without complication', 'without complications',
  'without incident', 'without any difficulty', 'without any complications', 'without any problems', 'no improvement',
  'not improved', 'no relief', 'no response', 'not responding', 'not tolerating', 'poorly tolerated', 'not relieved', 'not resolved', 'not respond', 'not responded', 'did not respond',
  'has not responded', 'did not improve', 'not improve', 'no worsening', 'not been', 'not tolerate', 'not tolerated',
  'did not tolerate', 'could not tolerate', 'not well controlled', 'not controlled', 'poorly controlled', 'no cause of',
  'no source of', 'no etiology', 'no explanation', 'no reason', 'not clear', 'not aware',
  'no acute distress', 'negative pressure', 'rh negative', 'neg pressure', 'not able',
  'free text', 'free water', 'sugar free', 'fat free', 'free wall', 'not examined', 'not tested',
  // uncertainty
  'likely to benefit', 'no question', 'without question', 'questionnaire', 'if needed', 'if necessary',
  'as needed', 'if any', 'even if', 'if he', 'if she', 'if they', 'if the patient', 'versus placebo',
  'should be', 'should he', 'should she', 'should the patient', 'she should', 'he should', 'patient should',
  'consider him', 'consider her', 'question mark', 'suggest that', 'suggests that', 'suggested that',
  'either side', 'either way', 'risk factors', 'risk factor', 'risks and benefits', 'risks, benefits',
  'risk of the procedure', 'not limited to', 'apparent distress', 'no apparent distress',
  // history
  'history of present illness', 'history of the present illness', 'history of presenting illness', 'social history',
  'history and physical', 'history & physical', 'history taking', 'poor history', 'history was obtained',
  'history obtained', 'history is obtained', 'history per', 'history from', 'history given by', 'history provided by',
  'medical history is otherwise', 'prior to', 'prior to admission', 'prior to arrival', 'previous to',
  'year old', 'years old', 'yr old', 'yrs old', 'y old', 'month old', 'months old', 'week old', 'weeks old',
  'day old', 'days old', 'old man', 'old woman', 'old male', 'old female', 'old boy', 'old girl', 'old gentleman', 'old lady', 'old patient',
  'old white', 'old black', 'old caucasian', 'old african', 'old hispanic', 'old asian', 'old right-handed',
  'old left-handed', 'old gravida', 'old g1', 'old g2', 'old g3', 'old g4', 'old g5', 'old g6', 'old primigravida',
  'old multigravida', 'old child', 'old infant', 'old baby', 'old who', 'old with', 'year-old', 'month-old',
  'day-old', 'week-old', 'last name', 'last night', 'at last', 'last seen', 'last visit', 'last evaluated',
  'stopped by', 'completed the', 'completed a',
  // family
  'mother states', 'mother reports', 'mother says', 'mother notes', 'mother brought', 'mother is present',
  'father states', 'father reports', 'father says', 'parents state', 'parents report', 'per mother', 'per father',
  'per family', 'per parents', 'by mother', 'by father', 'by family', 'by parents', 'with mother', 'with father',
  'with family', 'with parents', 'with his mother', 'with her mother', 'with his father', 'with her father',
  'with his family', 'with her family', 'with his wife', 'lives with', 'accompanied by', 'family is present',
  'family was present', 'family present', 'family members present', 'discussed with family', 'family meeting',
  'family practice', 'family physician', 'family doctor', 'family medicine', 'family at bedside', 'family planning',
  'family support', 'son states', 'daughter states', 'wife states', 'husband states', 'son reports', 'daughter reports',
  'wife reports', 'husband reports', 'with her husband', 'by his wife', 'by her husband', 'per wife', 'per husband',
  'family history is noncontributory', 'family history noncontributory', 'family history: noncontributory',
  'mother tongue', 'child-pugh', 'childbearing', 'childbirth', 'children\'s', 'in children', 'child abuse',
  // "relative" as a measure, not a relative
  'relative risk', 'relative contraindication', 'relative contraindications', 'relative indication', 'relative indications',
  'relative hypotension', 'relative bradycardia', 'relative tachycardia', 'relative adrenal insufficiency', 'relative polycythemia',
  'relative afferent pupillary defect',
  // a reporter's negation is the patient's: "mother denies fever" is the patient's absent fever, via 'denies'
];

/** A relative who reports, notices or consents for the patient: "parents have noted left exotropia". */
const REPORTING_RELATIVES = ['mother', 'father', 'parents', 'parent', 'mom', 'dad', 'wife', 'husband', 'spouse', 'family', 'son', 'daughter'];
const REPORTING_VERBS = [
  'states', 'stated', 'reports', 'reported', 'says', 'said', 'notes', 'noted', 'noticed', 'has noted', 'have noted',
  'has noticed', 'have noticed', 'is concerned', 'are concerned', 'was concerned', 'were concerned', 'brought',
  'agreed', 'agree', 'consented', 'consent', 'understands', 'understand', 'requested', 'request', 'believes', 'feels',
  'thinks', 'describes', 'described', 'observed', 'gives', 'gave', 'calls', 'called', 'phoned', 'phones', 'rang',
];
const RELATIVE_REPORTS = REPORTING_RELATIVES.flatMap((relative) =>
  REPORTING_VERBS.flatMap((verb) => [`${relative} ${verb}`, `${relative} ${verb} that`, `the ${relative} ${verb}`]),
);

/** Family-member words that report for the patient rather than have the entity ("mother denies fever"). */
const FAMILY_REPORTED_NEGATION = ['mother denies', 'father denies', 'parents deny', 'family denies', 'mother denied', 'father denied', 'parents denied', 'family denied'];

// ---------------------------------------------------------------------------------------------------
// Scope terminators.

const ALL_TERMINATORS = [
  'but', 'however', 'although', 'though', 'yet', 'except', 'except for', 'except that', 'apart from', 'aside from',
  'other than', 'besides', 'which', 'who', 'whose', 'whom', 'where', 'whereas', 'while', 'nevertheless',
  'nonetheless', 'unless', 'instead', 'because', 'since', 'presents',
  'presented', 'presenting', 'presents with', 'complains', 'complained', 'complaining', 'c/o', 'came in',
  'comes in', 'admitted', 'reports', 'reported', 'states', 'stated', 'admits', 'admits to', 'endorses', ';',
];

/** Words that end a negation scope: what follows is named as a cause, not negated (NegEx). */
const CAUSE_TERMINATORS = [
  'secondary to', 'as a cause', 'as the cause', 'as a cause of', 'as the cause of', 'as the source of',
  'as the reason for', 'as the etiology of', 'as the origin of', 'cause of', 'cause for', 'causes of', 'source of',
  'source for', 'etiology of', 'etiology for', 'origin of', 'origin for', 'reason for', 'reasons for',
  'trigger event for',
];

/** Words that end a negation or uncertainty scope: what follows is affirmed, found or acted on. */
const NEGATION_TERMINATORS = [
  'positive for', 'significant for', 'remarkable for', 'consistent with', 'with evidence of', 'notes', 'noted',
  'found', 'revealed', 'reveals', 'showed', 'shows', 'demonstrated', 'demonstrates', 'then', 'given',
  'started on', 'placed on', 'treated with', 'will', 'was given', 'received', 'still', 'rather',
  // how long the present illness has lasted ("a 4-month history of polyarthritis", "3 day history of fever")
  ...['hour', 'day', 'week', 'month', 'year', 'yr'].flatMap((unit) => [`${unit} history of`, `${unit}s history of`, `${unit} h/o`, `${unit}s h/o`]),
  // a stop that is planned or conditional, not done: the drug is given now
  'stop if', 'stop when', 'stop once', 'stop after', 'then stop', 'and stop', 'do not stop', "don't stop", 'not to stop',
  'stop in case of', 'discontinue if', 'discontinue when', 'then discontinue', 'do not discontinue',
];

/** Words that end an experiencer (family) scope: the sentence is back on the patient. */
const FAMILY_TERMINATORS = [
  'patient', 'pt', 'the patient', 'he', 'she', 'he has', 'she has', 'he had', 'she had', 'him', 'himself',
  'herself', 'patient has', 'patient had', 'pt has', 'pt had', 'he is', 'she is', 'he was', 'she was', 'i',
  'we', 'himself', 'otherwise', 'personal',
];

/** Words that end a historical scope: the sentence is back to the present. */
const HISTORICAL_TERMINATORS = [
  'now', 'currently', 'current', 'presently', 'present', 'today', 'tonight', 'this morning', 'this admission',
  'this time', 'at this time', 'at present', 'recent', 'recently', 'new', 'new onset', 'new-onset', 'since then',
  'ongoing', 'continues', 'continued', 'is on', 'is taking', 'on', 'takes', 'taking', 'remains', 'still', 'again',
  'here for', 'here with', 'here today', 'residual', 'persisting',
  // a switch: what follows is given now ("Stop Losar-H, start Losar 50")
  'start', 'started', 'starting', 'restart', 'restarted', 'resume', 'resumed', 'switch to', 'switched to', 'change to',
  'changed to', 'instead', 'please use', 'replace with', 'replaced with', 'replaced by',
];

// ---------------------------------------------------------------------------------------------------
// Prevention: "enoxaparin 40 mg SC OD for DVT prophylaxis" gives enoxaparin, not a patient with DVT.

const PREVENTED_BEFORE = [
  'prophylaxis', 'ppx', 'prevention', 'preventive', 'screening', 'screen', 'risk', 'vaccine', 'vaccination',
  'immunization', 'immunisation', 'booster',
];

const PREVENTED_AFTER = [
  'prophylaxis for', 'prophylaxis against', 'prophylaxis of', 'ppx for', 'prophylactic against', 'prophylactic for',
  'prevention of', 'for prevention of', 'to prevent', 'prevent', 'prevents', 'preventing', 'to avoid',
  'screening for', 'screened for', 'vaccine against', 'vaccinated against', 'vaccination against', 'immunized against',
  'immunised against',
];

// What a procedure may cause, told before consent: "Risks of anesthesia, bleeding, infection, MI, DVT were discussed".
const COMPLICATIONS_FORWARD = [
  'risks of', 'risks include', 'risks included', 'risks including', 'risks such as', 'risks are', 'risks were',
  'risks to include', 'risks which include', 'risks that include',
  'possible risks', 'potential risks', 'complications include', 'complications included', 'complications including',
  'complications such as', 'possible complications', 'potential complications', 'risks and complications',
  // "Risks included but were not limited to bleeding": "but" would end the list's scope, and "not" negate it
  'but not limited to', 'but are not limited to', 'but were not limited to', 'but is not limited to', 'but was not limited to',
];

/** "Risks of bleeding, infection, injury to nerves and vital structures, need for reoperation, stiffness, arthritis": the list to its end. */
const COMPLICATIONS_WINDOW = 30;

const RELAPSING_CONDITIONS = [
  'gout', 'migraine', 'migraines', 'headache', 'headaches', 'angina', 'asthma', 'epilepsy', 'uti', 'utis',
  'infections', 'cellulitis', 'fever', 'angioedema', 'hae', 'crisis', 'crises', 'herpes', 'hsv', 'sores',
  'haemophilia', 'hemophilia', 'disorder', 'attacks', 'flares',
];

const RECURRENCE_WORDS = [
  'further', 'another', 'recurrent', 'recurrence', 'recurring', 'secondary', 'repeat', 'repeated', 'more', 'worsening',
  'progression', 'progressive', 'exacerbation', 'exacerbations', 'relapse', 'relapses', 'flare', 'flares',
];

// ---------------------------------------------------------------------------------------------------
// Section headers.

const SECTIONS: readonly SectionHeader[] = [
  ...['family history', 'family hx', 'fhx', 'fh', 'family medical history', 'family and social history',
    'family/social history', 'family history/social history'].map((phrase) => ({ phrase, category: 'family' as const })),
  ...['past medical history', 'pmh', 'pmhx', 'past history', 'medical history', 'past medical/surgical history',
    'past medical and surgical history', 'past surgical history', 'psh', 'pshx', 'surgical history',
    'past surgeries', 'previous surgeries', 'prior surgeries', 'surgeries', 'past medical history/past surgical history',
    'past illnesses', 'past medical problems', 'prior history', 'previous history', 'operations',
    'previous operations', 'past procedures', 'prior procedures', 'past psychiatric history', 'past ocular history',
    'hospitalizations', 'past hospitalizations', 'previous hospitalizations', 'past medications',
    'previous medications', 'prior medications', 'immunizations'].map((phrase) => ({ phrase, category: 'historical' as const })),
  // Neutral sections: they end the previous section and assert nothing themselves. "Allergies:" is neutral:
  // an allergy is neither absent, possible, historical nor a relative's (the allergen is not given, but
  // the reaction may well be present), so entities there keep what their own sentence says.
  ...['differential diagnosis', 'differential diagnoses', 'differential', 'differentials', 'ddx'].map(
    (phrase) => ({ phrase, category: 'possible' as const }),
  ),
  ...['allergies', 'allergy', 'drug allergies', 'medication allergies', 'social history', 'sh', 'shx',
    'medications', 'meds', 'current medications', 'home medications', 'medications on admission',
    'admission medications', 'discharge medications', 'outpatient medications', 'chief complaint', 'cc',
    'reason for visit', 'reason for consultation', 'reason for referral', 'history of present illness',
    'hpi', 'history', 'review of systems', 'ros', 'physical examination', 'physical exam', 'pe', 'exam',
    'examination', 'vital signs', 'vitals', 'labs', 'laboratory', 'laboratory data', 'laboratory studies',
    'imaging', 'radiology', 'studies', 'diagnostic studies', 'assessment', 'assessment and plan', 'a/p',
    'impression', 'impression and plan', 'plan', 'diagnosis', 'diagnoses', 'admission diagnosis',
    'discharge diagnosis', 'preoperative diagnosis', 'postoperative diagnosis', 'procedure', 'procedures',
    'procedure performed', 'findings', 'indication', 'indications', 'disposition', 'hospital course',
    'course', 'subjective', 'objective', 'general', 'heent', 'neck', 'lungs', 'chest', 'heart',
    'cardiovascular', 'abdomen', 'extremities', 'neurologic', 'neurological', 'neuro', 'skin', 'psych',
    'psychiatric', 'recommendations', 'recommendation', 'problem list', 'problems', 'habits', 'occupation',
    'tobacco', 'alcohol', 'drugs', 'vaccinations', 'note', 'comments', 'follow-up', 'followup', 'follow up',
    'ed course', 'emergency department course', 'clinical history', 'present illness', 'current illness',
    'interval history', 'anesthesia', 'complications', 'estimated blood loss', 'specimens', 'description of procedure',
    'description of the procedure', 'technique', 'conclusion', 'summary', 'signed', 'dictated by'].map(
    (phrase) => ({ phrase, category: null }),
  ),
];

export const DEFAULT_ASSERTION_LEXICON: AssertionLexicon = {
  triggers: [
    ...forward('absent', NEGATION_FORWARD),
    ...backward('absent', NEGATION_BACKWARD),
    ...forward('absent', FAMILY_REPORTED_NEGATION),
    ...forward('possible', POSSIBLE_FORWARD),
    ...backward('possible', POSSIBLE_BACKWARD),
    ...forward('possible', COMPLICATIONS_FORWARD).map((trigger) => ({ ...trigger, diseasesOnly: true, window: COMPLICATIONS_WINDOW })),
    ...forward('historical', HISTORICAL_FORWARD),
    ...backward('historical', HISTORICAL_BACKWARD),
    ...both('family', FAMILY_MEMBERS),
    ...forward('family', FAMILY_FORWARD),
    ...backward('family', FAMILY_BACKWARD),
  ],
  preventions: {
    phrases: [
      ...PREVENTED_BEFORE.map((phrase) => ({ phrase, direction: 'backward' as const })),
      ...PREVENTED_AFTER.map((phrase) => ({ phrase, direction: 'forward' as const })),
    ],
    relapsing: RELAPSING_CONDITIONS,
    recurrence: RECURRENCE_WORDS,
  },
  pseudoTriggers: [...PSEUDO_TRIGGERS, ...RELATIVE_REPORTS, 'as per the family', 'per the family', 'as per family', "patient's parents", "patient's family"],
  terminators: [
    ...ALL_TERMINATORS.map((phrase) => ({ phrase })),
    ...NEGATION_TERMINATORS.map((phrase) => ({ phrase, categories: ['absent', 'possible'] as const })),
    ...CAUSE_TERMINATORS.map((phrase) => ({ phrase, categories: ['absent'] as const })),
    { phrase: ',', direction: 'backward' as const },
    ...FAMILY_TERMINATORS.map((phrase) => ({ phrase, categories: ['family'] as const })),
    ...HISTORICAL_TERMINATORS.map((phrase) => ({ phrase, categories: ['historical'] as const })),
  ],
  sections: SECTIONS,
};
