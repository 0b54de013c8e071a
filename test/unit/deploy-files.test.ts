import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { Histogram, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/config.js';
import { createServiceMetrics } from '../../src/monitoring/metrics.js';
import { registerNightlyMetrics } from '../../src/monitoring/nightly-metrics.js';
import { registerIngestMetrics } from '../../src/monitoring/ingest-metrics.js';
import { registerQueueMetrics } from '../../src/monitoring/queue-metrics.js';
import type { NightlyRunStore } from '../../src/store/nightly-run-store.js';

/**
 * The deployment files (deploy/, docker-compose.yml, Dockerfile) against the code: every metric a dashboard
 * panel or an alert queries exists with the labels it filters on, and the compose services, volumes and
 * mounts refer to each other. No Docker engine is needed; promtool (Debian's `prometheus` package) checks
 * the Prometheus files when it is installed.
 */

const root = PROJECT_ROOT;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const readYaml = <T>(path: string): T => parse(read(path)) as T;

// ---------- the metrics that exist ----------

interface KnownMetric {
  labels: readonly string[];
}

/** Labels Prometheus adds to every scraped series (prometheus.yml's target labels). */
const TARGET_LABELS = ['job', 'instance', 'service'];

/**
 * Gauges of the latest nightly run (issue 5) that the dashboard and the alerts rely on, with their labels:
 * provided by the nightly job (registerNightlyMetrics reads them from PostgreSQL at scrape time). A test
 * below checks that the nightly metrics module registers exactly these.
 */
const PROVIDED_BY_NIGHTLY_JOB: Record<string, readonly string[]> = {
  behealthy_drift_score: ['feature'],
  behealthy_drift_level: [],
  behealthy_nightly_last_run_timestamp_seconds: [],
  behealthy_nightly_last_run_notes: [],
  behealthy_nightly_last_run_failed_notes: [],
  behealthy_nightly_last_success_timestamp_seconds: [],
};

/** Series from Prometheus itself. */
const FROM_PROMETHEUS: Record<string, readonly string[]> = { up: [] };

const noNightlyRuns = { latestFinished: async () => null, latestCompleted: async () => null } as unknown as NightlyRunStore;

/** What the API registers on its registry (src/http/start-api.ts), name → label names. */
function apiRegistry() {
  const { registry } = createServiceMetrics();
  // Queue and nightly metrics read Redis / PostgreSQL at scrape time: here they only need registering.
  registerQueueMetrics(registry, { queues: [], redis: { status: 'end' } as unknown as Redis, notesProcessedKey: 'test:behealthy:notes-processed' });
  registerNightlyMetrics(registry, noNightlyRuns);
  registerIngestMetrics(registry, { redis: { status: 'end' } as unknown as Redis, prefix: 'test' });
  return registry;
}

function knownMetrics(): Map<string, KnownMetric> {
  const registry = apiRegistry();
  const known = new Map<string, KnownMetric>();
  const add = (name: string, labels: readonly string[]): void => {
    known.set(name, { labels: [...labels, ...TARGET_LABELS] });
  };
  for (const [name, labels] of Object.entries(FROM_PROMETHEUS)) add(name, labels);
  for (const metric of registry.getMetricsAsArray()) {
    const { name, labelNames = [] } = metric as unknown as { name: string; labelNames?: string[] };
    if (metric instanceof Histogram) {
      add(`${name}_bucket`, [...labelNames, 'le']);
      add(`${name}_sum`, labelNames);
      add(`${name}_count`, labelNames);
    } else {
      add(name, labelNames);
    }
  }
  return known;
}

// ---------- PromQL: which metrics an expression selects, with which label matchers ----------

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);

interface Selector {
  name: string;
  matchers: { label: string; op: string; value: string }[];
}

/** The metric selectors of a PromQL expression (functions, keywords, grouping labels and Grafana variables left out). */
export function selectorsOf(expr: string): Selector[] {
  const text = expr
    .replace(/\$\{?\w+\}?/g, 'VAR') // Grafana variables ($__rate_interval, $route) stand for durations or values
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping labels
  const selectors: Selector[] = [];
  const pattern = /(?<![\w:."])([a-zA-Z_:][\w:]*)\s*(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?(\s*\()?/g;
  for (const match of text.matchAll(pattern)) {
    const [, name = '', braces, call] = match;
    if (call || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    const matchers = [...(braces ?? '').matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, label = '', op = '', value = '']) => ({ label, op, value }));
    selectors.push({ name, matchers });
  }
  return selectors;
}

function checkExpressions(exprs: { where: string; expr: string }[], known: Map<string, KnownMetric>): string[] {
  const problems: string[] = [];
  for (const { where, expr } of exprs) {
    const selectors = selectorsOf(expr);
    if (selectors.length === 0 && !/^\s*time\(\)\s*$/.test(expr)) problems.push(`${where}: no metric found in ${expr}`);
    for (const { name, matchers } of selectors) {
      const metric = known.get(name);
      if (!metric) {
        problems.push(`${where}: unknown metric ${name}`);
        continue;
      }
      for (const { label } of matchers) if (!metric.labels.includes(label)) problems.push(`${where}: ${name} has no label ${label}`);
    }
  }
  return problems;
}

// ---------- the files ----------

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const alertGroups = (): { name: string; rules: AlertRule[] }[] => readYaml<{ groups: { name: string; rules: AlertRule[] }[] }>('deploy/prometheus/alerts.yml').groups;
const alertRules = (): AlertRule[] => alertGroups().flatMap((group) => group.rules);

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: { name: string; type: string; query?: string | { query?: string }; datasource?: { uid?: string } }[] };
}
const dashboard = (): Dashboard => JSON.parse(read('deploy/grafana/dashboards/behealthy.json')) as Dashboard;
const allPanels = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

function dashboardExpressions(d: Dashboard): { where: string; expr: string }[] {
  const exprs = allPanels(d).flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr ?? '' })));
  for (const variable of d.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
    const inner = /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1];
    if (inner) exprs.push({ where: `variable ${variable.name}`, expr: inner });
  }
  return exprs;
}

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
/** docker-compose.yml with its YAML anchors and merge keys (<<) resolved, as Compose reads it. */
const compose = (): Compose => parse(read('docker-compose.yml'), { merge: true }) as Compose;

/** "${VAR:-default}" → default: the value Compose uses when the variable is unset. */
const withDefaults = (value: unknown): string => String(value ?? '').replace(/\$\{\w+:-([^}]*)\}/g, '$1');

function mountsOf(service: ComposeService): { source: string; target: string; readOnly: boolean }[] {
  return (service.volumes ?? []).map((spec) => {
    const [source = '', target = '', mode] = spec.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

// ---------- tests ----------

describe('metrics used by the dashboard and the alerts', () => {
  const known = knownMetrics();

  it('the PromQL reader finds metric selectors and leaves functions, keywords and grouping labels out', () => {
    expect(selectorsOf('sum by (le, route) (rate(behealthy_http_request_duration_seconds_bucket{route=~"/v1/extract|x"}[5m])) > 0.5')).toEqual([
      { name: 'behealthy_http_request_duration_seconds_bucket', matchers: [{ label: 'route', op: '=~', value: '/v1/extract|x' }] },
    ]);
    expect(selectorsOf('a_total / ignoring (type) group_left sum(rate(b_total{outcome="ok"}[$__rate_interval])) and on () time() - c offset 30m > 1e3').map((s) => s.name)).toEqual(['a_total', 'b_total', 'c']);
  });

  it('every metric and label in an alert rule exists', () => {
    const exprs = alertRules().map((rule) => ({ where: `alert ${rule.alert ?? rule.record}`, expr: rule.expr }));
    expect(exprs.length).toBeGreaterThan(0);
    expect(checkExpressions(exprs, known)).toEqual([]);
  });

  it('every metric and label in a dashboard query exists', () => {
    const exprs = dashboardExpressions(dashboard());
    expect(exprs.length).toBeGreaterThan(20);
    expect(checkExpressions(exprs, known)).toEqual([]);
  });

  it('the drift and nightly gauges provided by the nightly job are registered with their labels, and used', () => {
    const registry = new Registry();
    registerNightlyMetrics(registry, noNightlyRuns);
    const registered = Object.fromEntries(registry.getMetricsAsArray().map((m) => [(m as unknown as { name: string }).name, (m as unknown as { labelNames?: string[] }).labelNames ?? []]));
    expect(registered).toEqual(PROVIDED_BY_NIGHTLY_JOB);
    const used = new Set([...alertRules().map((r) => r.expr), ...dashboardExpressions(dashboard()).map((e) => e.expr)].flatMap((expr) => selectorsOf(expr).map((s) => s.name)));
    for (const name of Object.keys(PROVIDED_BY_NIGHTLY_JOB)) expect(used, name).toContain(name);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  it('has the alerts of issue 5, each with a severity, a for: duration, a summary and a description saying what to do', () => {
    const rules = alertRules();
    const names = new Set(rules.map((rule) => rule.alert));
    // error rate, p99 latency, queue backlog age, failed jobs, drift above threshold, no nightly run
    for (const name of ['BehealthyHighErrorRate', 'BehealthyHighLatencyP99', 'BehealthyQueueBacklogAge', 'BehealthyQueueJobsFailed', 'BehealthyDriftHigh', 'BehealthyNightlyRunMissing']) {
      expect(names, name).toContain(name);
    }
    for (const rule of rules) {
      expect(rule.alert, rule.expr).toMatch(/^Behealthy[A-Z]\w+$/);
      expect(['warning', 'critical'], `${rule.alert} severity`).toContain(rule.labels?.severity);
      expect(rule.for, `${rule.alert} for`).toMatch(/^\d+[smhd]$/);
      expect(rule.annotations?.summary, `${rule.alert} summary`).toBeTruthy();
      expect((rule.annotations?.description ?? '').length, `${rule.alert} description`).toBeGreaterThan(80);
    }
  });
});

describe('deploy/grafana', () => {
  const datasources = readYaml<{ apiVersion: number; datasources: { uid: string; type: string; url: string }[] }>('deploy/grafana/provisioning/datasources/prometheus.yml');
  const providers = readYaml<{ apiVersion: number; providers: { type: string; options: { path: string } }[] }>('deploy/grafana/provisioning/dashboards/behealthy.yml');

  it('the dashboard is a Grafana dashboard: uid, title, panels on the 24-column grid without overlaps, ids unique', () => {
    const d = dashboard();
    expect(d.uid).toMatch(/^[\w-]{1,40}$/);
    expect(d.title).toBeTruthy();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    const panels = allPanels(d);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Map<string, string>();
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos;
      expect([x, y, w, h].every(Number.isInteger), panel.title).toBe(true);
      expect(x >= 0 && w > 0 && h > 0 && x + w <= 24, `${panel.title} gridPos ${JSON.stringify(panel.gridPos)}`).toBe(true);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const other = cells.get(`${i},${j}`);
          expect(other, `${panel.title} overlaps ${other}`).toBeUndefined();
          cells.set(`${i},${j}`, panel.title);
        }
      }
    }
  });

  it('every panel queries the provisioned Prometheus datasource by uid, each target with a refId and an expr', () => {
    const [datasource] = datasources.datasources;
    expect(datasource).toMatchObject({ type: 'prometheus', uid: expect.any(String) });
    for (const panel of allPanels(dashboard()).filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: datasource?.uid });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.refId, panel.title).toMatch(/^[A-Z]$/);
        expect(target.expr, panel.title).toBeTruthy();
        expect(target.datasource?.uid, panel.title).toBe(datasource?.uid);
      }
    }
  });

  it('has the panels the issue asks for', () => {
    const titles = allPanels(dashboard()).map((p) => p.title.toLowerCase());
    for (const wanted of ['request rate by route and status', 'latency p50 / p95 / p99', 'error rate', 'queue depth', 'notes/s', 'entities per note', 'extraction time', 'drift score per feature', 'drift level', 'last nightly run', 'last run: notes']) {
      expect(titles.some((title) => title.includes(wanted)), wanted).toBe(true);
    }
    const exprs = dashboardExpressions(dashboard()).map((e) => e.expr);
    for (const q of ['0.5', '0.95', '0.99']) expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q}, sum by (le) (rate(behealthy_http_request_duration_seconds_bucket`))).toBe(true);
  });

  it('the datasource points at the compose prometheus service; the provider loads the folder compose mounts the dashboard into', () => {
    const c = compose();
    const url = new URL(datasources.datasources[0]?.url ?? '');
    expect(c.services[url.hostname], `service ${url.hostname}`).toBeDefined();
    expect(url.port).toBe('9090');
    const [provider] = providers.providers;
    expect(provider?.type).toBe('file');
    const grafanaMounts = mountsOf(c.services.grafana ?? {});
    const dashboardsMount = grafanaMounts.find((m) => m.target === provider?.options.path);
    expect(dashboardsMount?.source).toBe('./deploy/grafana/dashboards');
    expect(grafanaMounts).toContainEqual({ source: './deploy/grafana/provisioning', target: '/etc/grafana/provisioning', readOnly: true });
    const home = withDefaults(c.services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    expect(home.startsWith(`${provider?.options.path}/`)).toBe(true);
    expect(existsSync(join(root, 'deploy/grafana/dashboards', home.slice((provider?.options.path.length ?? 0) + 1)))).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const c = compose();

  it('has the services of the stack', () => {
    expect(Object.keys(c.services).sort()).toEqual(['api', 'grafana', 'postgres', 'prometheus', 'redis', 'worker']);
    expect(c.services.api?.command).toEqual(['serve']);
    expect(c.services.worker?.command).toEqual(['worker']);
  });

  it('api and worker reach Redis and PostgreSQL by their service names, with the database credentials postgres is given', () => {
    const pg = c.services.postgres?.environment ?? {};
    for (const name of ['api', 'worker']) {
      const env = c.services[name]?.environment ?? {};
      const redis = new URL(withDefaults(env.REDIS_URL));
      expect(redis.hostname, `${name} REDIS_URL`).toBe('redis');
      expect(redis.port || '6379').toBe('6379');
      const db = new URL(withDefaults(env.DATABASE_URL));
      expect(db.hostname, `${name} DATABASE_URL`).toBe('postgres');
      expect(db.port || '5432').toBe('5432');
      expect(db.username).toBe(withDefaults(pg.POSTGRES_USER));
      expect(db.password).toBe(withDefaults(pg.POSTGRES_PASSWORD));
      expect(db.pathname).toBe(`/${withDefaults(pg.POSTGRES_DB)}`);
      expect(c.services[name]?.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
    }
  });

  it('the worker has the nightly inbox and outbox as volumes where INBOX_DIR and OUTBOX_DIR point', () => {
    for (const name of ['api', 'worker']) {
      const env = c.services[name]?.environment ?? {};
      const targets = mountsOf(c.services[name] ?? {}).map((m) => m.target);
      expect(targets, name).toContain(env.INBOX_DIR);
      expect(targets, name).toContain(env.OUTBOX_DIR);
    }
    const worker = mountsOf(c.services.worker ?? {});
    expect(worker.filter((m) => m.target.startsWith('/app/var/')).every((m) => !m.readOnly)).toBe(true);
    expect(withDefaults(c.services.worker?.environment?.NIGHTLY_CRON).split(' ')).toHaveLength(5);
  });

  it('every named volume is declared, every declared one used, every bind mount exists in the repository', () => {
    const declared = Object.keys(c.volumes ?? {});
    const used = new Set<string>();
    for (const [name, service] of Object.entries(c.services)) {
      for (const { source } of mountsOf(service)) {
        if (source.startsWith('./') || source.startsWith('/')) expect(existsSync(resolve(root, source)), `${name}: ${source}`).toBe(true);
        else {
          expect(declared, `${name}: volume ${source}`).toContain(source);
          used.add(source);
        }
      }
    }
    expect([...used].sort()).toEqual([...declared].sort());
  });

  it('depends_on names services; service_healthy only on services with a health check', () => {
    const dockerfileHasHealthcheck = /^HEALTHCHECK /m.test(read('Dockerfile'));
    for (const [name, service] of Object.entries(c.services)) {
      for (const [dependency, { condition } = {}] of Object.entries(service.depends_on ?? {})) {
        const other = c.services[dependency];
        expect(other, `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(Boolean(other?.healthcheck?.test) || (Boolean(other?.build) && dockerfileHasHealthcheck && !other?.healthcheck?.disable), `${dependency} health check`).toBe(true);
      }
    }
    for (const name of ['api', 'redis', 'postgres', 'prometheus', 'grafana']) expect(c.services[name]?.healthcheck?.test, `${name} health check`).toBeTruthy();
    expect(JSON.stringify(c.services.grafana?.healthcheck?.test)).toContain('/api/health');
  });

  it('redis persists its data: append-only file on a volume at its --dir', () => {
    const command = c.services.redis?.command as string[];
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes');
    expect(command[command.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    const dir = command[command.indexOf('--dir') + 1];
    expect(mountsOf(c.services.redis ?? {}).some((m) => m.target === dir && (c.volumes ?? {})[m.source] !== undefined)).toBe(true);
  });

  it('prometheus gets deploy/prometheus as its config folder and scrapes the api service on its port', () => {
    const prometheus = c.services.prometheus ?? {};
    const configFile = (prometheus.command as string[]).find((arg) => arg.startsWith('--config.file='))?.split('=')[1] ?? '';
    const mount = mountsOf(prometheus).find((m) => configFile.startsWith(`${m.target}/`));
    expect(mount?.source).toBe('./deploy/prometheus');
    expect(existsSync(join(root, 'deploy/prometheus', configFile.slice((mount?.target.length ?? 0) + 1)))).toBe(true);
    const config = readYaml<{ rule_files: string[]; scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] }>('deploy/prometheus/prometheus.yml');
    for (const file of config.rule_files) expect(existsSync(join(root, 'deploy/prometheus', file)), file).toBe(true);
    const api = config.scrape_configs.find((s) => s.job_name === 'behealthy-api');
    expect(api?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(api?.static_configs.flatMap((s) => s.targets)).toEqual([`api:${withDefaults(c.services.api?.environment?.PORT)}`]);
    // the alerts' job label is the scrape job's name
    for (const rule of alertRules()) for (const { name, matchers } of selectorsOf(rule.expr)) for (const m of matchers) if (m.label === 'job') expect(m.value, `${rule.alert} ${name}`).toBe(api?.job_name);
  });
});

// ---------- Compose's own parser, when installed ----------

const succeeds = (command: string, args: string[]): boolean => spawnSync(command, args, { encoding: 'utf8' }).status === 0;
const composeCli = succeeds('docker', ['compose', 'version']) ? 'plugin' : succeeds('docker-compose', ['version']) ? 'v1' : undefined;
if (!composeCli && process.env.CI) throw new Error('CI runs every test: install docker-compose (.ci/run does)');
if (!composeCli) console.log('neither `docker compose` nor docker-compose is installed: skipping `config --quiet` on docker-compose.yml');

describe.skipIf(!composeCli)('docker compose config', () => {
  it('docker-compose.yml passes `config --quiet`', () => {
    let result;
    if (composeCli === 'plugin') {
      result = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--quiet'], { cwd: root, encoding: 'utf8' });
    } else {
      // Debian's docker-compose 1.29 predates the top-level `name` (Compose v2): it checks the rest.
      const dir = mkdtempSync(join(tmpdir(), 'behealthy-compose-'));
      try {
        writeFileSync(join(dir, 'docker-compose.yml'), read('docker-compose.yml').replace(/^name: .*$/m, ''));
        result = spawnSync('docker-compose', ['-f', join(dir, 'docker-compose.yml'), '--project-directory', root, 'config', '--quiet'], { cwd: root, encoding: 'utf8' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

// ---------- promtool (Debian's `prometheus` package), when installed ----------

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!promtool && process.env.CI) throw new Error('CI runs every test: install promtool (apt-get install prometheus; .ci/run does)');
if (!promtool) console.log('promtool not installed (apt-get install prometheus): skipping the promtool checks of deploy/prometheus');

describe.skipIf(!promtool)('promtool', () => {
  const run = (...args: string[]): { status: number | null; output: string } => {
    const result = spawnSync('promtool', args, { cwd: root, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };
  const scratch = mkdtempSync(join(tmpdir(), 'behealthy-promtool-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('check config deploy/prometheus/prometheus.yml', () => {
    const { status, output } = run('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(status, output).toBe(0);
  });

  it('check rules deploy/prometheus/alerts.yml (no lint findings)', () => {
    const { status, output } = run('check', 'rules', 'deploy/prometheus/alerts.yml');
    expect(status, output).toBe(0);
    expect(output).not.toMatch(/FAILED|lint/i);
  });

  it('test rules deploy/prometheus/alerts.test.yml', () => {
    const { status, output } = run('test', 'rules', 'deploy/prometheus/alerts.test.yml');
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it("the dashboard's queries parse as PromQL", () => {
    const exprs = dashboardExpressions(dashboard()).map(({ expr }) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$route', '.*'));
    const rules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] };
    const file = join(scratch, 'dashboard-queries.yml');
    writeFileSync(file, JSON.stringify(rules));
    const { status, output } = run('check', 'rules', file);
    expect(status, output).toBe(0);
  });
});
