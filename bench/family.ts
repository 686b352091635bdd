// `npm run bench:family`: the GRPO family side by side. The same GRPO run (the demo's Countdown
// settings, configs/r1-zero-countdown.yaml, or another --config) once per variant and seed:
// grpo, dr_grpo, dapo (clip-higher, dynamic sampling, truncation masking), gspo, cispo, rloo,
// reinforce++ and the 80/20 high-entropy-token variant, compared
// - at equal steps: held-out accuracy, length and reflections after --steps N steps;
// - at equal wall time (--seconds S): held-out accuracy of the last evaluation done within S
//   seconds of training time (sampling + update, held-out evaluation excluded); each run then
//   trains until it has done N steps AND used S seconds (at most --max-steps);
// and the step and training time at which held-out accuracy first rose 20 points.
// Training time is wall time by default; --clock cpu measures it as the process's CPU seconds
// (sampling + update, evaluation excluded), which other jobs on a shared machine disturb much less
// than wall time (equal CPU time is equal work; on an idle machine wall ≈ CPU / threads in use).
// --results DIR keeps each finished run there, so a long comparison can be stopped and continued
// (in another session too): runs already in DIR with the same settings are not run again.
// Two seeds per variant (--seed 1,2); a third (--tiebreak-seed) where the two disagree on the
// sign of the gain at N steps. Prints a markdown table; --json adds one JSON object per variant
// (means over seeds, each seed's run with its curves under "runs"); --plot DIR writes PNG curves
// (held-out accuracy by step and by training time, length, reflections, entropy) through the
// report's chart code.
// Flags: --steps N (default 8), --seconds S, --max-steps M (default 4·N), --seed a,b,
//        --tiebreak-seed K (default max seed + 1; "none" = never), --eval-problems N (default 50),
//        --eval-steps N (default N; must divide --steps), --prompts-per-step N,
//        --max-completion-length N, --variants a,b,..., --config FILE, --clock wall|cpu,
//        --results DIR, --json, --plot DIR, --keep.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig, DEMO_CONFIG_FILE } from '../src/rl/demo.js';
import type { GrpoConfig } from '../src/rl/config.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { readJsonl } from '../src/util/jsonl.js';
import { cpuSeconds } from '../src/util/cpu-time.js';
import { chartOptions, type ChartSpec, type LineDataset, type Point } from '../src/report/chart-spec.js';
import { exportPngs } from '../src/report/png.js';
import { getNumThreads } from '../src/core/index.js';
import { benchArgs } from './lib/args.js';
import { runStore } from './lib/run-store.js';

/** Each variant's settings over the base run (published settings; methods.md). */
const VARIANTS: Record<string, Partial<GrpoConfig>> = {
  grpo: {},
  dr_grpo: { loss_type: 'dr_grpo', scale_rewards: 'none' },
  dapo: { loss_type: 'dapo', epsilon_high: 0.28, dynamic_sampling: true, mask_truncated_completions: true },
  gspo: { importance_sampling_level: 'sequence', epsilon: 3e-4, epsilon_high: 4e-4 },
  cispo: { loss_type: 'cispo', epsilon_high: 5 },
  rloo: { advantage_estimator: 'rloo' },
  'reinforce++': { advantage_estimator: 'reinforce_plus_plus', loss_type: 'dapo' },
  'dapo-80/20': { loss_type: 'dapo', epsilon_high: 0.28, top_entropy_quantile: 0.2 },
};

const cli = benchArgs('bench:family', ['--plot', '--config', '--clock', '--results', '--seed', '--tiebreak-seed', '--variants', '--steps', '--seconds', '--max-steps', '--eval-steps', '--prompts-per-step', '--max-completion-length', '--eval-problems'], ['--json', '--keep']);
const flag = cli.value;
const num = cli.num;
const json = cli.has('--json');
const keep = cli.has('--keep');
const plotDir = flag('--plot');
const configFile = flag('--config') ?? DEMO_CONFIG_FILE;
const demo = demoConfig(configFile);
const seeds = cli.integers('--seed', [1, 2]);
const tiebreakFlag = flag('--tiebreak-seed');
const tiebreak = tiebreakFlag === 'none' ? null : tiebreakFlag !== undefined ? Number(tiebreakFlag) : Math.max(...seeds) + 1;
if (tiebreak !== null && !Number.isInteger(tiebreak)) throw new Error('--tiebreak-seed: expected an integer or "none"');
const names = (flag('--variants') ?? Object.keys(VARIANTS).join(',')).split(',');
for (const n of names) if (!(n in VARIANTS)) throw new Error(`unknown variant "${n}"; known: ${Object.keys(VARIANTS).join(', ')}`);
const steps = num('--steps', 8);
const budget = flag('--seconds') !== undefined ? num('--seconds', 0) : null;
if (budget !== null && !(budget > 0)) throw new Error('--seconds: expected a positive training-time budget');
const clock = flag('--clock') ?? 'wall';
if (clock !== 'wall' && clock !== 'cpu') throw new Error(`--clock: expected wall or cpu, got "${clock}"`);
/** How the training-time columns are labelled. */
const timeUnit = clock === 'cpu' ? 'CPU s' : 's';
const maxSteps = budget === null ? steps : num('--max-steps', 4 * steps);
if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(maxSteps) || maxSteps < steps) throw new Error('--steps must be an integer >= 1 and --max-steps an integer >= --steps');
const evalSteps = num('--eval-steps', steps);
if (!Number.isInteger(evalSteps) || evalSteps < 1 || steps % evalSteps !== 0) throw new Error(`--eval-steps must be a whole divisor of --steps (${steps}) so held-out accuracy is measured at step ${steps}`);
const base: GrpoConfig = {
  ...demo,
  max_steps: maxSteps,
  prompts_per_step: num('--prompts-per-step', demo.prompts_per_step),
  max_completion_length: num('--max-completion-length', demo.max_completion_length),
  eval_problems: num('--eval-problems', 50),
  eval_steps: evalSteps,
  save_steps: 0,
  log_completions_steps: 0,
  beta: 0,
};
if (base.eval_problems < 1) throw new Error('--eval-problems must be >= 1: the comparison is on held-out accuracy');

/** One held-out evaluation, at a step and a cumulative training time (on the --clock; wall and CPU both kept). */
interface EvalPoint { step: number; seconds: number; wall_seconds: number; cpu_seconds: number; accuracy: number; length: number; reflect: number }

interface Outcome {
  variant: string;
  seed: number;
  acc_before: number;
  /** Held-out accuracy at step N (equal steps), and its gain over the start. */
  acc_steps: number;
  gain_steps: number;
  /** Held-out accuracy of the last evaluation within the time budget, and the steps trained by then. */
  acc_seconds: number | null;
  steps_in_budget: number | null;
  /** First evaluation with accuracy ≥ before + 0.20: its step and training seconds (null: not reached). */
  step_plus20: number | null;
  seconds_plus20: number | null;
  /** Means over the first N steps. */
  train_reward: number;
  train_accuracy: number;
  length: number;
  entropy: number;
  reflect: number;
  seconds_per_step: number;
  curve: EvalPoint[];
  entropy_curve: Point[];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

async function runOnce(variant: string, seed: number, scratch: string): Promise<Outcome> {
  const dir = join(scratch, runKey(variant, seed));
  // Cumulative training time after each step (sampling + update; held-out evaluations excluded):
  // wall from the trainer's seconds_per_step, CPU from this process's usage between a step's end
  // (or an evaluation's end) and the next step's end.
  const wall: number[] = [0];
  const cpu: number[] = [0];
  const stop = new AbortController();
  const run = prepareGrpo({ ...base, ...VARIANTS[variant], seed, output_dir: dir }, { quiet: true });
  run.signal = stop.signal;
  let mark = cpuSeconds();
  run.callbacks = [...(run.callbacks ?? []), {
    onStepEnd: (step, m) => {
      const now = cpuSeconds();
      wall.push(wall[wall.length - 1] + m.seconds_per_step);
      cpu.push(cpu[cpu.length - 1] + now - mark);
      mark = now;
      // Stop once both comparisons are covered: N steps done, and the time budget used.
      if (budget !== null && step >= steps && (clock === 'cpu' ? cpu : wall)[step] >= budget) stop.abort();
    },
    onEvaluate: () => { mark = cpuSeconds(); },
  }];
  await runGrpo(run);
  const elapsed = clock === 'cpu' ? cpu : wall;
  const lines = readJsonl(join(dir, 'metrics.jsonl')).map((r) => r.value as Record<string, number>);
  const evals = readJsonl(join(dir, 'eval.jsonl')).map((r) => r.value as Record<string, number>);
  const curve = evals.map((e) => ({ step: e.step, seconds: elapsed[e.step] ?? NaN, wall_seconds: wall[e.step] ?? NaN, cpu_seconds: cpu[e.step] ?? NaN, accuracy: e.accuracy, length: e.mean_length, reflect: e.reflect_rate }));
  const first = curve[0];
  const atSteps = curve.find((e) => e.step === steps);
  if (!first || !atSteps) throw new Error(`${variant} seed ${seed}: no held-out evaluation at step 0 and ${steps}`);
  const within = budget === null ? [] : curve.filter((e) => e.seconds <= budget);
  const plus20 = curve.find((e) => e.accuracy >= first.accuracy + 0.2 - 1e-9);
  const firstN = lines.filter((s) => s.step <= steps);
  return {
    variant, seed,
    acc_before: first.accuracy, acc_steps: atSteps.accuracy, gain_steps: atSteps.accuracy - first.accuracy,
    acc_seconds: within.length ? within[within.length - 1].accuracy : null,
    steps_in_budget: budget === null ? null : elapsed.filter((t, s) => s > 0 && t <= budget).length,
    step_plus20: plus20?.step ?? null, seconds_plus20: plus20?.seconds ?? null,
    train_reward: mean(firstN.map((s) => s['reward/mean'])),
    train_accuracy: mean(firstN.map((s) => s.accuracy)),
    length: mean(firstN.map((s) => s['completion_length/mean'])),
    entropy: mean(firstN.filter((s) => s.entropy !== undefined).map((s) => s.entropy)),
    reflect: mean(firstN.map((s) => s.reflect_rate)),
    seconds_per_step: mean(firstN.map((s) => s.seconds_per_step)),
    curve,
    entropy_curve: lines.filter((s) => s.entropy !== undefined).map((s) => ({ x: s.step, y: s.entropy })),
  };
}

/** A run's name: its folder in the scratch space and its file in --results. */
function runKey(variant: string, seed: number): string {
  return `${variant.replace(/[^a-z0-9_+-]/gi, '_')}-seed${seed}`;
}

/** −1, 0 or 1. */
const sign = (x: number) => (x > 1e-12 ? 1 : x < -1e-12 ? -1 : 0);

const resultsDir = flag('--results');
const store = runStore<Outcome>(resultsDir);
/** Everything a run's outcome depends on: a stored run made with other settings is refused, not reused. */
function runSettings(variant: string, seed: number): unknown {
  const { output_dir: _dir, ...config } = base;
  return { config, variant: VARIANTS[variant], seed, steps, max_steps: maxSteps, budget, clock, threads: getNumThreads() };
}
// A stored run made with other settings stops the bench before any training, not after hours;
// what this check reads is what the runs below reuse (each file is read once).
const storedRuns = new Map<string, Outcome | undefined>();
for (const v of names) for (const seed of [...seeds, ...(tiebreak !== null ? [tiebreak] : [])]) storedRuns.set(runKey(v, seed), store.get(runKey(v, seed), runSettings(v, seed)));
const scratch = mkdtempSync(join(tmpdir(), 'aha-bench-family-'));
const outcomes: Outcome[] = [];
try {
  console.error(`bench:family: ${configFile}, ${steps} steps${budget !== null ? ` and ${budget} ${timeUnit} of training (at most ${maxSteps} steps)` : ''} × ${base.prompts_per_step} prompts × ${base.num_generations}, seeds ${seeds.join(',')}${tiebreak !== null ? ` (+${tiebreak} on disagreement)` : ''}, ${base.eval_problems} held-out problems every ${evalSteps} steps; variants ${names.join(', ')}`);
  for (const v of names) {
    const runs: Outcome[] = [];
    const once = async (seed: number) => {
      const key = runKey(v, seed);
      const settings = runSettings(v, seed);
      const stored = storedRuns.get(key);
      const o = stored ?? (await runOnce(v, seed, scratch));
      if (!stored) store.put(key, settings, o);
      console.error(`  ${v} seed ${seed}${stored ? ` (stored: ${store.file(key)})` : ''}: held-out ${o.acc_before.toFixed(3)} -> ${o.acc_steps.toFixed(3)} at step ${steps}${o.acc_seconds !== null ? `, ${o.acc_seconds.toFixed(3)} within ${budget} ${timeUnit} (${o.steps_in_budget} steps)` : ''}, ${o.seconds_per_step.toFixed(1)} s/step`);
      runs.push(o);
    };
    for (const seed of seeds) await once(seed);
    if (tiebreak !== null && runs.length === 2 && sign(runs[0].gain_steps) !== sign(runs[1].gain_steps)) await once(tiebreak);
    outcomes.push(...runs);
  }
} finally {
  if (keep) console.error(`run folders kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

const KEYS = ['acc_before', 'acc_steps', 'gain_steps', 'train_reward', 'train_accuracy', 'length', 'entropy', 'reflect', 'seconds_per_step'] as const;
const f = (x: number | null, d = 3) => (x !== null && Number.isFinite(x) ? x.toFixed(d) : '–');
/** The mean over the runs when every run has a value, else null (e.g. +20 points not reached by every seed). */
const meanOfAll = (xs: (number | null)[]) => (xs.length > 0 && xs.every((x) => x !== null) ? mean(xs as number[]) : null);
const budgetCol = budget !== null ? ` held-out accuracy within ${budget} ${timeUnit} (steps) |` : '';
// The budget column compares runs at equal time only where the budget ends them; a run that
// reaches --max-steps first stops early, and then a slower variant is measured after more time.
// The common-time column takes every run at the same time: the shortest training time any run
// reached at its last evaluation.
const commonTime = Math.min(...outcomes.map((o) => o.curve[o.curve.length - 1].seconds));
/** The last held-out evaluation at or before `t` training seconds (budget clock). */
const evalWithin = (o: Outcome, t: number) => o.curve.filter((e) => e.seconds <= t + 1e-9).pop()!;
console.log(`| variant | seeds | held-out accuracy before → step ${steps} | gain |${budgetCol} held-out accuracy within ${commonTime.toFixed(0)} ${timeUnit} (step) | +20 pts at step (${timeUnit}) | train reward | length (tokens) | entropy | reflections | ${timeUnit}/step |`);
console.log(`| --- | --- | --- | --- |${budget !== null ? ' --- |' : ''} --- | --- | --- | --- | --- | --- | --- |`);
const summaries: Record<string, unknown>[] = [];
for (const v of names) {
  const runs = outcomes.filter((o) => o.variant === v);
  const m = Object.fromEntries(KEYS.map((k) => [k, mean(runs.map((o) => o[k]))])) as Record<(typeof KEYS)[number], number>;
  const accSeconds = meanOfAll(runs.map((o) => o.acc_seconds));
  const stepsInBudget = meanOfAll(runs.map((o) => o.steps_in_budget));
  const step20 = meanOfAll(runs.map((o) => o.step_plus20));
  const sec20 = meanOfAll(runs.map((o) => o.seconds_plus20));
  const budgetCell = budget !== null ? ` ${f(accSeconds)} (${f(stepsInBudget, 1)}) |` : '';
  const plus20 = step20 === null ? '–' : `${f(step20, 0)} (${f(sec20, 0)})`;
  const atCommon = runs.map((o) => evalWithin(o, commonTime));
  const accCommon = mean(atCommon.map((e) => e.accuracy)), stepCommon = mean(atCommon.map((e) => e.step));
  // Training time per step in the budget's clock, over the first N steps (the trainer's own
  // seconds_per_step is wall time, which on a shared machine measures the load).
  const perStep = mean(runs.map((o) => o.curve.find((e) => e.step === steps)!.seconds / steps));
  console.log(`| ${v} | ${runs.map((o) => o.seed).join(',')} | ${f(m.acc_before)} → ${f(m.acc_steps)} | ${m.gain_steps >= 0 ? '+' : ''}${f(m.gain_steps)} |${budgetCell} ${f(accCommon)} (${f(stepCommon, 0)}) | ${plus20} | ${f(m.train_reward)} | ${f(m.length, 1)} | ${f(m.entropy)} | ${f(m.reflect)} | ${f(perStep, 2)} |`);
  summaries.push({
    variant: v, ...Object.fromEntries(KEYS.map((k) => [k, Number.isFinite(m[k]) ? Number(m[k].toFixed(4)) : null])),
    acc_seconds: accSeconds, steps_in_budget: stepsInBudget, common_seconds: commonTime, acc_common_seconds: accCommon, step_common_seconds: stepCommon,
    train_seconds_per_step: perStep, step_plus20: step20, seconds_plus20: sec20, runs,
  });
}
if (json) for (const s of summaries) console.log(JSON.stringify(s));

if (plotDir !== undefined) {
  mkdirSync(plotDir, { recursive: true });
  const written = await exportPngs(familyCharts(), plotDir, { width: 800, height: 420 });
  console.error(`plots: ${written.join(', ')}`);
}

/** Mean over a variant's seeds of one curve, point by point (x = step, or the seeds' mean training time). */
function meanCurve(runs: Outcome[], y: (e: EvalPoint) => number, byTime: boolean): Point[] {
  const stepsSeen = [...new Set(runs.flatMap((o) => o.curve.map((e) => e.step)))].sort((a, b) => a - b);
  const out: Point[] = [];
  for (const step of stepsSeen) {
    const at = runs.map((o) => o.curve.find((e) => e.step === step)).filter((e): e is EvalPoint => e !== undefined);
    // Past N steps only the runs still going have a point; keep the curve to steps every seed reached.
    if (at.length < runs.length) continue;
    out.push({ x: byTime ? mean(at.map((e) => e.seconds)) : step, y: mean(at.map(y)) });
  }
  return out;
}

/** The family's curves as report charts: one line per variant (seed means), one chart per quantity. */
function familyCharts(): ChartSpec[] {
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  const line = (label: string, data: Point[], i: number): LineDataset => ({
    label, data, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderDash: i >= PALETTE.length ? [6, 3] : [],
    clip: 6, borderWidth: 1.75, pointRadius: 2, spanGaps: true, ahaRun: i, ahaKey: label,
  });
  const chart = (id: string, title: string, yLabel: string, xLabel: string, series: (runs: Outcome[]) => Point[]): ChartSpec => {
    const options = chartOptions(title, yLabel) as { scales: { x: { title: { text: string } } } };
    options.scales.x.title.text = xLabel;
    const datasets = names.map((v, i) => line(v, series(outcomes.filter((o) => o.variant === v)), i));
    return { id, title, section: 'Family', main: true, source: 'eval', config: { type: 'line', data: { datasets }, options } };
  };
  const held = `held-out, ${base.eval_problems} problems, mean of seeds`;
  return [
    chart('family-accuracy', `Held-out accuracy by step (${held})`, 'accuracy', 'step', (r) => meanCurve(r, (e) => e.accuracy, false)),
    chart('family-accuracy-time', `Held-out accuracy by training time (${held})`, 'accuracy', clock === 'cpu' ? 'training CPU seconds' : 'training seconds (wall)', (r) => meanCurve(r, (e) => e.accuracy, true)),
    chart('family-length', `Held-out mean length (${held})`, 'tokens', 'step', (r) => meanCurve(r, (e) => e.length, false)),
    chart('family-reflection', `Held-out reflection words per answer (${held})`, 'words', 'step', (r) => meanCurve(r, (e) => e.reflect, false)),
    chart('family-entropy', 'Training token entropy by step (mean of seeds)', 'nats', 'step', (r) => {
      const byStep = new Map<number, number[]>();
      for (const o of r) for (const p of o.entropy_curve) byStep.set(p.x, [...(byStep.get(p.x) ?? []), p.y]);
      return [...byStep].filter(([, ys]) => ys.length === r.length).map(([x, ys]) => ({ x, y: mean(ys) })).sort((a, b) => a.x - b.x);
    }),
  ];
}
