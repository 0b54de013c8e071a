import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueueKeys } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { EXTRACT_QUEUE } from '../../src/queue/queues.js';
import { runCli } from '../helpers/cli.js';
import { containersOf, kustomizationDirs, renderKustomization, schemaProblems, unknownFieldProblems, type KubeObject } from '../helpers/kubernetes.js';

/**
 * deploy/k8s (Kustomize base and production overlay): every rendered object is valid against the Kubernetes and
 * KEDA schemas and has no field those APIs lack, an invalid one is caught, and the manifests agree with the code
 * and the Dockerfile: image, environment variables, ports, probes, commands, the KEDA queue key.
 */

const read = (path: string): string => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const rendered = kustomizationDirs().map(({ name, dir }) => ({ name, objects: renderKustomization(dir) }));
const base = rendered.find((r) => r.name === 'base')!.objects;
const production = rendered.find((r) => r.name === 'production')!.objects;

const find = (objects: readonly KubeObject[], kind: string, name: string): KubeObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
};
type Container = { name: string; image: string; args?: string[]; command?: string[]; ports?: { name: string; containerPort: number }[]; env?: { name: string }[]; envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[]; livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe; securityContext?: Record<string, unknown>; resources?: { requests?: Record<string, string>; limits?: Record<string, string> }; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] };
type Probe = { httpGet?: { path: string; port: string | number } };
type PodSpec = { securityContext?: Record<string, unknown>; volumes?: { name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string } }[]; containers: Container[]; initContainers?: Container[] };
const podSpec = (object: KubeObject): PodSpec => ((object.spec as { template: { spec: PodSpec } }).template.spec);
const templateLabels = (object: KubeObject): Record<string, string> => (object.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
const workloads = (objects: readonly KubeObject[]): KubeObject[] => objects.filter((o) => ['Deployment', 'Job'].includes(o.kind));
const configMap = find(base, 'ConfigMap', 'behealthy-config').data as Record<string, string>;
const secret = find(base, 'Secret', 'behealthy-secrets').stringData as Record<string, string>;

/** The environment variables src/config.ts reads (env.NAME and the validators' 'NAME' arguments). */
function configVariables(): Set<string> {
  const source = read('src/config.ts');
  return new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g), ...source.matchAll(/\(\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!));
}

describe('deploy/k8s: rendering and schemas', () => {
  it.each(rendered)('$name renders the API, workers, autoscalers, disruption budgets, migration, configuration and network policies', ({ name, objects }) => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ScaledObject', 'TriggerAuthentication', 'Job', 'ConfigMap', 'NetworkPolicy', 'PersistentVolumeClaim']) expect(kinds, `${name} has a ${kind}`).toContain(kind);
    // The production overlay leaves the Secret to the secret store (kustomization.yaml says why).
    expect(objects.some((o) => o.kind === 'Secret')).toBe(name === 'base');
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size, 'no object twice').toBe(keys.length);
  });

  it.each(rendered)('$name: every object is valid against the Kubernetes and KEDA schemas', async ({ objects }) => {
    expect(await schemaProblems(objects)).toEqual([]);
  });

  it.each(rendered)('$name: no object has a field the Kubernetes or KEDA API lacks', ({ objects }) => {
    expect(unknownFieldProblems(objects)).toEqual([]);
  }, 60_000);

  it('an invalid field fails: a wrong type, a missing required field, a misspelt field, an unknown kind', async () => {
    const broken = structuredClone(production);
    const api = find(broken, 'Deployment', 'behealthy-api');
    (api.spec as Record<string, unknown>).replicas = 'three';
    const scaled = find(broken, 'ScaledObject', 'behealthy-worker');
    delete (scaled.spec as { triggers: { type?: string }[] }).triggers[0]!.type;
    const worker = podSpec(find(broken, 'Deployment', 'behealthy-worker')).containers[0] as Container & { livenesProbe?: unknown };
    worker.livenesProbe = { httpGet: { path: '/health', port: 3000 } };
    const problems = await schemaProblems([...broken, { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'typo' } }]);
    expect(problems.find((p) => p.startsWith('Deployment/behealthy-api:'))).toMatch(/replicas.*integer/);
    expect(problems.find((p) => p.startsWith('ScaledObject/behealthy-worker:'))).toMatch(/type/);
    expect(problems.find((p) => p.startsWith('Deploymnet/typo:'))).toMatch(/no schema/);
    expect(problems).toHaveLength(3);
    // The JSON schemas allow extra properties; the declarations do not.
    const unknown = unknownFieldProblems(broken);
    expect(unknown.some((p) => p.startsWith('Deployment/behealthy-worker:') && p.includes('livenesProbe'))).toBe(true);
  }, 60_000);

  it('the rendering matches kubectl kustomize where kubectl is installed (a cross-check of the Kustomize subset rendered here)', (context) => {
    const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      context.skip('kubectl is not installed: the rendering above is the one checked');
      return;
    }
    for (const { name, dir } of kustomizationDirs()) {
      const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      const theirs = parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject);
      const ours = rendered.find((r) => r.name === name)!.objects;
      const byKey = (objects: KubeObject[]) => Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      expect(byKey(ours)).toEqual(byKey(theirs));
    }
  });
});

describe('deploy/k8s against the code and the Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const pkg = JSON.parse(read('package.json')) as { version: string };
  const composeImage = /image:\s*(\S+):local/.exec(read('docker-compose.yml'))?.[1];

  it('every container runs the image docker-compose builds; production pins it to the package version', () => {
    expect(composeImage).toBe('behealthy-ner');
    for (const object of workloads(base)) for (const c of containersOf(object)) expect(c.image, `${object.metadata.name}/${String(c.name)}`).toBe(composeImage);
    for (const object of workloads(production)) for (const c of containersOf(object)) expect(String(c.image)).toMatch(new RegExp(`/${composeImage}:${pkg.version.replace(/\./g, '\\.')}$`));
  });

  it('every variable of the ConfigMap and the Secret is one src/config.ts reads, and together they pass its validation', () => {
    const known = configVariables();
    expect(known.size).toBeGreaterThan(30);
    const envNames = [...Object.keys(configMap), ...Object.keys(secret).filter((k) => /^[A-Z]/.test(k))];
    for (const object of workloads(base)) for (const c of containersOf(object)) envNames.push(...((c.env as { name: string }[] | undefined) ?? []).map((e) => e.name));
    expect(envNames.filter((name) => !known.has(name))).toEqual([]);
    for (const required of ['DATABASE_URL', 'REDIS_URL', 'API_KEYS']) expect(Object.keys(secret)).toContain(required);
    // The Secret's lower-case keys are KEDA's, read by the TriggerAuthentication only.
    const keda = find(base, 'TriggerAuthentication', 'behealthy-redis').spec as { secretTargetRef: { name: string; key: string }[] };
    expect(Object.keys(secret).filter((k) => !/^[A-Z]/.test(k)).sort()).toEqual(keda.secretTargetRef.map((r) => r.key).sort());
    expect(keda.secretTargetRef.every((r) => r.name === 'behealthy-secrets')).toBe(true);
    const config = loadConfig({ ...configMap, ...Object.fromEntries(Object.entries(secret).filter(([k]) => /^[A-Z]/.test(k))) });
    expect(config.port).toBe(Number(configMap.PORT));
    expect(config.webConcurrency).toBe(1);
  });

  it('every container takes its configuration from the ConfigMap and the Secret', () => {
    for (const object of workloads(base)) {
      for (const c of podSpec(object).containers) {
        expect(c.envFrom?.map((e) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual(['behealthy-config', 'behealthy-secrets']);
      }
    }
  });

  it('ports: the API container, the ConfigMap, the Dockerfile, the Service, the probes, the network policy and the scrape annotation agree', () => {
    const exposed = Number(/^EXPOSE\s+(\d+)/m.exec(dockerfile)?.[1]);
    expect(Number(/\bPORT=(\d+)/.exec(dockerfile)?.[1])).toBe(exposed);
    expect(Number(configMap.PORT)).toBe(exposed);
    for (const objects of [base, production]) {
      const api = find(objects, 'Deployment', 'behealthy-api');
      const container = podSpec(api).containers.find((c) => c.name === 'api')!;
      expect(container.ports).toEqual([{ name: 'http', containerPort: exposed, protocol: 'TCP' }]);
      const service = find(objects, 'Service', 'behealthy-api').spec as { selector: Record<string, string>; ports: { targetPort: string }[] };
      expect(service.ports.map((p) => p.targetPort)).toEqual(['http']);
      expect(templateLabels(api)).toMatchObject(service.selector);
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(probe?.httpGet?.port).toBe('http');
      expect(((api.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations)['prometheus.io/port']).toBe(String(exposed));
      const ingress = find(objects, 'NetworkPolicy', 'behealthy-api-ingress').spec as { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: string }[] }[] };
      expect(ingress.ingress.flatMap((i) => i.ports.map((p) => p.port))).toEqual(['http']);
      expect(templateLabels(api)).toMatchObject(ingress.podSelector.matchLabels);
    }
  });

  it('liveness is /health and readiness /ready, routes the API serves', () => {
    const routes = read('src/http/routes/health-routes.ts');
    const api = podSpec(find(base, 'Deployment', 'behealthy-api')).containers[0]!;
    expect(api.livenessProbe?.httpGet?.path).toBe('/health');
    expect(api.startupProbe?.httpGet?.path).toBe('/health');
    expect(api.readinessProbe?.httpGet?.path).toBe('/ready');
    for (const path of ['/health', '/ready']) expect(routes).toContain(`'${path}'`);
  });

  it('the containers run CLI commands that exist: serve, worker, db migrate', async () => {
    const commands = workloads(base).flatMap((o) => podSpec(o).containers.map((c) => c.args ?? []));
    expect(commands.map((c) => c.join(' ')).sort()).toEqual(['db migrate', 'serve', 'worker']);
    expect(/^ENTRYPOINT \["node", "dist\/cli\/bin.js"\]/m.test(dockerfile)).toBe(true);
    for (const args of commands) expect((await runCli([args[0]!, '--help'])).code, args.join(' ')).toBe(0);
  });

  it('KEDA scales the worker Deployment on the length of BullMQ\'s wait list of the extract queue under QUEUE_PREFIX', () => {
    for (const objects of [base, production]) {
      const scaled = find(objects, 'ScaledObject', 'behealthy-worker').spec as { scaleTargetRef: { name: string; kind?: string }; triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[]; minReplicaCount: number };
      expect(scaled.scaleTargetRef.name).toBe('behealthy-worker');
      find(objects, 'Deployment', 'behealthy-worker');
      const [trigger] = scaled.triggers;
      expect(trigger?.type).toBe('redis');
      expect(trigger?.metadata.listName).toBe(new QueueKeys(configMap.QUEUE_PREFIX).getKeys(EXTRACT_QUEUE).wait);
      expect(Number(trigger?.metadata.listLength)).toBeGreaterThan(0);
      find(objects, 'TriggerAuthentication', trigger!.authenticationRef.name);
      expect(scaled.minReplicaCount, 'a worker always runs the nightly scheduler').toBeGreaterThanOrEqual(1);
    }
    // The API scales on CPU.
    const hpa = find(production, 'HorizontalPodAutoscaler', 'behealthy-api').spec as { scaleTargetRef: { name: string }; metrics: { resource: { name: string } }[]; minReplicas: number };
    expect(hpa.scaleTargetRef.name).toBe('behealthy-api');
    expect(hpa.metrics.map((m) => m.resource.name)).toEqual(['cpu']);
  });

  it('disruption budgets select the pods of their Deployment', () => {
    for (const objects of [base, production]) {
      for (const name of ['behealthy-api', 'behealthy-worker']) {
        const pdb = find(objects, 'PodDisruptionBudget', name).spec as { selector: { matchLabels: Record<string, string> } };
        expect(templateLabels(find(objects, 'Deployment', name))).toMatchObject(pdb.selector.matchLabels);
      }
    }
  });

  it('pods run as the image\'s non-root user on a read-only root filesystem, writing only to mounted volumes; resources are set', () => {
    const uid = 1000; // the node user of the node images, the Dockerfile's USER
    expect(/^USER node$/m.test(dockerfile)).toBe(true);
    for (const objects of [base, production]) {
      const claims = new Set(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name));
      for (const object of workloads(objects)) {
        const spec = podSpec(object);
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid });
        const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          const where = `${object.metadata.name}/${c.name}`;
          expect(c.securityContext, where).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
          expect(c.resources?.requests?.cpu, where).toBeDefined();
          expect(c.resources?.requests?.memory, where).toBeDefined();
          expect(c.resources?.limits?.memory, where).toBeDefined();
          for (const mount of c.volumeMounts ?? []) {
            const volume = volumes.get(mount.name);
            expect(volume, `${where}: volume ${mount.name}`).toBeDefined();
            if (volume?.persistentVolumeClaim) expect(claims).toContain(volume.persistentVolumeClaim.claimName);
          }
          if (spec.containers.includes(c)) expect(c.volumeMounts?.find((m) => m.mountPath === '/tmp' && volumes.get(m.name)?.emptyDir !== undefined), `${where}: a writable /tmp`).toBeDefined();
        }
      }
      // The worker writes the model registry, the inbox/outbox and the runs: each configured directory is on a writable mount.
      const worker = podSpec(find(objects, 'Deployment', 'behealthy-worker')).containers[0]!;
      for (const variable of ['MODEL_DIR', 'INBOX_DIR', 'OUTBOX_DIR', 'RUNS_DIR']) {
        const dir = configMap[variable]!;
        expect(worker.volumeMounts?.some((m) => !m.readOnly && (dir === m.mountPath || dir.startsWith(`${m.mountPath}/`))), `${variable}=${dir} writable in the worker`).toBe(true);
      }
    }
  });
});
