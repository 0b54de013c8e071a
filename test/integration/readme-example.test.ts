import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { extract } from '../../src/core/extract.js';
import type { Entity } from '../../src/core/text/types.js';
import { loadModel } from '../../src/registry/model-store.js';
import { servingLoadOptions } from '../../src/registry/serving-options.js';

/** The README's example request and record are what the shipped model answers, so the front door never drifts. */
describe('the README example', () => {
  it('is the record the shipped model gives for the README request', async () => {
    const readme = await readFile(join(import.meta.dirname, '../../README.md'), 'utf8');
    const request = /-d '(\{"noteId".*?\})'/.exec(readme)?.[1];
    const shown = /## One note[\s\S]*?```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    if (!request || !shown) throw new Error('README has no "One note" request and record');
    const { noteId, text } = JSON.parse(request) as { noteId: string; text: string };
    const expected = JSON.parse(shown) as { entities: unknown; diseases: Entity[]; treatments: Entity[] };
    // As served: with the concept codes of the configured vocabularies.
    const config = loadConfig();
    const { model } = await loadModel(config.modelDir, undefined, await servingLoadOptions(config));
    const record = extract(text, model, noteId);
    expect({ ...record, entities: expected.entities }).toEqual(expected);
    expect(record.entities).toEqual([...expected.diseases, ...expected.treatments].sort((a, b) => a.start - b.start));
  });
});
