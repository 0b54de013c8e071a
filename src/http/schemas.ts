import { Type, type Static } from 'typebox';
import { ASSERTIONS } from '../core/text/types.js';

/**
 * Request and response schemas: they validate requests (Ajv, no type coercion), serialize responses
 * (fast-json-stringify) and are the OpenAPI document at /docs. Limits come from the configuration.
 */

export interface SchemaLimits {
  maxNoteChars: number;
  maxBatchNotes: number;
}

const noteId = Type.String({ minLength: 1, maxLength: 256, description: 'The caller\'s id for the note; echoed in the record' });

const QuantitySchema = Type.Object({ value: Type.Number(), unit: Type.String({ description: 'UCUM code (mg, ug, g, mL, [iU], U, %, {puff}, {tablet}; d, wk, mo, h for durations)' }) });

const DosageSchema = Type.Object(
  {
    text: Type.String({ description: 'The note\'s words for it, the drug\'s name included: exactly text.slice(start, end)' }),
    start: Type.Integer({ minimum: 0 }),
    end: Type.Integer({ minimum: 0 }),
    doseQuantity: Type.Optional(QuantitySchema),
    timing: Type.Optional(
      Type.Object({
        frequency: Type.Number({ description: 'Times per period' }),
        period: Type.Number(),
        periodUnit: Type.Union([Type.Literal('min'), Type.Literal('h'), Type.Literal('d'), Type.Literal('wk'), Type.Literal('mo')]),
        when: Type.Optional(Type.Array(Type.String(), { description: 'FHIR EventTiming codes: ACM (before breakfast), AC, PC, C, HS, MORN, NIGHT, …' })),
      }),
    ),
    boundsDuration: Type.Optional(QuantitySchema),
    asNeeded: Type.Optional(Type.Boolean()),
    route: Type.Optional(Type.String({ description: 'oral, intravenous, intramuscular, subcutaneous, topical, inhalation, …' })),
    form: Type.Optional(Type.String({ description: 'tablet, capsule, syrup, injection, cream, inhaler, …' })),
  },
  { description: 'How the drug is to be taken, as FHIR R4 Dosage names it; a field the note does not state is absent' },
);

export const EntitySchema = Type.Object(
  {
    type: Type.Union([Type.Literal('disease'), Type.Literal('treatment')]),
    kind: Type.Optional(
      Type.Union([Type.Literal('diagnosis'), Type.Literal('symptom'), Type.Literal('drug'), Type.Literal('procedure')], {
        description: 'A disease is a diagnosis or a symptom (symptoms stay under diseases; pairs use diagnoses), a treatment a drug or a procedure. Set by models trained with kinds',
      }),
    ),
    text: Type.String({ description: 'Exactly text.slice(start, end)' }),
    start: Type.Integer({ minimum: 0, description: 'UTF-16 offset of the first character' }),
    end: Type.Integer({ minimum: 0, description: 'UTF-16 offset after the last character' }),
    // Optional only for stored records written before entities carried them; extraction always sets both.
    assertion: Type.Optional(
      Type.Union(ASSERTIONS.map((assertion) => Type.Literal(assertion)), {
        description: 'What the note says of it: present, absent (negated), possible (uncertain), historical, or family (a relative\'s). Always set by extraction; missing only in records stored before it existed',
      }),
    ),
    confidence: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          'Calibrated probability that this exact span is right: the CRF\'s span marginal mapped to the precision observed at it out of fold. Always set by extraction; missing only in records stored before it existed',
      }),
    ),
    codes: Type.Optional(
      Type.Array(
        Type.Object({
          system: Type.Union([Type.Literal('ICD-10-CM'), Type.Literal('DOID'), Type.Literal('DrugBank')]),
          code: Type.String(),
          display: Type.String(),
          score: Type.Number({ minimum: 0, maximum: 1, description: 'How closely the name matched the concept' }),
        }),
        { description: 'The concepts the name stands for, best first: ICD-10-CM candidates and the Disease Ontology term for a disease, DrugBank ids of a drug\'s ingredients' },
      ),
    ),
    generic: Type.Optional(Type.Array(Type.String(), { description: 'A drug\'s active ingredients, generic names (a brand\'s, from the brand list)' })),
    dosage: Type.Optional(DosageSchema),
  },
  { $id: 'Entity' },
);

export const RecordSchema = Type.Object(
  {
    noteId: Type.Optional(Type.String()),
    modelVersion: Type.String(),
    diseases: Type.Array(Type.Ref('Entity')),
    treatments: Type.Array(Type.Ref('Entity')),
    pairs: Type.Array(
      Type.Object({
        disease: Type.String(),
        treatment: Type.String(),
        evidence: Type.Optional(
          Type.String({ description: 'Why they are paired: explicit-link, same-line, same-sentence, problem-block, dx-rx-sections, single-diagnosis, indication (the treatment is given for the diagnosis, by the indication list). Missing only in records stored before it existed' }),
        ),
      }),
      {
        description: 'A present diagnosis and a drug or procedure the note names with it (a link such as "for" or "on", one line or sentence, the Dx and Rx sections of a short note) or, for a treatment the note gives no diagnosis, a present diagnosis it is given for (indication); symptoms, absent, possible, historical and family mentions form no pair',
      },
    ),
    entities: Type.Array(Type.Ref('Entity'), { description: 'Every entity in note order' }),
  },
  { $id: 'Record' },
);

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A stable NER_ERR_* code (docs/errors.md)' }),
      message: Type.String(),
    }),
  },
  { $id: 'Error' },
);

export function extractRequestSchema({ maxNoteChars }: SchemaLimits) {
  return Type.Object(
    {
      text: Type.String({ maxLength: maxNoteChars, description: `The note, at most ${maxNoteChars} characters` }),
      noteId: Type.Optional(noteId),
    },
    { additionalProperties: false },
  );
}

export function batchRequestSchema({ maxNoteChars, maxBatchNotes }: SchemaLimits) {
  return Type.Object(
    {
      notes: Type.Array(
        Type.Object({ id: noteId, text: Type.String({ maxLength: maxNoteChars }) }, { additionalProperties: false }),
        { minItems: 1, maxItems: maxBatchNotes, description: `1 to ${maxBatchNotes} notes; records come back in this order` },
      ),
    },
    { additionalProperties: false },
  );
}

export type ExtractRequest = Static<ReturnType<typeof extractRequestSchema>>;
export type BatchRequest = Static<ReturnType<typeof batchRequestSchema>>;

/** Error responses every /v1 route can give, for the OpenAPI document. */
export const V1_ERROR_RESPONSES = {
  400: Type.Ref('Error'),
  401: Type.Ref('Error'),
  413: Type.Ref('Error'),
  415: Type.Ref('Error'),
  429: Type.Ref('Error'),
  503: Type.Ref('Error'),
} as const;
