import { randomUUID } from 'node:crypto';
import type { ConceptCode, Dosage, Entity, ExtractionRecord } from '../core/text/types.js';

/**
 * A record as a FHIR R4 Bundle (type collection), for integrators who read FHIR: the note's patient (a Patient
 * with no identifiers: the note does not name one), each disease the patient has or had as a Condition, a
 * relative's as a FamilyMemberHistory, each drug as a MedicationStatement (with its Dosage, and the diagnoses it
 * is paired with as its reasons), each procedure as a Procedure. Every resource keeps the note's words in its
 * text, and is referenced by `urn:uuid:` full URLs as bundles do.
 *
 * Assertions map to FHIR's statuses: a disease present → Condition verificationStatus confirmed, clinicalStatus
 * active; possible → provisional; absent → refuted (no clinicalStatus); historical → confirmed, resolved; family
 * → FamilyMemberHistory. A drug present → MedicationStatement active; historical → completed; absent →
 * not-taken; possible → intended.
 */

export const FHIR_MEDIA_TYPE = 'application/fhir+json';

export const CODE_SYSTEMS: Readonly<Record<ConceptCode['system'], string>> = {
  'ICD-10-CM': 'http://hl7.org/fhir/sid/icd-10-cm',
  DOID: 'http://purl.obolibrary.org/obo/doid.owl',
  DrugBank: 'https://go.drugbank.com/drugs',
};

const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const UCUM = 'http://unitsofmeasure.org';

type Json = Record<string, unknown>;

const concept = (text: string, codes: readonly ConceptCode[] | undefined): Json => ({
  ...(codes && codes.length > 0 ? { coding: codes.map((c) => ({ system: CODE_SYSTEMS[c.system], code: c.code, display: c.display })) } : {}),
  text,
});

const coded = (system: string, code: string, display?: string): Json => ({ coding: [{ system, code, ...(display ? { display } : {}) }] });

/** UCUM codes for the units notes write; a unit not listed keeps its text without a code. */
const UCUM_CODES: Readonly<Record<string, string>> = { mg: 'mg', g: 'g', mcg: 'ug', ug: 'ug', ml: 'mL', mL: 'mL', l: 'L', IU: '[iU]', iu: '[iU]', '%': '%', d: 'd', wk: 'wk', mo: 'mo', h: 'h', min: 'min', a: 'a' };

const quantity = (q: { value: number; unit: string }): Json => ({ value: q.value, unit: q.unit, ...(UCUM_CODES[q.unit] ? { system: UCUM, code: UCUM_CODES[q.unit] } : {}) });

/** The record's Dosage (FHIR-shaped already) as FHIR's Dosage element. */
export function fhirDosage(dosage: Dosage): Json {
  const repeat: Json = {
    ...(dosage.timing ? { frequency: dosage.timing.frequency, period: dosage.timing.period, periodUnit: dosage.timing.periodUnit, ...(dosage.timing.when?.length ? { when: dosage.timing.when } : {}) } : {}),
    ...(dosage.boundsDuration ? { boundsDuration: quantity(dosage.boundsDuration) } : {}),
  };
  return {
    text: dosage.text,
    ...(Object.keys(repeat).length > 0 ? { timing: { repeat } } : {}),
    ...(dosage.asNeeded === undefined ? {} : { asNeededBoolean: dosage.asNeeded }),
    ...(dosage.route ? { route: { text: dosage.route } } : {}),
    ...(dosage.form ? { method: { text: dosage.form } } : {}),
    ...(dosage.doseQuantity ? { doseAndRate: [{ doseQuantity: quantity(dosage.doseQuantity) }] } : {}),
  };
}

export function recordToFhirBundle(record: ExtractionRecord, options: { now?: Date; id?: () => string } = {}): Json {
  const id = options.id ?? randomUUID;
  const now = (options.now ?? new Date()).toISOString();
  const patientUrl = `urn:uuid:${id()}`;
  const patient = { reference: patientUrl, type: 'Patient' };
  const entries: Json[] = [{ fullUrl: patientUrl, resource: { resourceType: 'Patient' } }];
  const conditionUrls = new Map<string, string>();
  const add = (resource: Json): string => {
    const url = `urn:uuid:${id()}`;
    entries.push({ fullUrl: url, resource });
    return url;
  };
  const identifier = (entity: Entity): Json[] =>
    record.noteId === undefined ? [] : [{ system: 'urn:behealthy:note-entity', value: `${record.noteId}#${entity.start}-${entity.end}` }];

  for (const entity of record.diseases) {
    if (entity.assertion === 'family') {
      add({
        resourceType: 'FamilyMemberHistory',
        status: 'completed',
        patient,
        date: now,
        relationship: coded(ROLE_CODE, 'FAMMEMB', 'family member'),
        condition: [{ code: concept(entity.text, entity.codes) }],
      });
      continue;
    }
    const verification = entity.assertion === 'absent' ? 'refuted' : entity.assertion === 'possible' ? 'provisional' : 'confirmed';
    const clinical = entity.assertion === 'historical' ? 'resolved' : 'active';
    const url = add({
      resourceType: 'Condition',
      ...(identifier(entity).length > 0 ? { identifier: identifier(entity) } : {}),
      // A refuted condition has no clinical status (FHIR's con-3 and con-5).
      ...(verification === 'refuted' ? {} : { clinicalStatus: coded(CONDITION_CLINICAL, clinical) }),
      verificationStatus: coded(CONDITION_VERIFICATION, verification),
      category: [coded(CONDITION_CATEGORY, 'encounter-diagnosis', 'Encounter Diagnosis')],
      code: concept(entity.text, entity.codes),
      subject: patient,
      recordedDate: now,
    });
    if (!conditionUrls.has(entity.text.toLowerCase())) conditionUrls.set(entity.text.toLowerCase(), url);
  }

  const reasons = (entity: Entity): Json[] => {
    const urls = record.pairs.filter((p) => p.treatment.toLowerCase() === entity.text.toLowerCase()).map((p) => conditionUrls.get(p.disease.toLowerCase()));
    return [...new Set(urls.filter((u): u is string => u !== undefined))].map((reference) => ({ reference, type: 'Condition' }));
  };
  for (const entity of record.treatments) {
    if (entity.assertion === 'family') continue;
    const reasonReference = reasons(entity);
    if (entity.kind === 'procedure') {
      add({
        resourceType: 'Procedure',
        ...(identifier(entity).length > 0 ? { identifier: identifier(entity) } : {}),
        status: entity.assertion === 'absent' ? 'not-done' : entity.assertion === 'possible' ? 'preparation' : 'completed',
        code: concept(entity.text, entity.codes),
        subject: patient,
        ...(reasonReference.length > 0 ? { reasonReference } : {}),
      });
      continue;
    }
    const status = entity.assertion === 'absent' ? 'not-taken' : entity.assertion === 'historical' ? 'completed' : entity.assertion === 'possible' ? 'intended' : 'active';
    const ingredients = entity.generic && entity.generic.length > 0 ? ` (${entity.generic.join(' + ')})` : '';
    add({
      resourceType: 'MedicationStatement',
      ...(identifier(entity).length > 0 ? { identifier: identifier(entity) } : {}),
      status,
      medicationCodeableConcept: concept(`${entity.text}${ingredients}`, entity.codes),
      subject: patient,
      dateAsserted: now,
      ...(reasonReference.length > 0 ? { reasonReference } : {}),
      ...(entity.dosage ? { dosage: [fhirDosage(entity.dosage)] } : {}),
    });
  }
  return { resourceType: 'Bundle', type: 'collection', timestamp: now, entry: entries };
}
