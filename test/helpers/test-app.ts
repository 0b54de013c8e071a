import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { SequenceTagger } from '../../src/core/extract.js';
import { createExtractor } from '../../src/extractor.js';
import { buildApp, type AppConfig, type AppDeps } from '../../src/http/build-app.js';
import type { DependencyCheck } from '../../src/dependency-check.js';
import { createServiceMetrics, type ServiceMetrics } from '../../src/monitoring/metrics.js';
import type { NightlyRunStore } from '../../src/store/nightly-run-store.js';
import type { ReviewStore } from '../../src/store/review-store.js';


/**
 * A dictionary tagger standing in for the CRF in route tests: the routes are under test here, not the
 * model, so the expected entities are known exactly. (The shipped model is served in http-server.test.ts.)
 */
export const dictionaryTagger: SequenceTagger = {
  version: 'dictionary-1',
  labelEncoding: 'IO',
  spanRules: [],
  tag: (words) => words.map((w) => (/^(cancer|diabetes|typhoid|asthma)$/i.test(w) ? 'D' : /^(cisplatin|metformin|azithromycin|chemotherapy)$/i.test(w) ? 'T' : 'O')),
};

export const TEST_CONFIG: AppConfig = {
  logLevel: 'info',
  apiKeys: [],
  rateLimitPerMinute: 0,
  maxNoteChars: 2_000,
  maxBatchNotes: 5,
  bodyLimitBytes: 64 * 1024,
  maxJobNotes: 50,
  jobBodyLimitBytes: 256 * 1024,
  redisUrl: 'redis://127.0.0.1:1',
  databaseUrl: 'postgres://127.0.0.1:1/none',
};

export interface TestApp {
  app: FastifyInstance;
  metrics: ServiceMetrics;
  /** Every log line written so far. */
  logs(): string;
}

export async function testApp(
  options: { config?: Partial<AppConfig>; dependencies?: DependencyCheck[]; tagger?: SequenceTagger; nightlyRuns?: NightlyRunStore; reviews?: ReviewStore; onCorrections?: AppDeps['onCorrections'] } & Pick<AppDeps, 'queues' | 'store' | 'jobs'> = {},
): Promise<TestApp> {
  const metrics = createServiceMetrics({ processMetrics: false });
  const logStream = new PassThrough();
  const lines: string[] = [];
  logStream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  const app = await buildApp({
    config: { ...TEST_CONFIG, ...options.config },
    extractor: createExtractor(options.tagger ?? dictionaryTagger, metrics),
    metrics,
    dependencies: options.dependencies ?? [],
    ...(options.nightlyRuns ? { nightlyRuns: options.nightlyRuns } : {}),
    ...(options.reviews ? { reviews: options.reviews } : {}),
    ...(options.onCorrections ? { onCorrections: options.onCorrections } : {}),
    ...(options.queues ? { queues: options.queues } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    logStream,
  });
  return { app, metrics, logs: () => lines.join('') };
}
