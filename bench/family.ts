// `npm run bench:family`: the GRPO family side by side. The same short GRPO run (the demo's
// Countdown settings, configs/r1-zero-countdown.yaml, or another --config) once per variant and
// seed, at equal steps: grpo, dr_grpo, dapo (clip-higher, dynamic sampling, truncation masking),
// gspo, cispo, rloo, reinforce++ and the 80/20 high-entropy-token variant. Prints a markdown
// table of held-out accuracy before → after, training reward and accuracy, completion length,
// entropy, reflections and seconds; --json prints one JSON object per variant (means over seeds,
// each seed's run under "runs").
// Flags: --steps N (default 8), --seed N[,N...] (default the demo's), --prompts-per-step N,
//        --eval-problems N (default 50), --eval-steps N (held-out curve; also gives the step where
//        held-out accuracy first rose by 20 points), --max-completion-length N,
//        --variants a,b,... (default all), --config FILE, --json, --keep.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig, DEMO_CONFIG_FILE } from '../src/rl/demo.js';
import type { GrpoConfig } from '../src/rl/config.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { readJsonl } from '../src/util/jsonl.js';

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

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const num = (name: string, fallback: number): number => {
  const v = flag(name);
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new Error(`${name}: expected a number, got "${v}"`);
  return x;
};
const json = args.includes('--json');
const keep = args.includes('--keep');
const configFile = flag('--config') ?? DEMO_CONFIG_FILE;
const demo = demoConfig(configFile);
const seeds = (flag('--seed') ?? String(demo.seed)).split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seed: expected integers separated by commas`);
const names = (flag('--variants') ?? Object.keys(VARIANTS).join(',')).split(',');
for (const n of names) if (!(n in VARIANTS)) throw new Error(`unknown variant "${n}"; known: ${Object.keys(VARIANTS).join(', ')}`);
const base: GrpoConfig = {
  ...demo,
  max_steps: num('--steps', 8),
  prompts_per_step: num('--prompts-per-step', demo.prompts_per_step),
  max_completion_length: num('--max-completion-length', demo.max_completion_length),
  eval_problems: num('--eval-problems', 50),
  eval_steps: num('--eval-steps', 0),
  save_steps: 0,
  log_completions_steps: 0,
  beta: 0,
};

interface Outcome {
  variant: string;
  seed: number;
  acc_before: number;
  acc_after: number;
  /** First evaluated step with held-out accuracy ≥ before + 0.20 (null: not reached or not evaluated). */
  step_plus20: number | null;
  train_reward: number;
  train_accuracy: number;
  length: number;
  entropy: number;
  reflect: number;
  seconds: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

async function runOnce(variant: string, seed: number, scratch: string): Promise<Outcome> {
  const dir = join(scratch, `${variant.replace(/[^a-z0-9_+-]/gi, '_')}-seed${seed}`);
  const t0 = performance.now();
  await runGrpo(prepareGrpo({ ...base, ...VARIANTS[variant], seed, output_dir: dir }, { quiet: true }));
  const seconds = (performance.now() - t0) / 1000;
  const steps = readJsonl(join(dir, 'metrics.jsonl')).map((r) => r.value as Record<string, number>);
  const evals = base.eval_problems > 0 ? readJsonl(join(dir, 'eval.jsonl')).map((r) => r.value as Record<string, number>) : [];
  const first = evals[0];
  const last = evals[evals.length - 1];
  const plus20 = first ? evals.find((e) => e.accuracy >= first.accuracy + 0.2) : undefined;
  return {
    variant, seed,
    acc_before: first?.accuracy ?? NaN, acc_after: last?.accuracy ?? NaN,
    step_plus20: plus20 ? plus20.step : null,
    train_reward: mean(steps.map((s) => s['reward/mean'])),
    train_accuracy: mean(steps.map((s) => s.accuracy)),
    length: mean(steps.map((s) => s['completion_length/mean'])),
    entropy: mean(steps.filter((s) => s.entropy !== undefined).map((s) => s.entropy)),
    reflect: mean(steps.map((s) => s.reflect_rate)),
    seconds,
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'aha-bench-family-'));
const outcomes: Outcome[] = [];
try {
  console.error(`bench:family: ${configFile}, ${base.max_steps} steps × ${base.prompts_per_step} prompts × ${base.num_generations}, seeds ${seeds.join(',')}, ${base.eval_problems} held-out problems; variants ${names.join(', ')}`);
  for (const v of names) for (const seed of seeds) {
    const o = await runOnce(v, seed, scratch);
    console.error(`  ${v} seed ${seed}: held-out ${o.acc_before.toFixed(3)} -> ${o.acc_after.toFixed(3)}, ${o.seconds.toFixed(0)} s`);
    outcomes.push(o);
  }
} finally {
  if (keep) console.error(`run folders kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

const KEYS = ['acc_before', 'acc_after', 'train_reward', 'train_accuracy', 'length', 'entropy', 'reflect', 'seconds'] as const;
const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
console.log('| variant | held-out accuracy before → after | train reward | train accuracy | length (tokens) | entropy | reflections | +20 pts at step | seconds |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const lines: string[] = [];
for (const v of names) {
  const runs = outcomes.filter((o) => o.variant === v);
  const m = Object.fromEntries(KEYS.map((k) => [k, mean(runs.map((o) => o[k]))])) as Record<(typeof KEYS)[number], number>;
  const reached = runs.map((o) => o.step_plus20).filter((s): s is number => s !== null);
  const plus20 = reached.length === runs.length && runs.length > 0 ? mean(reached) : null;
  console.log(`| ${v} | ${f(m.acc_before)} → ${f(m.acc_after)} | ${f(m.train_reward)} | ${f(m.train_accuracy)} | ${f(m.length, 1)} | ${f(m.entropy)} | ${f(m.reflect)} | ${plus20 === null ? '–' : f(plus20, 0)} | ${f(m.seconds, 0)} |`);
  lines.push(JSON.stringify({ variant: v, ...Object.fromEntries(KEYS.map((k) => [k, Number.isFinite(m[k]) ? Number(m[k].toFixed(4)) : null])), step_plus20: plus20, runs }));
}
if (json) for (const l of lines) console.log(l);
