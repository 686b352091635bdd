// The run folder as the report sees it: typed rows of metrics.jsonl, completions.jsonl and
// eval.jsonl (layout in docs/run-folder.md), their validation, and loading a whole run.
import { readJsonObject } from '../util/json-file.js';
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { JsonlTail } from './tail.js';

/** One line of metrics.jsonl: the step and every numeric metric logged at it. */
export interface MetricRow {
  step: number;
  [metric: string]: number;
}

/** One line of completions.jsonl, with absent optional fields normalised to null. */
export interface CompletionRow {
  step: number;
  problem_id: string;
  prompt: string;
  completion: string;
  reward: number | null;
  rewards: Record<string, number>;
  correct: boolean | null;
  length: number | null;
  gold: string | null;
  extracted: string | null;
  /** Model and tool segments of a tool-using completion (docs/tools.md); null for a plain one. */
  segments: CompletionSegmentRow[] | null;
  /** SCoRe runs: 1 or 2, which attempt of the problem this answer is (absent otherwise). */
  attempt?: number;
}

/** One segment of a tool-using completion: written by the model, or by a tool (not in the loss). */
export interface CompletionSegmentRow {
  kind: 'model' | 'tool';
  text: string;
  tool: string | null;
  invalid: boolean;
}

/** The segments of a completions.jsonl line, or null when it has none. */
function toSegments(v: unknown, at: Where): CompletionSegmentRow[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new InputError({ ...at, field: 'segments' }, 'expected a list of {kind, text}');
  return v.map((s: Raw) => {
    if (s === null || typeof s !== 'object' || (s.kind !== 'model' && s.kind !== 'tool') || typeof s.text !== 'string') {
      throw new InputError({ ...at, field: 'segments' }, 'each segment needs kind "model" or "tool" and a text');
    }
    return { kind: s.kind, text: s.text, tool: optString(s.tool), invalid: s.invalid === true };
  });
}

/** One line of eval.jsonl. */
export interface EvalRow {
  step: number;
  split: string;
  [metric: string]: number | string;
}

export interface RunData {
  /** Short name shown in legends (the folder name, made unique among the runs of one report). */
  name: string;
  dir: string;
  config: Record<string, unknown> | null;
  metrics: MetricRow[];
  completions: CompletionRow[];
  evals: EvalRow[];
  /** Held-out answers logged at each evaluation (the same problems every time). */
  evalCompletions: CompletionRow[];
}

export const RUN_FILES = { metrics: 'metrics.jsonl', completions: 'completions.jsonl', evals: 'eval.jsonl', evalCompletions: 'eval_completions.jsonl', config: 'config.json' } as const;

type Raw = Record<string, unknown>;
interface Where {
  file: string;
  line: number;
}

function requireStep(v: Raw, at: Where): number {
  const step = v.step;
  if (typeof step !== 'number' || !Number.isFinite(step)) throw new InputError({ ...at, field: 'step' }, 'expected a number');
  return step;
}

function optString(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function optNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Keeps `step` and every finite numeric field; strings and nested values are not metrics. */
export function toMetricRow(v: Raw, at: Where): MetricRow {
  const row: MetricRow = { step: requireStep(v, at) };
  for (const [k, x] of Object.entries(v)) {
    if (k !== 'step' && typeof x === 'number' && Number.isFinite(x)) row[k] = x;
  }
  return row;
}

export function toCompletionRow(v: Raw, at: Where): CompletionRow {
  const step = requireStep(v, at);
  if (typeof v.completion !== 'string') throw new InputError({ ...at, field: 'completion' }, 'expected a string');
  const rewards: Record<string, number> = {};
  if (v.rewards !== null && typeof v.rewards === 'object' && !Array.isArray(v.rewards)) {
    for (const [k, x] of Object.entries(v.rewards as Raw)) if (typeof x === 'number' && Number.isFinite(x)) rewards[k] = x;
  }
  return {
    step,
    problem_id: optString(v.problem_id) ?? '',
    prompt: optString(v.prompt) ?? '',
    completion: v.completion,
    reward: optNumber(v.reward),
    rewards,
    correct: typeof v.correct === 'boolean' ? v.correct : null,
    length: optNumber(v.length),
    gold: optString(v.gold),
    extracted: optString(v.extracted),
    segments: toSegments(v.segments, at),
    ...(typeof v.attempt === 'number' ? { attempt: v.attempt } : {}),
  };
}

export function toEvalRow(v: Raw, at: Where): EvalRow {
  const row: EvalRow = { step: requireStep(v, at), split: typeof v.split === 'string' && v.split !== '' ? v.split : 'eval' };
  for (const [k, x] of Object.entries(v)) {
    if (k !== 'step' && k !== 'split' && typeof x === 'number' && Number.isFinite(x)) row[k] = x;
  }
  return row;
}

function readConfig(dir: string): Record<string, unknown> | null {
  const file = join(dir, RUN_FILES.config);
  if (!existsSync(file)) return null;
  return readJsonObject(file);
}

/**
 * Checks that `dir` is a run folder: it exists and (unless `allowEmpty`, for a dashboard started
 * before the trainer's first step) holds at least one of the logged files.
 */
export function checkRunDir(dir: string, allowEmpty = false): string {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new AhaError(`run folder not found: ${dir}`);
  if (allowEmpty) return abs;
  const logged = [RUN_FILES.metrics, RUN_FILES.completions, RUN_FILES.evals];
  if (!logged.some((f) => existsSync(join(abs, f)))) {
    throw new AhaError(`${dir} is not a run folder: it has none of ${logged.join(', ')} (see docs/run-folder.md)`);
  }
  return abs;
}

/** The four logged files of a run, each followed incrementally (used once for a report, repeatedly by the dashboard). */
export class RunFiles {
  readonly metrics: JsonlTail<MetricRow>;
  readonly completions: JsonlTail<CompletionRow>;
  readonly evals: JsonlTail<EvalRow>;
  readonly evalCompletions: JsonlTail<CompletionRow>;
  constructor(readonly dir: string) {
    this.metrics = new JsonlTail(join(dir, RUN_FILES.metrics), toMetricRow);
    this.completions = new JsonlTail(join(dir, RUN_FILES.completions), toCompletionRow);
    this.evals = new JsonlTail(join(dir, RUN_FILES.evals), toEvalRow);
    this.evalCompletions = new JsonlTail(join(dir, RUN_FILES.evalCompletions), toCompletionRow);
  }
  /** Reads whatever was appended since the last call; true when a file was truncated (the run restarted). */
  poll(): boolean {
    const m = this.metrics.poll();
    const c = this.completions.poll();
    const e = this.evals.poll();
    const x = this.evalCompletions.poll();
    return m.reset || c.reset || e.reset || x.reset;
  }
}

/** Names runs by folder name, suffixed where two folders share a name. */
export function runNames(dirs: readonly string[]): string[] {
  const base = dirs.map((d) => basename(resolve(d)));
  return base.map((b, i) => (base.filter((x) => x === b).length > 1 ? `${b}#${i + 1}` : b));
}

export function loadRun(dir: string, name?: string): RunData {
  const abs = checkRunDir(dir);
  const files = new RunFiles(abs);
  files.poll();
  // A report of a run that was killed mid-write: its cut line is left out, and said so.
  for (const tail of [files.metrics, files.completions, files.evals, files.evalCompletions]) {
    if (tail.incompleteLine !== null) process.stderr.write(`aha: warning: ${tail.file}:${tail.incompleteLine}: the last line is incomplete (still being written, or cut off when the run was stopped); left out of the report\n`);
  }
  return {
    name: name ?? basename(abs),
    dir: abs,
    config: readConfig(abs),
    metrics: files.metrics.rows,
    completions: files.completions.rows,
    evals: files.evals.rows,
    evalCompletions: files.evalCompletions.rows,
  };
}

export function loadRuns(dirs: readonly string[]): RunData[] {
  if (dirs.length === 0) throw new AhaError('give at least one run folder');
  const names = runNames(dirs);
  return dirs.map((d, i) => loadRun(d, names[i]));
}

export { readConfig };
