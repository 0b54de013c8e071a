import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };

/** The oldest Node each supported major line is tested on; `npm ci` must not warn EBADENGINE on any. */
const SUPPORTED = ['20.19.0', '22.13.0', '24.0.0'];

describe('Node versions', () => {
  it('package.json promises the versions the dependencies accept', () => {
    for (const version of SUPPORTED) expect(semver.satisfies(version, manifest.engines.node), version).toBe(true);
  });

  it.each(SUPPORTED)('every locked package accepts Node %s (npm ci would warn EBADENGINE otherwise)', (version) => {
    const refusing = Object.entries(lock.packages)
      .map(([path, entry]) => [path, Array.isArray(entry.engines) ? undefined : entry.engines?.node] as const)
      .filter((row): row is readonly [string, string] => typeof row[1] === 'string' && !semver.satisfies(version, row[1]))
      .map(([path, range]) => `${path} wants node ${range}`);
    expect(refusing).toEqual([]);
  });
});
