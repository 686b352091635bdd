// `npm run bench:score`: SCoRe in miniature (configs/score-countdown.yaml: two-attempt RL on the
// bundled Countdown base model, its warm-up, Stage I then Stage II) with a fixed seed and budget,
// through the recipe's own path (pipeline/score.ts prepareScoreRun, as `aha train --recipe score`),
// timed from loading the model to the last held-out evaluation, in wall and CPU seconds. The
// warm-up (SFT on the model's own samples, a second sample of a problem as the re-attempt) gives
// the second attempt a fair start; both baselines start from the same warmed-up model. Reports
// held-out Accuracy@t1, Accuracy@t2 and the paper's Δ_i→c, Δ_c→i before and after training.
// Flags: --seed N[,N...] (default: the config's), --steps N, --eval-problems N, --eval-samples K (each
//        held-out problem evaluated K times, independent two-attempt rollouts: Countdown level 0 has
//        only 206 held-out problems, so a larger evaluation repeats them), --warmup-prompts N
//        (score_warmup_prompts; 0 = no warm-up), --keep (keep the run folders), --json (last line
//        machine-readable), --baseline grpo,pair-sft (also: plain GRPO on single attempts with the
//        same settings and steps; Pair-SFT / STaR: SFT on the warmed-up model's own corrected pairs
//        from as many sampled prompts; their two attempts evaluated after), --baselines-only (the
//        warm-up and the baselines alone), --config FILE (another settings file with self_correction: score),
//        --warmup-from DIR (a folder an earlier run kept with --keep: each seed's SCoRe run starts from
//        the warm-up in DIR/score-seedN/warmup instead of redoing it, when the settings it depends on and
//        the starting model's contents match: pipeline/score.ts reuseScoreWarmup).
// Several seeds run one after another; the JSON line then holds their means and each run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareScoreRun, reuseScoreWarmup, scoreWarmup, WARMUP_OFF, type ScoreWarmup } from '../src/pipeline/score.js';
import { demoConfig } from '../src/rl/demo.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { correctionPairs, SCORE_DEFAULTS, secondAttemptPrompt, twoAttemptHeldout, twoAttemptRollout, type CorrectionPair } from '../src/rl/self-correction.js';
import type { GrpoRunOptions } from '../src/rl/trainer.js';
import { SFTTrainer } from '../src/sft/sft-trainer.js';
import { readJsonl } from '../src/util/jsonl.js';
import { Rng } from '../src/util/rng.js';
import { benchArgs } from './lib/args.js';
import { cpuSeconds } from '../src/util/cpu-time.js';

const cli = benchArgs('bench:score', ['--config', '--baseline', '--seed', '--steps', '--eval-problems', '--eval-samples', '--warmup-prompts', '--warmup-from'], ['--json', '--baselines-only', '--keep']);
const flag = cli.value;
const SCORE_CONFIG_FILE = flag('--config') ?? 'configs/score-countdown.yaml';
const json = cli.has('--json');
const baselinesOnly = cli.has('--baselines-only');
const keep = cli.has('--keep');
const BASELINES = ['grpo', 'pair-sft'];
const baselines = (flag('--baseline') ?? '').split(',').filter((b) => b !== '');
for (const b of baselines) if (!BASELINES.includes(b)) throw new Error(`--baseline: choose from ${BASELINES.join(', ')}, got "${b}"`);
const base = demoConfig(SCORE_CONFIG_FILE);
const seeds = cli.integers('--seed', [base.seed]);
const steps = cli.int('--steps', base.max_steps);
const evalProblems = cli.int('--eval-problems', base.eval_problems);
const evalSamples = cli.int('--eval-samples', 1);
if (evalSamples < 1) throw new Error('--eval-samples: at least 1 two-attempt rollout per held-out problem');
/**
 * The held-out problems, each evaluated `--eval-samples` times. The evaluation's generator is its own
 * (seeded by seed and step), so a larger evaluation changes no training sample; a problem's rollouts
 * are independent draws, so Δ's standard error √((Δ_i→c + Δ_c→i)/n) over all n rollouts stays an
 * upper bound for the noise of the mean over these problems.
 */
const repeated = <T>(items: readonly T[]): T[] => Array.from({ length: evalSamples }, () => items).flat();
// A shorter run keeps the config's share of Stage I steps.
const stageOne = base.score_stage_one_steps === null ? null : Math.round((base.score_stage_one_steps * steps) / base.max_steps);
// The warm-up (docs/self-correction.md, "The warm-up"): the config's score_warmup_* settings.
const warmupPrompts = cli.int('--warmup-prompts', base.score_warmup_prompts);
if (base.model === null) throw new Error(`${SCORE_CONFIG_FILE}: model is required (the starting policy)`);
const startModel: string = base.model;
const config = { ...base, max_steps: steps, score_stage_one_steps: stageOne, eval_problems: evalProblems, eval_steps: base.eval_steps > 0 && base.eval_steps <= steps ? base.eval_steps : 0, save_steps: 0,
  // --warmup-prompts 0 turns the warm-up off with its settings (they are errors without it).
  ...(warmupPrompts === 0 ? WARMUP_OFF : { score_warmup_prompts: warmupPrompts }) };
const warmupFrom = flag('--warmup-from');
if (warmupFrom !== undefined && (warmupPrompts === 0 || baselinesOnly)) throw new Error('--warmup-from: reuses a SCoRe run\'s warm-up; it needs the warm-up on and a SCoRe run (not --baselines-only)');
/** The config on a model as it is (already warmed up): the baselines' samplers. */
const noWarmup = { ...config, ...WARMUP_OFF };

interface Outcome {
  seed: number;
  acc_t1_before: number;
  acc_t2_before: number;
  acc_t1_after: number;
  acc_t2_after: number;
  delta_i2c: number;
  delta_c2i: number;
  delta_i2c_before: number;
  delta_c2i_before: number;
  same_answer_after: number;
  seconds: number;
  /** CPU seconds of the run (see cpuSeconds). */
  cpu_seconds: number;
  /** The warm-up's summary (warmup.json): transcripts, fixes and breaks, time. */
  warmup?: ScoreWarmup;
  grpo?: Baseline;
  pair_sft?: Baseline & { pairs: number; star_pairs: number };
}

interface Baseline {
  acc_t1_after: number;
  acc_t2_after: number;
  delta_i2c: number;
  delta_c2i: number;
  seconds: number;
  cpu_seconds: number;
}

/** Both attempts on the held-out problems with a prepared run's model (the baselines' evaluation). */
async function heldoutBoth(prepared: GrpoRunOptions, seed: number): Promise<Omit<Baseline, 'seconds' | 'cpu_seconds'>> {
  const run = { ...prepared, evalItems: repeated(prepared.evalItems ?? []) };
  const h = await twoAttemptHeldout({
    items: run.evalItems ?? [], encode: run.encodePrompt ?? ((p) => run.tokenizer.encode(p)), sampler: run.sampler, rng: new Rng((seed ^ 0x5c0e) >>> 0), judges: run.judges,
    weights: run.rewardWeights, maxCompletionTokens: config.max_completion_length, secondPrompt: secondAttemptPrompt(run.config.score_instruction, run.tokenizer, run.config.score_first_attempt_context), contextLength: run.model.config.max_position_embeddings,
  });
  return { acc_t1_after: h.metrics.acc_t1, acc_t2_after: h.metrics.acc_t2, delta_i2c: h.metrics.delta_i2c, delta_c2i: h.metrics.delta_c2i };
}

/** The recipe's path: the warm-up (when configured), then SCoRe from the warmed-up model; its time excludes the warm-up's. */
async function runScore(seed: number, scratch: string): Promise<{ outcome: Outcome; start: string }> {
  const dir = join(scratch, `score-seed${seed}`);
  const t0 = performance.now();
  const c0 = cpuSeconds();
  if (warmupFrom !== undefined) reuseScoreWarmup(join(warmupFrom, `score-seed${seed}`), { ...config, seed, output_dir: dir }, dir);
  // A reused warm-up is found finished (the resume path) and cost this process nothing.
  const { run, warmup } = await prepareScoreRun({ ...config, seed, output_dir: dir }, { resume: warmupFrom !== undefined });
  await runGrpo({ ...run, evalItems: repeated(run.evalItems ?? []) });
  const spent = warmupFrom === undefined ? warmup : null;
  const seconds = (performance.now() - t0) / 1000 - (spent?.seconds ?? 0);
  const cpu = cpuSeconds() - c0 - (spent?.cpu_seconds ?? 0);
  const evals = readJsonl(join(dir, 'eval.jsonl')).map((r) => r.value as Record<string, number>);
  const [first, last] = [evals[0], evals[evals.length - 1]];
  if (!first || first.step !== 0 || last.step !== steps) throw new Error(`${dir}: expected held-out evaluations at steps 0 and ${steps}`);
  const outcome: Outcome = {
    seed,
    acc_t1_before: first.acc_t1, acc_t2_before: first.acc_t2, acc_t1_after: last.acc_t1, acc_t2_after: last.acc_t2,
    delta_i2c: last.delta_i2c, delta_c2i: last.delta_c2i, delta_i2c_before: first.delta_i2c, delta_c2i_before: first.delta_c2i,
    same_answer_after: last.same_answer_frac, seconds, cpu_seconds: cpu, ...(warmup ? { warmup } : {}),
  };
  return { outcome, start: warmup?.model ?? startModel };
}

/** --baselines-only: the warm-up alone (the recipe's), or the config's model without one. */
async function warmupOnly(seed: number, scratch: string): Promise<ScoreWarmup | null> {
  return warmupPrompts === 0 ? null : scoreWarmup({ ...config, seed, output_dir: join(scratch, `score-seed${seed}`) });
}

/** --baselines-only: the base model's two attempts (the "before" columns) without a SCoRe run. */
async function baseEvaluation(seed: number, scratch: string, model: string): Promise<Outcome> {
  const run = prepareGrpo({ ...noWarmup, model, seed, output_dir: join(scratch, `base-seed${seed}`) }, { quiet: true });
  const b = await heldoutBoth(run, seed);
  return {
    seed, acc_t1_before: b.acc_t1_after, acc_t2_before: b.acc_t2_after, acc_t1_after: NaN, acc_t2_after: NaN, delta_i2c: NaN, delta_c2i: NaN,
    delta_i2c_before: b.delta_i2c, delta_c2i_before: b.delta_c2i, same_answer_after: NaN, seconds: 0, cpu_seconds: 0,
  };
}

/** Plain GRPO on single attempts, same settings and steps; both attempts evaluated after training. */
async function runGrpoBaseline(seed: number, scratch: string, model: string): Promise<Baseline> {
  const dir = join(scratch, `grpo-seed${seed}`);
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const run = prepareGrpo({ ...config, ...SCORE_DEFAULTS, model, seed, output_dir: dir, eval_steps: 0 }, {});
  await runGrpo(run);
  const seconds = (performance.now() - t0) / 1000;
  const h = await heldoutBoth(run, seed);
  return { ...h, seconds, cpu_seconds: cpuSeconds() - c0 };
}

/**
 * Pair-SFT: two-attempt rollouts of the base model on as many training prompts as SCoRe samples
 * (steps × prompts_per_step, G each); every wrong first attempt paired with a right first attempt
 * of the same problem as its second answer; SFT on those; both attempts evaluated. The STaR pairs
 * (the base model's own wrong→right corrections) are counted and added to the data.
 */
async function runPairSftBaseline(seed: number, scratch: string, model: string): Promise<NonNullable<Outcome['pair_sft']>> {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const base = prepareGrpo({ ...noWarmup, model, seed, output_dir: join(scratch, `pairs-seed${seed}`) }, { quiet: true });
  const rng = new Rng(seed);
  const second = secondAttemptPrompt(base.config.score_instruction, base.tokenizer, base.config.score_first_attempt_context);
  const pairs: CorrectionPair[] = [];
  let starPairs = 0;
  for (let s = 0; s < steps; s++) {
    const items = Array.from({ length: config.prompts_per_step }, () => base.prompts.next());
    const t = await twoAttemptRollout({
      items, groupSize: config.num_generations, encode: base.encodePrompt ?? ((p) => base.tokenizer.encode(p)), sampler: base.sampler, rng, judges: base.judges,
      weights: base.rewardWeights, maxCompletionTokens: config.max_completion_length, secondPrompt: second, contextLength: base.model.config.max_position_embeddings,
    });
    const star = correctionPairs('star', t.first, config.num_generations, second, t.second);
    starPairs += star.length;
    pairs.push(...correctionPairs('pair', t.first, config.num_generations, second), ...star);
  }
  const data = join(scratch, `pairs-seed${seed}.jsonl`);
  writeFileSync(data, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  console.error(`pair-sft seed ${seed}: ${pairs.length} pairs (${starPairs} the model's own corrections)`);
  const out = await new SFTTrainer({
    model: base.configRecord!.model as string, train_dataset: data,
    args: { output_dir: join(scratch, `sft-seed${seed}`), learning_rate: config.learning_rate, num_train_epochs: 2, per_device_train_batch_size: 16, max_length: 512, seed, save_steps: 0, disable_tqdm: true },
  }).train();
  const tuned = prepareGrpo({ ...config, ...SCORE_DEFAULTS, model: out.model_dir, seed, output_dir: join(scratch, `sft-eval-seed${seed}`) }, { quiet: true });
  const h = await heldoutBoth(tuned, seed);
  return { ...h, seconds: (performance.now() - t0) / 1000, cpu_seconds: cpuSeconds() - c0, pairs: pairs.length, star_pairs: starPairs };
}

const scratch = mkdtempSync(join(tmpdir(), 'aha-bench-score-'));
const outcomes: Outcome[] = [];
try {
  console.error(`bench:score: ${SCORE_CONFIG_FILE}, ${steps} steps (Stage I ${config.score_stage_one_steps ?? Math.floor(steps / 2)}), seeds ${seeds.join(',')}, ${evalProblems} held-out problems${evalSamples > 1 ? ` × ${evalSamples} rollouts` : ''}${baselines.length ? `, baselines ${baselines.join(', ')}` : ''}`);
  for (const seed of seeds) {
    let o: Outcome;
    let start: string;
    if (baselinesOnly) {
      const w = await warmupOnly(seed, scratch);
      start = w?.model ?? startModel;
      o = { ...(await baseEvaluation(seed, scratch, start)), ...(w ? { warmup: w } : {}) };
    } else {
      ({ outcome: o, start } = await runScore(seed, scratch));
    }
    if (baselines.includes('grpo')) o.grpo = await runGrpoBaseline(seed, scratch, start);
    if (baselines.includes('pair-sft')) o.pair_sft = await runPairSftBaseline(seed, scratch, start);
    outcomes.push(o);
  }
} finally {
  if (keep) console.error(`run folders kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

const pct = (x: number) => (x * 100).toFixed(1);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${pct(x)}`;
console.log('| seed | run | Acc@t1 | Acc@t2 | Δ(t1,t2) | Δ_i→c | Δ_c→i | seconds | CPU seconds |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const o of outcomes) {
  const w = o.warmup;
  // A kept warm-up (--warmup-from) shows the time it took when it was made.
  const made = warmupFrom === undefined ? 'warm-up' : 'kept warm-up';
  console.log(`| ${o.seed} | base | ${pct(o.acc_t1_before)} | ${pct(o.acc_t2_before)} | ${signed(o.acc_t2_before - o.acc_t1_before)} | ${pct(o.delta_i2c_before)} | ${pct(o.delta_c2i_before)} | ${w ? `${made} ${w.seconds.toFixed(0)}` : ''} | ${w ? `${made} ${w.cpu_seconds.toFixed(0)}` : ''} |`);
  if (!baselinesOnly) console.log(`| ${o.seed} | SCoRe | ${pct(o.acc_t1_after)} | ${pct(o.acc_t2_after)} | ${signed(o.acc_t2_after - o.acc_t1_after)} | ${pct(o.delta_i2c)} | ${pct(o.delta_c2i)} | ${o.seconds.toFixed(0)} | ${o.cpu_seconds.toFixed(0)} |`);
  for (const [name, b] of [['GRPO', o.grpo], ['Pair-SFT', o.pair_sft]] as const) {
    if (b) console.log(`| ${o.seed} | ${name} | ${pct(b.acc_t1_after)} | ${pct(b.acc_t2_after)} | ${signed(b.acc_t2_after - b.acc_t1_after)} | ${pct(b.delta_i2c)} | ${pct(b.delta_c2i)} | ${b.seconds.toFixed(0)} | ${b.cpu_seconds.toFixed(0)} |`);
  }
}
const keys = ['acc_t1_before', 'acc_t2_before', 'acc_t1_after', 'acc_t2_after', 'delta_i2c', 'delta_c2i', 'seconds', 'cpu_seconds'] as const;
const summary: Record<string, unknown> = {};
for (const k of keys) summary[k] = Number((outcomes.reduce((s, o) => s + o[k], 0) / outcomes.length).toFixed(4));
if (outcomes.length > 1 || baselines.length > 0) summary.runs = outcomes;
if (json) console.log(JSON.stringify(summary));
