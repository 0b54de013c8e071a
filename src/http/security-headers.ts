import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Helmet's security headers (its defaults, without a Content-Security-Policy: the API serves JSON, and the
 * docs and review pages load their own scripts) on every response. The middleware is built once:
 * @fastify/helmet built it again for every request, options parsed and a dozen closures made, which cost
 * about a tenth of an extraction request's time on this host.
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  const setHeaders = helmet({ contentSecurityPolicy: false });
  app.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, (error?: unknown) => done(error instanceof Error ? error : undefined));
  });
}
