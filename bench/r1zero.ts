// `npm run bench:r1zero`: the R1-Zero demo (configs/r1-zero-countdown.yaml: GRPO on the bundled
// Countdown base model, accuracy and format rewards only) with a fixed seed and budget, timed from
// loading the model to the last held-out evaluation. Reports held-out accuracy, mean completion
// length (tokens) and reflection words per completion before and after training.
// Flags: --seed N[,N...] (default: the demo's), --beta B[,B...] (KL coefficient; default the demo's),
//        --steps N, --keep (keep the run folders), --json (last line machine-readable),
//        --config FILE (another settings file of the package, e.g. configs/r1-zero-arithmetic.yaml),
//        --sampling-precision f32|bf16 (the rollouts' precision; default the config's),
//        --no-correction (with bf16: the sampler correction off, which bf16 turns on by default).
// Several seeds or betas run one after another; the JSON line then holds their means and each run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig, DEMO_CONFIG_FILE } from '../src/rl/demo.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { samplingPrecisionProblem, type SamplingPrecision } from '../src/model/sampling-precision.js';
import { readJsonl } from '../src/util/jsonl.js';
import { benchArgs } from './lib/args.js';

const cli = benchArgs('bench:r1zero', ['--seed', '--beta', '--steps', '--config', '--sampling-precision'], ['--json', '--keep', '--no-correction']);
const flag = cli.value;
const json = cli.has('--json');
const keep = cli.has('--keep');
const configFile = flag('--config') ?? DEMO_CONFIG_FILE;
const demo = demoConfig(configFile);
const seeds = cli.numbers('--seed', [demo.seed]);
const betas = cli.numbers('--beta', [demo.beta]);
const steps = cli.int('--steps', demo.max_steps);
const precision = (flag('--sampling-precision') ?? demo.sampling_precision) as SamplingPrecision;
const precisionProblem = samplingPrecisionProblem(precision);
if (precisionProblem !== null) throw new Error(`bench:r1zero: --sampling-precision: ${precisionProblem}`);
const correction = cli.has('--no-correction') ? false : demo.vllm_importance_sampling_correction;

interface Outcome {
  seed: number;
  beta: number;
  acc_before: number;
  acc_after: number;
  len_before: number;
  len_after: number;
  reflect_before: number;
  reflect_after: number;
  seconds: number;
  /** Sampling in BF16: the mean over steps of the per-token |Δ log p| between trainer and sampler, and its largest value. */
  logp_gap_mean?: number;
  logp_gap_max?: number;
}

async function runOnce(seed: number, beta: number, scratch: string): Promise<Outcome> {
  const dir = join(scratch, `seed${seed}-beta${beta}`);
  const t0 = performance.now();
  const run = prepareGrpo({ ...demo, seed, beta, max_steps: steps, output_dir: dir, save_steps: 0, sampling_precision: precision, vllm_importance_sampling_correction: correction }, {});
  await runGrpo(run);
  const seconds = (performance.now() - t0) / 1000;
  const evals = readJsonl(join(dir, 'eval.jsonl')).map((r) => r.value as Record<string, number>);
  const [first, last] = [evals[0], evals[evals.length - 1]];
  if (!first || first.step !== 0 || last.step !== steps) throw new Error(`${dir}: expected held-out evaluations at steps 0 and ${steps}`);
  const gaps = readJsonl(join(dir, 'metrics.jsonl')).map((r) => r.value as Record<string, number>).filter((m) => m['sampling/sampling_logp_difference/mean'] !== undefined);
  return {
    seed, beta,
    acc_before: first.accuracy, acc_after: last.accuracy,
    len_before: first.mean_length, len_after: last.mean_length,
    reflect_before: first.reflect_rate, reflect_after: last.reflect_rate,
    seconds,
    ...(gaps.length > 0 ? {
      logp_gap_mean: gaps.reduce((a, m) => a + m['sampling/sampling_logp_difference/mean'], 0) / gaps.length,
      logp_gap_max: Math.max(...gaps.map((m) => m['sampling/sampling_logp_difference/max'])),
    } : {}),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'aha-bench-r1zero-'));
const outcomes: Outcome[] = [];
try {
  console.error(`bench:r1zero: ${configFile}, ${steps} steps, seeds ${seeds.join(',')}, beta ${betas.join(',')}, ${demo.eval_problems} held-out problems, sampling in ${precision}${correction === false ? ', no sampler correction' : ''}`);
  for (const beta of betas) for (const seed of seeds) outcomes.push(await runOnce(seed, beta, scratch));
} finally {
  if (keep) console.error(`run folders kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

const f = (x: number, d = 3) => x.toFixed(d);
console.log('| seed | beta | accuracy before → after | mean length before → after | reflections before → after | seconds |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const o of outcomes) {
  console.log(`| ${o.seed} | ${o.beta} | ${f(o.acc_before)} → ${f(o.acc_after)} (${o.acc_after >= o.acc_before ? '+' : ''}${f((o.acc_after - o.acc_before) * 100, 1)} pts) | ${f(o.len_before, 1)} → ${f(o.len_after, 1)} (×${f(o.len_after / o.len_before, 2)}) | ${f(o.reflect_before)} → ${f(o.reflect_after)} | ${f(o.seconds, 0)} |`);
}
for (const o of outcomes) if (o.logp_gap_mean !== undefined) console.log(`seed ${o.seed}: sampler/trainer |Δ log p| per token, mean over steps ${o.logp_gap_mean.toFixed(5)}, largest ${o.logp_gap_max!.toFixed(3)}`);
const keys = ['acc_before', 'acc_after', 'len_before', 'len_after', 'reflect_before', 'reflect_after', 'seconds'] as const;
const summary: Record<string, unknown> = { sampling_precision: precision };
for (const k of keys) summary[k] = Number((outcomes.reduce((s, o) => s + o[k], 0) / outcomes.length).toFixed(4));
if (outcomes.length > 1) summary.runs = outcomes;
if (json) console.log(JSON.stringify(summary));
