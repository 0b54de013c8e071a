import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every relative link of the documentation reaches a file, and every #anchor a heading of it (GitHub's slugs). */
const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', 'docs/operations.md', 'docs/scaling.md', 'docs/mlops.md', 'docs/how-it-works.md', 'docs/review.md', 'docs/annotation-guideline.md', 'docs/benchmarks.md', 'docs/errors.md', 'models/README.md', 'corpus/README.md', 'scripts/experiments/README.md'];

const slug = (heading: string): string =>
  heading.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');

function anchors(file: string): Set<string> {
  return new Set([...readFileSync(file, 'utf8').matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] as string)));
}

describe('documentation links', () => {
  it.each(DOCS.filter((doc) => existsSync(join(ROOT, doc))))('%s links to files and headings that exist', (doc) => {
    const path = join(ROOT, doc);
    const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = match[1] as string;
      if (/^[a-z]+:/.test(link)) continue;
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const file = target === '' ? path : resolve(dirname(path), target);
      if (!existsSync(file)) broken.push(`${link}: no such file`);
      else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) broken.push(`${link}: no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
  });
});
