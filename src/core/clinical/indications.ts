import type { Entity } from '../text/types.js';

/**
 * What drugs and procedures are given for: each names the ICD-10-CM codes of the diagnoses it treats. The list is
 * data given by the caller (the shipped data/indications.tsv, read by src/corpus/indications.ts); here it answers
 * whether a note's treatment is one given for a note's diagnosis, which pairs them where the note itself does not
 * say (a list of diagnoses above a list of drugs).
 */
export interface Indication {
  /** A generic name (lower case) or a procedure's name, as a treatment's `generic` or text names it. */
  name: string;
  /**
   * The codes it treats: an ICD-10-CM category ("E11"), a range of categories ("I10-I16"), or a code's beginning
   * longer than a category ("E87.6": hypokalaemia, not every disorder of fluid and electrolytes).
   */
  treats: string[];
}

export interface IndicationKnowledge {
  readonly size: number;
  /**
   * What the treatment (by its ingredients, else the names its text contains) is given for: a test of an
   * ICD-10-CM code; null when the list knows nothing of it.
   */
  forTreatment(treatment: Entity): ((icd10cm: string) => boolean) | null;
  /**
   * For each name the treatment goes by (each ingredient of a combination), what a code is to it: one of its main
   * uses, a secondary use (written `~I20` in the list: given for it where no main use is at hand), or neither.
   */
  usesFor(treatment: Entity): ((icd10cm: string) => Use | null)[];
}

type CodeTest = (code: string) => boolean;

export type Use = 'main' | 'secondary';

/** A use written `~CODE` in the list is secondary: amlodipine's angina beside its hypertension. */
const SECONDARY_MARK = '~';

interface UseTest {
  test: CodeTest;
  use: Use;
}

const CATEGORY = /^[A-Z]\d[0-9A-Z]$/;
const CODE_START = /^[A-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}$/;

/**
 * A code of `treats` as a test of an entity's ICD-10-CM code; null when it is none of the three forms. A
 * secondary use's mark (`~I20`) is read past.
 */
export function codeTest(written: string): CodeTest | null {
  if (written.startsWith(SECONDARY_MARK)) return written.length > 1 && !written.startsWith(SECONDARY_MARK, 1) ? codeTest(written.slice(1)) : null;
  const range = /^([A-Z]\d[0-9A-Z])-([A-Z]\d[0-9A-Z])$/.exec(written);
  if (range) {
    const [, low, high] = range as unknown as [string, string, string];
    if (low > high) return null;
    return (code) => {
      const category = code.slice(0, 3);
      return category >= low && category <= high;
    };
  }
  if (CATEGORY.test(written)) return (code) => code.slice(0, 3) === written;
  if (CODE_START.test(written)) return (code) => code.startsWith(written);
  return null;
}

/** A procedure or drug named by words in a treatment's text ("lap cholecystectomy", "Inj insulin"). */
function wordsIn(text: string, name: string): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(name, from);
    if (at < 0) return false;
    const before = at === 0 ? '' : (text[at - 1] as string);
    const after = text[at + name.length] ?? '';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    from = at + 1;
  }
}

const MAX_REMEMBERED_TEXTS = 10_000;

export function createIndicationKnowledge(indications: readonly Indication[]): IndicationKnowledge {
  const byName = new Map<string, UseTest[]>();
  for (const { name, treats } of indications) {
    const tests = byName.get(name) ?? [];
    for (const written of treats) {
      const test = codeTest(written);
      if (test) tests.push({ test, use: written.startsWith(SECONDARY_MARK) ? 'secondary' : 'main' });
    }
    byName.set(name, tests);
  }
  const names = [...byName.keys()];
  // The names in a treatment's text, remembered per text (the same names recur across notes; the list is long).
  const byText = new Map<string, UseTest[][]>();
  const testsOf = (treatment: Entity): UseTest[][] => {
    if (treatment.generic && treatment.generic.length > 0) {
      const found = treatment.generic.flatMap((g) => {
        const tests = byName.get(g.toLowerCase());
        return tests ? [tests] : [];
      });
      if (found.length > 0) return found;
    }
    const text = treatment.text.toLowerCase();
    let tests = byText.get(text);
    if (tests === undefined) {
      if (byText.size >= MAX_REMEMBERED_TEXTS) byText.clear();
      tests = names.filter((name) => wordsIn(text, name)).map((name) => byName.get(name) as UseTest[]);
      byText.set(text, tests);
    }
    return tests;
  };
  return {
    size: byName.size,
    forTreatment(treatment) {
      const tests = testsOf(treatment).flat();
      if (tests.length === 0) return null;
      return (icd10cm) => {
        const code = icd10cm.toUpperCase();
        return tests.some(({ test }) => test(code));
      };
    },
    usesFor(treatment) {
      return testsOf(treatment).map((tests) => (icd10cm) => {
        const code = icd10cm.toUpperCase();
        let use: Use | null = null;
        for (const test of tests) {
          if (!test.test(code)) continue;
          if (test.use === 'main') return 'main';
          use = 'secondary';
        }
        return use;
      });
    },
  };
}
