import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../../src/config.js';

/**
 * Kubernetes manifests for the tests: a Kustomize rendering of the subset deploy/k8s uses (resources, namespace,
 * labels, images, strategic-merge patches with `$patch: delete`), and two validations of every object — the
 * Kubernetes / KEDA JSON schemas (kubernetes-models with @kubernetes-models/validate: types, required fields,
 * enums, formats) and the same packages' TypeScript declarations (fields that do not exist).
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path: string }[];
}

/** Kinds that live outside namespaces (the ones deploy/k8s uses). */
const CLUSTER_SCOPED = new Set(['Namespace', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'ClusterTriggerAuthentication']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export function readYamlDocuments(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as unknown;
    return value === null ? [] : [value as KubeObject];
  });
}

/** Strategic merge as the patches here need it: maps merge, lists of named items merge by name, other lists are replaced. */
function strategicMerge(target: Json, patch: Json): Json {
  if (isObject(target) && isObject(patch)) {
    const out: JsonObject = { ...target };
    for (const [key, value] of Object.entries(patch)) out[key] = key in target ? strategicMerge(target[key] as Json, value) : value;
    return out;
  }
  if (Array.isArray(target) && Array.isArray(patch) && patch.every((item) => isObject(item) && typeof item.name === 'string')) {
    const out = target.map((item) => {
      const match = isObject(item) ? patch.find((p) => isObject(p) && p.name === item.name) : undefined;
      return match === undefined ? item : strategicMerge(item, match);
    });
    for (const item of patch) if (!target.some((t) => isObject(t) && isObject(item) && t.name === item.name)) out.push(item);
    return out;
  }
  return patch;
}

function podSpecs(object: KubeObject): JsonObject[] {
  const spec = object.spec as JsonObject | undefined;
  const template = (object.kind === 'CronJob' ? ((spec?.jobTemplate as JsonObject | undefined)?.spec as JsonObject | undefined)?.template : spec?.template) as JsonObject | undefined;
  const podSpec = template?.spec;
  return isObject(podSpec) ? [podSpec] : [];
}

/** Every container (init ones included) of a workload object. */
export function containersOf(object: KubeObject): JsonObject[] {
  return podSpecs(object).flatMap((spec) => [...((spec.initContainers as JsonObject[] | undefined) ?? []), ...((spec.containers as JsonObject[] | undefined) ?? [])]);
}

/** Renders a kustomization directory (`kubectl kustomize DIR` for the features deploy/k8s uses). */
export function renderKustomization(dir: string): KubeObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = readYamlDocuments(file)[0] as unknown as Kustomization;
  const known = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);
  for (const key of Object.keys(kustomization)) if (!known.has(key)) throw new Error(`${file}: ${key} is not rendered by this test's Kustomize subset`);
  let objects: KubeObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = resolve(dir, resource);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readYamlDocuments(path)));
  }
  for (const { path } of kustomization.patches ?? []) {
    for (const patch of readYamlDocuments(resolve(dir, path))) {
      const index = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (index < 0) throw new Error(`${path}: no ${patch.kind} ${patch.metadata.name} to patch`);
      if ((patch as Record<string, unknown>).$patch === 'delete') objects.splice(index, 1);
      else objects[index] = strategicMerge(objects[index] as unknown as Json, patch as unknown as Json) as unknown as KubeObject;
    }
  }
  objects = objects.map((object) => structuredClone(object));
  for (const object of objects) {
    if (kustomization.namespace && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = kustomization.namespace;
    for (const { pairs, includeSelectors, includeTemplates } of kustomization.labels ?? []) {
      if (includeSelectors || includeTemplates) throw new Error(`${file}: labels with includeSelectors/includeTemplates are not rendered here`);
      object.metadata.labels = { ...object.metadata.labels, ...pairs };
    }
    for (const container of containersOf(object)) {
      const image = String(container.image);
      const [name = image, tag] = image.split(/:(?=[^/]*$)/);
      const rule = kustomization.images?.find((i) => i.name === name);
      if (rule) container.image = `${rule.newName ?? name}${rule.newTag ?? tag ? `:${rule.newTag ?? tag}` : ''}`;
    }
  }
  return objects;
}

/** The model class's module for an object: kubernetes-models for the API's kinds, @kubernetes-models/keda for KEDA's. */
export function modelModule(object: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const { apiVersion, kind } = object;
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  if (!/^([a-z0-9.]+\/)?v\d+(alpha\d+|beta\d+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z]+$/.test(kind)) throw new Error(`unexpected apiVersion/kind ${apiVersion}/${kind}`);
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** Schema validation: the problems of each object (none: []), by `Kind/name`. */
export async function schemaProblems(objects: readonly KubeObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const where = `${object.kind}/${object.metadata?.name}`;
    let Model: new (data: unknown) => { validate(): void };
    try {
      const module = (await import(modelModule(object))) as Record<string, new (data: unknown) => { validate(): void }>;
      const found = module[object.kind];
      if (!found) throw new Error('no such model');
      Model = found;
    } catch (error) {
      problems.push(`${where}: no schema for ${object.apiVersion} ${object.kind} (${(error as Error).message})`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * Fields the Kubernetes and KEDA APIs do not have (a typo such as `livenesProbe` that the JSON schemas, which
 * allow extra properties, let through; the API server would drop it): each object is type-checked as a literal
 * of its kind's interface (IDeployment, IScaledObject…) from the same packages' declarations.
 */
export function unknownFieldProblems(objects: readonly KubeObject[]): string[] {
  const dir = mkdtempSync(join(PROJECT_ROOT, 'node_modules', '.k8s-check-'));
  try {
    const lines: string[] = [];
    objects.forEach((object, i) => {
      lines.push(`import type { I${object.kind} as T${i} } from ${JSON.stringify(modelModule(object))};`);
      lines.push(`// ${object.kind}/${object.metadata.name}`);
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(object, null, 1)};`);
    });
    const file = join(dir, 'manifests.ts');
    writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: [],
    });
    const source = program.getSourceFile(file);
    return ts.getPreEmitDiagnostics(program, source).map((d) => {
      const line = d.start !== undefined && source ? source.getLineAndCharacterOfPosition(d.start).line : -1;
      const text = source?.text.split('\n') ?? [];
      // The object a diagnostic falls in: the nearest `// Kind/name` line above it.
      let owner = '?';
      for (let l = line; l >= 0; l--) if (text[l]?.startsWith('// ')) { owner = text[l]!.slice(3); break; }
      return `${owner}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const K8S_DIR = join(PROJECT_ROOT, 'deploy', 'k8s');
export const kustomizationDirs = (): { name: string; dir: string }[] => [
  { name: 'base', dir: join(K8S_DIR, 'base') },
  { name: 'production', dir: join(K8S_DIR, 'overlays', 'production') },
];
