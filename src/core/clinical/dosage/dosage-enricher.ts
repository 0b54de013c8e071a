import type { Dosage, Entity } from '../../text/types.js';
import { parseDosageAfter, parseDosageBefore, type DosageFields } from './parse-dosage.js';

/**
 * The record step that gives each drug its dosage (FHIR R4 Dosage; see parse-dosage.ts): read from the words
 * after the drug up to the next treatment or the end of the line, and the form or route written just before
 * it on the same line. A brand's strength (set by the brands step before it) stands as the dose when the
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
        const lineStart = text.lastIndexOf('\n', entity.start - 1) + 1;
        const from = e > 0 ? Math.max(lineStart, Math.min(entity.start, (ordered[e - 1] as Entity).end)) : lineStart;
        const before = parseDosageBefore(text.slice(from, entity.start));
        return { fields: before.fields, start: Math.min(entity.start, from + before.start) };
      });
      for (let e = 0; e < ordered.length; e++) {
        const entity = ordered[e] as Entity;
        const prefix = prefixes[e];
        if (!prefix) continue;
        const newline = text.indexOf('\n', entity.end);
        let after = newline === -1 ? text.length : newline;
        for (let n = e + 1; n < ordered.length; n++) {
          const next = ordered[n] as Entity;
          if (next.start < entity.end || next.type !== 'treatment') continue;
          after = Math.min(after, Math.max(entity.end, prefixes[n]?.start ?? next.start));
          break;
        }
        const parsed = parseDosageAfter(text.slice(entity.end, after));
        const fields: DosageFields = { ...definedOnly(parsed.fields) };
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

function definedOnly(fields: DosageFields): DosageFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as DosageFields;
}
