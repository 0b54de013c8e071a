import type { Dosage, Entity } from '../../text/types.js';
import { parseDosageAfter, parseDosageBefore, trailingDuration, type DosageFields } from './parse-dosage.js';

/**
 * The record step that gives each drug its dosage (FHIR R4 Dosage; see parse-dosage.ts): read from the words
 * after the drug up to the next treatment or the end of the line (at most 240 characters), and the form or route written just before
 * it on the same line; a course length written further along the line after other instructions ("apply OD, 2 cm
 * beyond the margin, x 4 weeks") when the reader stopped short of it. A brand's strength (set by the brands step before it) stands as the dose when the
 * note writes no other. A drug whose note states none of it gets no dosage.
 */
export function dosageEnricher(): { name: string; apply(note: { text: string }, entities: Entity[]): void } {
  return {
    name: 'dosage',
    apply: ({ text }, entities) => {
      const ordered = [...entities].sort((a, b) => a.start - b.start);
      // What each drug's line says before it (its form or route), read first: the dosage of the drug before
      // it ends where that begins ("... at night. Tab Telma 40").
      const prefixes = ordered.map((entity, e) => {
        if (entity.type !== 'treatment' || entity.kind === 'procedure') return null;
        const lineStart = lineStartBefore(text, entity.start);
        const from = e > 0 ? Math.max(lineStart, Math.min(entity.start, (ordered[e - 1] as Entity).end)) : lineStart;
        const before = parseDosageBefore(text.slice(from, entity.start));
        return { fields: before.fields, start: Math.min(entity.start, from + before.start) };
      });
      for (let e = 0; e < ordered.length; e++) {
        const entity = ordered[e] as Entity;
        const prefix = prefixes[e];
        if (!prefix) continue;
        let after = lineEndAfter(text, entity.end);
        for (let n = e + 1; n < ordered.length; n++) {
          const next = ordered[n] as Entity;
          if (next.start < entity.end || next.type !== 'treatment') continue;
          after = Math.min(after, Math.max(entity.end, prefixes[n]?.start ?? next.start));
          break;
        }
        const parsed = parseDosageAfter(text.slice(entity.end, after));
        const fields: DosageFields = { ...definedOnly(parsed.fields) };
        // A course's length after other instructions on the line ("apply OD, 2 cm beyond the margin, x 4 weeks").
        if (fields.boundsDuration === undefined && Object.keys(fields).length > 0) {
          const duration = trailingDuration(text.slice(entity.end + parsed.end, after));
          if (duration) fields.boundsDuration = duration;
        }
        if (prefix.fields.form !== undefined) fields.form = prefix.fields.form;
        if (prefix.fields.route !== undefined && parsed.fields.route === undefined) fields.route = prefix.fields.route;
        const brandDose = entity.dosage?.doseQuantity;
        if (!fields.doseQuantity && brandDose) fields.doseQuantity = brandDose;
        if (Object.keys(fields).length === 0) continue;
        const start = prefix.start;
        const end = Math.max(entity.end, entity.end + parsed.end);
        const dosage: Dosage = { text: text.slice(start, end), start, end, ...fields };
        entity.dosage = dosage;
      }
    },
  };
}

/** How far a dosage reaches on either side of its drug: a long paragraph is not read to its end for every drug. */
const MAX_REACH = 240;

/** The start of the line holding `at`, or MAX_REACH characters before it. */
function lineStartBefore(text: string, at: number): number {
  const from = Math.max(0, at - MAX_REACH);
  for (let i = at - 1; i >= from; i--) if (text.charCodeAt(i) === 10) return i + 1;
  return from;
}

/** The end of the line holding `at`, or MAX_REACH characters after it. */
function lineEndAfter(text: string, at: number): number {
  const to = Math.min(text.length, at + MAX_REACH);
  for (let i = at; i < to; i++) if (text.charCodeAt(i) === 10) return i;
  return to;
}

function definedOnly(fields: DosageFields): DosageFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as DosageFields;
}
