import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

/** public/review/ at the repository root: the same three levels up from src/http/routes and dist/http/routes. */
const ASSETS = new URL('../../../public/review/', import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  '/review': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/review/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/review/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * The review page (static HTML, one script, one stylesheet; no build step). Open: the page holds no data,
 * and its calls to /v1 carry the API key the reviewer enters.
 */
export function reviewPage(app: FastifyInstance): void {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => {
      const body = await readFile(new URL(file, ASSETS));
      return reply.type(type).header('cache-control', 'no-cache').send(body);
    });
  }
}
