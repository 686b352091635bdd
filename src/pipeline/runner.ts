// The pipeline runner: runs a validated recipe's stages in order, each in its own folder under
// the pipeline's run folder, feeding earlier stages' outputs into later configs, and records the
// state (which stages are done, their outputs, timings, metrics) in pipeline.json, written
// atomically after every change. Re-running resumes at the first unfinished stage; a stage that
// was interrupted is told so and continues inside itself when it can. The stage runners are
// injected (kind -> runner), so tests can run the machinery with fakes.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { atomicWriteFile } from '../util/atomic.js';
import { AhaError, InputError } from '../util/errors.js';
import type { StageKind } from './configs.js';
import { resolvePaths, substitute, type Recipe, type RecipeStage } from './recipe.js';

export type StageStatus = 'pending' | 'running' | 'done' | 'failed';

/** What a stage runner is given. */
export interface StageContext {
  name: string;
  kind: StageKind;
  /** The stage's config with references replaced by earlier outputs and paths resolved. */
  config: Record<string, unknown>;
  /** The stage's own folder (runs/<pipeline>/<stage>/); may not exist yet. */
  dir: string;
  /** An earlier attempt of this stage was interrupted or failed: continue its work if possible. */
  resume: boolean;
  quiet: boolean;
  signal?: AbortSignal;
  log: (line: string) => void;
  /** Called with each training step's metrics line (sft and grpo stages). */
  onStep?: (metrics: Readonly<Record<string, number>>) => void;
}

export interface StageOutcome {
  /** The checkpoint folder or data file later stages receive as `${stages.<name>.output}`. */
  output: string;
  /** Numbers and short facts recorded in pipeline.json (final loss, accuracy, kept samples …). */
  metrics: Record<string, unknown>;
  /** The stage stopped early (Ctrl-C) with its progress saved; the pipeline stops too. */
  interrupted?: boolean;
}

export type StageRunner = (ctx: StageContext) => Promise<StageOutcome>;
export type StageRunners = Record<StageKind, StageRunner>;

export interface StageState {
  name: string;
  kind: StageKind;
  hash: string;
  status: StageStatus;
  dir: string;
  output: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** Wall time of all attempts together. */
  seconds: number;
  attempts: number;
  metrics: Record<string, unknown>;
  error?: string;
}

export interface PipelineState {
  name: string;
  recipe: string;
  stages: StageState[];
  updated_at: string;
}

export const STATE_FILE = 'pipeline.json';

// Paths inside the run folder are stored relative to it, so a run folder that was moved or copied
// to another machine still resumes; paths outside it (a bundled model, a served teacher) stay as given.
function portablePath(runDir: string, p: string | null): string | null {
  if (p === null) return null;
  const rel = relative(resolve(runDir), resolve(p));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : p;
}

function locatedPath(runDir: string, p: string | null): string | null {
  return p === null || isAbsolute(p) ? p : resolve(runDir, p);
}

/** The saved state with every stage's folder and output as absolute paths. */
export function readState(runDir: string): PipelineState | null {
  const file = join(runDir, STATE_FILE);
  if (!existsSync(file)) return null;
  let state: PipelineState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as PipelineState;
  } catch (err) {
    throw new InputError({ file }, `not valid JSON (${(err as Error).message}); remove it to start the pipeline over`);
  }
  for (const st of state.stages ?? []) {
    st.dir = locatedPath(runDir, st.dir) ?? join(runDir, st.name);
    st.output = locatedPath(runDir, st.output);
  }
  return state;
}

function writeState(runDir: string, state: PipelineState, now: () => Date): void {
  state.updated_at = now().toISOString();
  const stages = state.stages.map((st) => ({ ...st, dir: portablePath(runDir, st.dir), output: portablePath(runDir, st.output) }));
  atomicWriteFile(join(runDir, STATE_FILE), JSON.stringify({ ...state, stages }, null, 2) + '\n');
}

function freshStage(s: RecipeStage, runDir: string): StageState {
  return { name: s.name, kind: s.kind, hash: s.hash, status: 'pending', dir: join(runDir, s.name), output: null, started_at: null, finished_at: null, seconds: 0, attempts: 0, metrics: {} };
}

export interface PipelineOptions {
  recipe: Recipe;
  runners: StageRunners;
  /** Run again from this stage on (its folder and every later stage's are cleared). */
  from?: string;
  quiet?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Each training step's metrics, with the stage name (progress displays, tests). */
  onStep?: (stage: string, metrics: Readonly<Record<string, number>>) => void;
  now?: () => Date;
}

export interface PipelineResult {
  state: PipelineState;
  /** Stages run (or continued) by this call, and stages taken over as done. */
  ran: string[];
  skipped: string[];
  interrupted: boolean;
}

/**
 * Lines up the saved state with the recipe: done stages at the front whose recipe entry is
 * unchanged are kept; the first stage that is not (or `from`) and everything after it will run.
 */
function reconcile(recipe: Recipe, saved: PipelineState | null, from: string | undefined): StageState[] {
  if (from !== undefined && !recipe.stages.some((s) => s.name === from)) {
    throw new AhaError(`--from ${from}: the recipe has no such stage (stages: ${recipe.stages.map((s) => s.name).join(', ')})`);
  }
  const out: StageState[] = [];
  let invalidated = false;
  for (const s of recipe.stages) {
    const old = saved?.stages.find((x) => x.name === s.name);
    if (s.name === from) invalidated = true;
    if (!invalidated && old && old.kind === s.kind && old.hash === s.hash) {
      // The folder follows the run folder (an older pipeline.json may hold another machine's path).
      out.push({ ...old, dir: join(recipe.runDir, s.name) });
      if (old.status !== 'done') invalidated = true; // every later stage depends on this one
      continue;
    }
    if (!invalidated && old && old.status === 'done') {
      throw new AhaError(
        `stage "${s.name}" already finished with a different ${old.kind !== s.kind ? 'kind' : 'config'} than the recipe now gives. ` +
          `Re-run it and every later stage with --from ${s.name}, or use another run folder (--run-dir).`,
      );
    }
    invalidated = true;
    out.push(freshStage(s, recipe.runDir));
  }
  return out;
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const { recipe } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = opts.now ?? (() => new Date());
  const saved = readState(recipe.runDir);
  if (saved && saved.name !== recipe.name) {
    throw new AhaError(`${recipe.runDir} holds pipeline "${saved.name}", not "${recipe.name}"; choose another run folder (--run-dir)`);
  }
  const stages = reconcile(recipe, saved, opts.from);
  const state: PipelineState = { name: recipe.name, recipe: recipe.file, stages, updated_at: '' };
  const result: PipelineResult = { state, ran: [], skipped: [], interrupted: false };
  const outputs = new Map<string, string>();
  writeState(recipe.runDir, state, now);

  for (let i = 0; i < recipe.stages.length; i++) {
    const spec = recipe.stages[i];
    const st = stages[i];
    if (st.status === 'done' && st.output !== null) {
      outputs.set(st.name, st.output);
      result.skipped.push(st.name);
      log(`pipeline: stage ${i + 1}/${stages.length} ${st.name} (${st.kind}) already done -> ${st.output}`);
      continue;
    }
    if (opts.signal?.aborted) {
      result.interrupted = true;
      break;
    }
    // A stage that never started, or one whose earlier attempt belongs to another config, starts
    // clean; except sample stages, which reuse raw samples made with the same sampling settings
    // (a filter change must not pay for the teacher's completions again).
    const resume = st.status === 'running' || st.status === 'failed';
    if (!resume && spec.kind !== 'sample' && existsSync(st.dir)) rmSync(st.dir, { recursive: true, force: true });
    const config = resolvePaths(spec.kind, substitute(spec.config, outputs) as Record<string, unknown>);
    st.status = 'running';
    st.attempts += 1;
    st.started_at ??= now().toISOString();
    delete st.error;
    writeState(recipe.runDir, state, now);
    log(`pipeline: stage ${i + 1}/${stages.length} ${st.name} (${st.kind})${resume ? ', continuing an interrupted attempt' : ''}`);
    const t0 = Date.now();
    let outcome: StageOutcome;
    try {
      outcome = await opts.runners[spec.kind]({ name: st.name, kind: st.kind, config, dir: st.dir, resume, quiet: opts.quiet ?? false, signal: opts.signal, log, onStep: opts.onStep && ((m) => opts.onStep!(st.name, m)) });
    } catch (err) {
      st.seconds += (Date.now() - t0) / 1000;
      st.status = 'failed';
      st.error = (err as Error).message;
      writeState(recipe.runDir, state, now);
      if (err instanceof AhaError) throw new AhaError(`stage "${st.name}" (${st.kind}) failed: ${err.message}\nFix it and re-run the same command to continue from this stage.`);
      throw err;
    }
    st.seconds += (Date.now() - t0) / 1000;
    st.metrics = outcome.metrics;
    result.ran.push(st.name);
    if (outcome.interrupted) {
      // Still "running": the next call continues it.
      writeState(recipe.runDir, state, now);
      result.interrupted = true;
      log(`pipeline: stage ${st.name} stopped with its progress saved; re-run the same command to continue`);
      break;
    }
    st.status = 'done';
    st.output = outcome.output;
    st.finished_at = now().toISOString();
    outputs.set(st.name, outcome.output);
    writeState(recipe.runDir, state, now);
    log(`pipeline: stage ${st.name} done in ${st.seconds.toFixed(1)} s -> ${outcome.output}`);
  }
  return result;
}
