import { formatAveragedReport, type MeanSd } from '../core/evaluation/evaluation.js';
import { templateSetName, type RunComparison } from '../training/run-records.js';
import type { PairedDelta, Run, TuneTrialSummary } from '../registry/runs.js';

/** Text tables of runs for `behealthy runs` and `behealthy tune` (pure). */

/** Columns padded to their widest cell; `right` columns (numbers) aligned right. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const f4 = (value: number): string => value.toFixed(4);
export const meanSd = (m: MeanSd | null | undefined): string => (m ? `${f4(m.mean)} ± ${f4(m.sd)}` : '');
export const signed = (value: number | null | undefined): string => (value === null || value === undefined ? '' : `${value >= 0 ? '+' : '−'}${f4(Math.abs(value))}`);

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds - minutes * 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** "2026-12-01 21:51" (UTC). */
export const when = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

export function pairedText(p: PairedDelta | null): string {
  return p ? `${signed(p.mean)} ± ${f4(p.sd)} (${p.better}/${p.folds})` : '';
}

function cvCell(run: Run): string {
  if (run.crossValidation) return meanSd(run.crossValidation.mean.strict.micro.f1);
  return run.status === 'completed' ? '—' : run.status;
}

function note(run: Run): string {
  if (run.kind === 'tune' && run.tune) {
    const t = run.tune;
    return `${t.trials.length} trials from ${t.incumbent.modelVersion}; best: ${t.best ? t.best.name : 'none'}${t.trainedRunId ? `; trained ${run.modelVersion ?? ''}` : ''}`;
  }
  const version = run.modelVersion ? `→ ${run.modelVersion}` : '';
  return [run.kind === 'tune-trial' ? run.name : '', version, run.status !== 'completed' ? run.status : ''].filter(Boolean).join(' ');
}

/**
 * What `runs list` says when it finds none: where it looked, what records runs, and where the shipped model's
 * own figures are (a fresh clone has no runs: the runs folder is not part of the repository).
 */
export function noRunsMessage(runsDir: string, kind?: string): string {
  return [
    `no ${kind ? `${kind} ` : ''}runs recorded in ${runsDir} (RUNS_DIR, or --runs DIR).`,
    '`behealthy train`, `behealthy tune` and `behealthy retrain` record one there each time they run;',
    "the shipped model's training figures are in its model card (`behealthy models list`, models/README.md).",
  ].join('\n');
}

export function formatRunsTable(runs: readonly Run[]): string {
  const header = ['id', 'kind', 'when (UTC)', 'templates', 'c1', 'c2', 'iter', 'enc', 'CV strict micro F1', 'test micro', 'duration', 'note'];
  const rows = runs.map((r) => [
    r.id, r.kind, when(r.startedAt), `${r.templates.length} ${templateSetName(r.templates)}`,
    String(r.parameters.c1), String(r.parameters.c2), String(r.parameters.iterations), r.parameters.labelEncoding,
    cvCell(r), r.test ? f4(r.test.strict.micro.f1) : '', duration(r.durationSeconds), note(r),
  ]);
  return formatTable(header, rows, new Set([4, 5, 6, 10]));
}

export function formatTrialsTable(trials: readonly TuneTrialSummary[], bestRunId: string | null): string {
  const header = ['#', 'trial', 'templates', 'c1', 'c2', 'iter', 'enc', 'entity bias', 'CV strict micro F1', 'Δ vs incumbent (folds better)', 'time', 'status', 'run'];
  const rows = trials.map((t, i) => [
    `${i + 1}${t.runId === bestRunId ? '*' : ''}`, t.name, `${t.templates.length} ${templateSetName(t.templates)}`,
    String(t.parameters.c1), String(t.parameters.c2), String(t.parameters.iterations), t.parameters.labelEncoding,
    t.status === 'completed' ? `D ${t.parameters.entityBias.D} / T ${t.parameters.entityBias.T}` : '',
    meanSd(t.cvStrictMicroF1), i === 0 ? '' : pairedText(t.pairedDelta), duration(t.seconds), t.status, t.runId,
  ]);
  return formatTable(header, rows, new Set([3, 4, 5, 10]));
}

/** The `behealthy train` command that trains a model with a run's configuration. */
export function trainCommandOf(run: Pick<Run, 'templates' | 'parameters' | 'crossValidation'>): string {
  const p = run.parameters;
  const bias = p.entityBiasMode === 'auto' ? 'auto' : `${p.entityBias.D},${p.entityBias.T}`;
  return [
    'behealthy train', `--templates ${run.templates.join(',')}`, `--encoding ${p.labelEncoding}`, `--c1 ${p.c1}`, `--c2 ${p.c2}`,
    `--iterations ${p.iterations}`, `--span-rules ${p.spanRules.join(',') || 'none'}`, `--entity-bias ${bias}`,
    ...(run.crossValidation ? [`--folds ${run.crossValidation.folds}`, `--seed ${run.crossValidation.seed}`] : []),
  ].join(' ');
}

export function formatRun(run: Run): string {
  const p = run.parameters;
  const lines = [
    `run ${run.id}  (${run.kind}, ${run.status})`,
    `name           ${run.name}`,
    `started        ${run.startedAt}   duration ${duration(run.durationSeconds)}`,
    ...(run.parentId ? [`parent run     ${run.parentId}`] : []),
    ...(run.modelVersion ? [`model version  ${run.modelVersion}`] : []),
    ...(run.error ? [`error          ${run.error}`] : []),
    '',
    `parameters     c1 ${p.c1}, c2 ${p.c2}, iterations ${p.iterations}, ${p.labelEncoding}, entity bias D ${p.entityBias.D} / T ${p.entityBias.T} (${p.entityBiasMode}), ` +
      `possible transitions ${p.possibleTransitions}, possible states ${p.possibleStates}`,
    `span rules     ${p.spanRules.join(', ') || 'none'}`,
    `templates      ${run.templates.length} (${templateSetName(run.templates)}): ${run.templates.join(', ')}`,
  ];
  if (run.data) {
    lines.push(`data           ${run.data.corpus} ${run.data.split}: ${run.data.sentences} sentences, ${run.data.tokens} tokens; sha256 ${run.data.sha256}`);
    for (const f of run.data.files) lines.push(`                 ${f.path.padEnd(16)} ${f.sha256}`);
  }
  lines.push(`git commit     ${run.gitCommit ?? 'unknown'}`);
  lines.push(`environment    node ${run.environment.node}, crfsuite ${run.environment.crfsuite}, natural ${run.environment.natural}, compromise ${run.environment.compromise}`);
  const cv = run.crossValidation;
  if (cv) {
    lines.push('', `cross-validation: ${cv.folds} folds of the train split, seed ${cv.seed}, at entity bias D ${p.entityBias.D} / T ${p.entityBias.T}`);
    lines.push(
      formatTable(
        ['fold', 'strict disease', 'strict treatment', 'strict micro', 'partial micro', 'token weighted', 'time'],
        cv.perFold.map((f) => [String(f.fold + 1), f4(f.strict.disease.f1), f4(f.strict.treatment.f1), f4(f.strict.micro.f1), f4(f.partial.micro.f1), f4(f.token.weighted.f1), duration(f.seconds)]),
        new Set([0, 1, 2, 3, 4, 5, 6]),
      ),
    );
    lines.push('', formatAveragedReport(cv.mean));
    if (cv.entityBiasSearch.length > 1) {
      const top = [...cv.entityBiasSearch].sort((a, b) => b.strictMicroF1.mean - a.strictMicroF1.mean).slice(0, 5);
      lines.push('', `entity bias search (${cv.entityBiasSearch.length} tried; best 5): ${top.map((s) => `D ${s.entityBias.D}/T ${s.entityBias.T} ${f4(s.strictMicroF1.mean)}`).join(', ')}`);
    }
  }
  if (run.test) {
    const t = run.test;
    lines.push('', `test split (reported, never decided on): strict micro ${f4(t.strict.micro.f1)}, disease ${f4(t.strict.disease.f1)}, treatment ${f4(t.strict.treatment.f1)}; partial micro ${f4(t.partial.micro.f1)}; token weighted ${f4(t.token.weighted.f1)}`);
  }
  if (run.tune) {
    const t = run.tune;
    lines.push(
      '',
      `tune from ${t.incumbent.modelVersion}: budget ${t.budgetSeconds === null ? 'none' : duration(t.budgetSeconds)}, trials ${t.maxTrials ?? 'no limit'}, ${t.concurrency} processes; stopped: ${t.stopReason}; ` +
        `trials running at the budget: ${t.atBudget}; resources ${t.resources.reusedFrom ? `from ${t.resources.reusedFrom}` : ''}${t.resources.built.length ? ` built: ${t.resources.built.join(', ')}` : ''}`,
      formatTrialsTable(t.trials, t.best?.runId ?? null),
      '',
      `incumbent CV strict micro F1 ${meanSd(t.incumbent.cvStrictMicroF1) || 'not measured'}; best ${t.best ? `${t.best.name}: ${meanSd(t.best.cvStrictMicroF1)} (run ${t.best.runId})` : 'none'}`,
    );
    if (t.trainedRunId) lines.push(`trained: run ${t.trainedRunId}, model ${run.modelVersion ?? ''}${t.promoted ? ', promoted' : ''}`);
  }
  if (run.details && run.kind !== 'tune-trial') lines.push('', `details        ${JSON.stringify(run.details)}`);
  return lines.join('\n');
}

export function formatComparison(c: RunComparison): string {
  const { a, b } = c;
  const lines = [`a: ${a.id}  ${a.kind}  ${a.name}`, `b: ${b.id}  ${b.kind}  ${b.name}`, ''];
  const differences = c.differences.map((d) => [d.name, d.a, d.b]);
  if (c.templatesAdded.length > 0 || c.templatesRemoved.length > 0) {
    const changes = [...c.templatesAdded.map((t) => `+${t}`), ...c.templatesRemoved.map((t) => `-${t}`)].join(', ');
    differences.push(['templates', String(a.templates.length), `${b.templates.length}: ${changes}`]);
  }
  lines.push(differences.length === 0 ? 'same parameters, templates and data' : formatTable(['differs', 'a', 'b'], differences));
  lines.push('');
  const rows = c.crossValidation.map((m) => [`${m.level} ${m.type}`, meanSd(m.a), meanSd(m.b), signed(m.delta)]);
  lines.push(formatTable(['CV F1 (mean ± sd)', 'a', 'b', 'b − a'], rows, new Set([1, 2, 3])));
  if (c.paired) lines.push(`strict micro fold by fold, b − a: ${pairedText(c.paired)} folds better`);
  else if (a.crossValidation && b.crossValidation) lines.push('(not the same folds: no fold-by-fold comparison)');
  if (c.test.length > 0) {
    lines.push('', formatTable(['test F1 (reported only)', 'a', 'b', 'b − a'], c.test.map((m) => [`${m.level} ${m.type}`, m.a === null ? '' : f4(m.a), m.b === null ? '' : f4(m.b), signed(m.delta)]), new Set([1, 2, 3])));
  }
  lines.push('', `duration: a ${duration(a.durationSeconds)}, b ${duration(b.durationSeconds)}`);
  return lines.join('\n');
}
