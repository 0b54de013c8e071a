import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, on a registry of their own (not prom-client's global one), so every
 * app built in a test has fresh counters and the API and worker processes register what they use.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly notes: Counter<'outcome'>;
  readonly tokens: Counter;
  readonly entities: Counter<'type'>;
  readonly extractionDuration: Histogram;
  readonly modelInfo: Gauge<'version'>;
  /** Hot reloads: versions swapped in, and versions refused (by error code) while the old model kept serving. */
  readonly modelReloads: Counter;
  readonly modelReloadRefusals: Counter<'code'>;
  /** 1 while the production pointer names a version this process refused (it serves the previous one). */
  readonly modelReloadRefused: Gauge;
}

export function createServiceMetrics(options: { processMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'behealthy_' });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'behealthy_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    notes: new Counter({ name: 'behealthy_notes_total', help: 'Notes extracted, by outcome (ok, rejected)', labelNames: ['outcome'], registers: [registry] }),
    tokens: new Counter({ name: 'behealthy_tokens_total', help: 'Tokens tagged', registers: [registry] }),
    entities: new Counter({ name: 'behealthy_entities_total', help: 'Entities extracted, by type', labelNames: ['type'], registers: [registry] }),
    extractionDuration: new Histogram({
      name: 'behealthy_extraction_duration_seconds',
      help: 'Time to extract one note (tokenize, features, CRF, spans, pairs)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    modelInfo: new Gauge({
      name: 'behealthy_model_info',
      help: 'The model version serving extraction (value 1)',
      labelNames: ['version'],
      registers: [registry],
      // Across cluster workers: one series per version, not a count of workers.
      aggregator: 'max',
    }),
    modelReloads: new Counter({ name: 'behealthy_model_reloads_total', help: 'Model versions swapped in by hot reload (per process)', registers: [registry] }),
    modelReloadRefusals: new Counter({
      name: 'behealthy_model_reload_refusals_total',
      help: 'Promoted model versions a process refused to load (failed verification), by error code; the previous model kept serving',
      labelNames: ['code'],
      registers: [registry],
    }),
    modelReloadRefused: new Gauge({
      name: 'behealthy_model_reload_refused',
      help: '1 while the production pointer names a version this process refused to load: it serves the previous version, and a restarted process would fail to start',
      registers: [registry],
      aggregator: 'max',
    }),
  };
}
