// `npm run bench:coat`: Satori's COAT in miniature on the bundled Countdown setting (level 0),
// against plain GRPO at equal time. Per seed: the base model's held-out accuracy; runCoat (meta
// tokens added, format tuning on program-written demos or the critic's from the model's own samples, RL with Restart-and-Explore and the
// reflection bonus; distill-back with --distill), timed from start to end; then plain GRPO (the
// R1-Zero demo's settings) from the base model until it has used as much time. Both are evaluated
// on the same held-out problems, one sample each at temperature 1.
//
// "Equal time" is process CPU-seconds (user + system over every thread, src/util/cpu-time.ts), both runs
// in this one process with the same thread count; wall seconds are reported beside it. On a shared
// machine wall time measures the share of the cores a run was given (a run beside a busy neighbour
// gets fewer seconds of work out of each wall second), CPU time measures the work done. GRPO stops
// after the step that takes it past COAT's CPU time, so any overshoot is in GRPO's favour.
// Flags: --seed N[,N...] (default 42), --demo-source program|self (format-tuning demos written by the
//        program, or made from the base model's own samples by the critic), --self-puzzles N, --self-samples N
//        (the sampling of self demos), --demos N, --verdict subtraction|side|digits, --opening restate|search
//        (how the demos judge a total and open their thinking), --format-steps N, --format-lr X, --rl-steps N,
//        --cpu-seconds N (COAT's whole budget: RL stops after the step that passes it),
//        --restart-share S, --beta B (reflection bonus), --eval N (held-out problems, default 200),
//        --distill, --threads N, --keep (keep the run folders), --json (last line machine-readable).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coatHeldout, coatOptions, evaluateCoat, runCoat, COAT_DEFAULTS } from '../src/pipeline/coat.js';
import { loadModel } from '../src/model/load-model.js';
import { demoConfig } from '../src/rl/demo.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { setNumThreads } from '../src/core/index.js';
import { cpuSeconds } from '../src/util/cpu-time.js';
import { benchArgs } from './lib/args.js';

const cli = benchArgs('bench:coat', ['--seed', '--demo-source', '--self-puzzles', '--self-samples', '--demos', '--verdict', '--opening', '--format-steps', '--format-lr', '--rl-steps', '--cpu-seconds', '--restart-share', '--beta', '--eval', '--threads'], ['--distill', '--keep', '--json']);
const flag = cli.value;
const num = cli.num;
const seeds = cli.integers('--seed', [42]);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error('bench:coat: --seed expects integers separated by commas');
const json = cli.has('--json');
const keep = cli.has('--keep');
const evalN = num('--eval', 200);
const threads = num('--threads', 0);
if (threads > 0) setNumThreads(threads);
const budget = flag('--cpu-seconds');
const coatFlags = {
  threads, demo_source: flag('--demo-source') ?? COAT_DEFAULTS.demo_source,
  self_puzzles: num('--self-puzzles', COAT_DEFAULTS.self_puzzles), self_samples: num('--self-samples', COAT_DEFAULTS.self_samples),
  demos: num('--demos', COAT_DEFAULTS.demos), demo_verdict: flag('--verdict') ?? COAT_DEFAULTS.demo_verdict, demo_opening: flag('--opening') ?? COAT_DEFAULTS.demo_opening,
  format_steps: num('--format-steps', COAT_DEFAULTS.format_steps), format_lr: num('--format-lr', COAT_DEFAULTS.format_lr),
  cpu_seconds: budget === undefined ? COAT_DEFAULTS.cpu_seconds : num('--cpu-seconds', 0),
  rl_steps: num('--rl-steps', COAT_DEFAULTS.rl_steps), restart_share: num('--restart-share', COAT_DEFAULTS.restart_share),
  reflection_beta: num('--beta', COAT_DEFAULTS.reflection_beta), distill: cli.has('--distill'),
};
// Every COAT option checked before the first evaluation, so a bad flag costs nothing.
coatOptions({ ...coatFlags, output_dir: 'check' });
const demo = demoConfig();
const maxTokens = demo.max_completion_length;

interface Outcome {
  seed: number;
  acc_before: number;
  acc_format: number;
  acc_after: number;
  grpo_acc_after: number;
  reflect_per_answer: number;
  explore_per_answer: number;
  continue_per_answer: number;
  reflect_changed: number;
  reflect_fix_rate: number;
  rl_steps: number;
  grpo_steps: number;
  /** Process CPU-seconds of each run (the "equal time"). */
  cpu_seconds: number;
  grpo_cpu_seconds: number;
  /** Wall seconds of each run. */
  seconds: number;
  grpo_seconds: number;
}

async function runOnce(seed: number, scratch: string): Promise<Outcome> {
  const items = coatHeldout(evalN, seed);
  const base = loadModel(demo.model!);
  const before = evaluateCoat(base.model, base.tokenizer, items, maxTokens, seed + 100);
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const coat = await runCoat({ ...coatFlags, output_dir: join(scratch, `coat-${seed}`), seed });
  const seconds = (performance.now() - t0) / 1000;
  const coatCpu = cpuSeconds() - c0;
  const ft = loadModel(coat.formatTuned);
  const format = evaluateCoat(ft.model, ft.tokenizer, items, maxTokens, seed + 100);
  const after = evaluateCoat(coat.final.model, coat.final.tokenizer, items, maxTokens, seed + 100);
  if (coat.selfDemos) console.error(`seed ${seed}: self demos ${JSON.stringify(coat.selfDemos)}`);
  console.error(`seed ${seed}: COAT ${coatCpu.toFixed(0)} CPU-s (format ${coat.cpuSeconds.format.toFixed(0)}, rl ${coat.cpuSeconds.rl.toFixed(0)}), ${seconds.toFixed(0)} s wall (format ${coat.seconds.format.toFixed(0)}, rl ${coat.seconds.rl.toFixed(0)}, distill ${coat.seconds.distill.toFixed(0)}), ${coat.rlSteps} RL steps, ${coat.restartStates} restart states`);

  // Plain GRPO from the base model for the same CPU time.
  const g0 = performance.now();
  const gc0 = cpuSeconds();
  const run = prepareGrpo({ ...demo, seed, max_steps: 10_000, output_dir: join(scratch, `grpo-${seed}`), save_steps: 0, eval_problems: 0, eval_steps: 0, threads }, { quiet: true });
  const abort = new AbortController();
  let grpoSteps = 0;
  await runGrpo({ ...run, signal: abort.signal, onStep: () => {
    grpoSteps++;
    if (cpuSeconds() - gc0 >= coatCpu) abort.abort();
  } });
  const grpoSeconds = (performance.now() - g0) / 1000;
  const grpoCpu = cpuSeconds() - gc0;
  console.error(`seed ${seed}: GRPO ${grpoCpu.toFixed(0)} CPU-s, ${grpoSeconds.toFixed(0)} s wall, ${grpoSteps} steps`);
  const grpo = evaluateCoat(run.model, run.tokenizer, items, maxTokens, seed + 100);
  return {
    seed, acc_before: before.accuracy, acc_format: format.accuracy, acc_after: after.accuracy, grpo_acc_after: grpo.accuracy,
    reflect_per_answer: after.reflect_per_answer, explore_per_answer: after.explore_per_answer, continue_per_answer: after.continue_per_answer,
    reflect_changed: after.reflect_changed, reflect_fix_rate: after.reflect_fix_rate,
    rl_steps: coat.rlSteps, grpo_steps: grpoSteps, cpu_seconds: coatCpu, grpo_cpu_seconds: grpoCpu, seconds, grpo_seconds: grpoSeconds,
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'aha-bench-coat-'));
const outcomes: Outcome[] = [];
try {
  console.error(`bench:coat: seeds ${seeds.join(',')}, ${evalN} held-out problems`);
  for (const seed of seeds) outcomes.push(await runOnce(seed, scratch));
} finally {
  if (keep) console.error(`run folders kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log('| seed | acc base → format-tuned → COAT | GRPO (same CPU time) | reflect / answer | explore / answer | reflect fix rate (changed) | COAT CPU-s / wall s (RL steps) | GRPO CPU-s / wall s (steps) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const o of outcomes) {
  console.log(`| ${o.seed} | ${f(o.acc_before)} → ${f(o.acc_format)} → ${f(o.acc_after)} | ${f(o.grpo_acc_after)} | ${f(o.reflect_per_answer, 2)} | ${f(o.explore_per_answer, 2)} | ${f(o.reflect_fix_rate)} (${o.reflect_changed}) | ${f(o.cpu_seconds, 0)} / ${f(o.seconds, 0)} (${o.rl_steps}) | ${f(o.grpo_cpu_seconds, 0)} / ${f(o.grpo_seconds, 0)} (${o.grpo_steps}) |`);
}
const keys = ['acc_before', 'acc_format', 'acc_after', 'grpo_acc_after', 'reflect_per_answer', 'reflect_fix_rate', 'cpu_seconds', 'grpo_cpu_seconds', 'seconds', 'grpo_seconds'] as const;
const summary: Record<string, unknown> = {};
for (const k of keys) {
  const vals = outcomes.map((o) => o[k]).filter((x) => Number.isFinite(x));
  summary[k] = vals.length > 0 ? Number((vals.reduce((s, x) => s + x, 0) / vals.length).toFixed(4)) : null;
}
if (outcomes.length > 1) summary.runs = outcomes;
if (json) console.log(JSON.stringify(summary));
