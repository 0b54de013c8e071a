import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * API keys, compared in constant time: each key is hashed once, the presented key is hashed per request,
 * and the digests (equal length) are compared with timingSafeEqual against every configured key, so
 * neither the match position nor the key length leaks through timing.
 */
export interface ApiKeyCheck {
  readonly enabled: boolean;
  /** The presented key's digest prefix when it is valid (a rate-limit bucket, never the key), else undefined. */
  authenticate(headers: IncomingHttpHeaders): string | undefined;
}

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  return undefined;
}

export function createApiKeyCheck(keys: readonly string[]): ApiKeyCheck {
  const digests = keys.map(digest);
  return {
    enabled: digests.length > 0,
    authenticate(headers) {
      const key = presentedKey(headers);
      if (key === undefined) return undefined;
      const presented = digest(key);
      let matched = false;
      for (const candidate of digests) matched = timingSafeEqual(candidate, presented) || matched;
      return matched ? presented.toString('hex', 0, 8) : undefined;
    },
  };
}
