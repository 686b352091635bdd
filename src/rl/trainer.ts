// The GRPO training loop: per step, sample G completions for each prompt (with DAPO dynamic
// sampling if asked), score them, turn rewards into group-relative advantages, then run
// num_iterations optimisation passes over micro-batches (old-policy and reference log-probs
// computed once, without the tape), with AdamW, warm-up and schedule, and gradient clipping.
// Writes metrics.jsonl, completions.jsonl and atomic checkpoints; resumes exactly; stops cleanly
// on Ctrl-C after saving.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GroupedAdamW } from '../model/optimizer.js';
import type { CausalLM } from '../model/causal-lm.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { checkpointDir, saveTrainingCheckpoint, type OptimizerState } from '../model/training-checkpoint.js';
import { appendJsonl, readJsonl, truncateJsonlAfterStep } from '../util/jsonl.js';
import { atomicWriteFile } from '../util/atomic.js';
import { progress } from '../util/progress.js';
import { Rng, type RngState } from '../util/rng.js';
import { learningRate } from '../util/schedule.js';
import { notify, type TrainerCallback } from '../util/callbacks.js';
import { combineRewards, computeAdvantages, type CombinedRewards } from './advantages.js';
import type { ResolvedGrpoConfig } from './config.js';
import { policyUpdate } from './update.js';
import { collectBatch } from './dynamic-sampling.js';
import { finiteOnly, heldoutMetrics, rolloutMetrics, TrainingSums } from './metrics.js';
import type { PromptItem, PromptPosition, PromptSource } from './prompts.js';
import { rollout, type Judges, type Sampler, type ScoredRow } from './rollout.js';

export type { ResolvedGrpoConfig };

/** Saved in trainer_state.json: with the weights and the optimizer, all a resume needs. */
export interface GrpoTrainerState {
  kind: 'grpo';
  /** Completed steps. */
  step: number;
  /** Completed optimiser updates (num_iterations per step); the schedule's position. */
  updates: number;
  rng: RngState;
  prompts: PromptPosition;
  seed: number;
}

export interface GrpoRunOptions {
  config: ResolvedGrpoConfig;
  model: CausalLM;
  tokenizer: Tokenizer;
  /** The frozen reference policy; required when beta > 0, ignored otherwise. */
  reference: CausalLM | null;
  sampler: Sampler;
  prompts: PromptSource;
  /** Held-out problems evaluated into eval.jsonl (empty = no evaluation). */
  evalItems?: readonly PromptItem[];
  /** Reward names (for metrics) and weights, in the order of judges.rewards. */
  rewardNames: readonly string[];
  rewardWeights: readonly number[];
  judges: Judges;
  runDir: string;
  /** What config.json records (defaults to `config`). */
  configRecord?: Record<string, unknown>;
  resume?: { optimizerState: OptimizerState | null; trainerState: GrpoTrainerState };
  quiet?: boolean;
  /** Stop (and save) after the current step; Ctrl-C does the same. */
  signal?: AbortSignal;
  /** Called with each step's metrics line (tests, benchmarks). */
  onStep?: (metrics: Record<string, number>) => void;
  /** The library's callbacks (util/callbacks.ts): logged steps, step ends, evaluations, checkpoints. */
  callbacks?: readonly TrainerCallback[];
  /** Bound on one forward pass's logits in bytes (tests; default update.ts LOGITS_BUDGET_BYTES). */
  logitsBudgetBytes?: number;
}

export interface GrpoResult {
  state: GrpoTrainerState;
  interrupted: boolean;
  lastMetrics: Record<string, number> | null;
  checkpointDir: string | null;
}

/** One line of completions.jsonl / eval_completions.jsonl (docs/run-folder.md). */
function completionRecord(step: number, r: ScoredRow, rewardNames: readonly string[], combined: CombinedRewards, i: number): Record<string, unknown> {
  const rewards: Record<string, number | null> = {};
  rewardNames.forEach((n, k) => (rewards[n] = r.scores[k]));
  return {
    step, problem_id: r.item.id, prompt: r.item.prompt, completion: r.text,
    reward: combined.scored[i] ? combined.total[i] : null, rewards, correct: r.correct,
    length: r.completionIds.length, gold: r.item.example.gold ?? null, extracted: r.extracted,
  };
}

export async function runGrpo(opts: GrpoRunOptions): Promise<GrpoResult> {
  const cfg = opts.config;
  const { model, runDir } = opts;
  const G = cfg.num_generations;
  if (cfg.beta > 0 && !opts.reference) throw new Error('runGrpo: beta > 0 needs a reference model');
  const params = [...model.parameters().values()];
  const optimizer = new GroupedAdamW(model.parameters(), { lr: cfg.learning_rate, beta1: cfg.adam_beta1, beta2: cfg.adam_beta2, eps: cfg.adam_epsilon, weightDecay: cfg.weight_decay });
  const metricsFile = join(runDir, 'metrics.jsonl');
  const completionsFile = join(runDir, 'completions.jsonl');
  const evalFile = join(runDir, 'eval.jsonl');
  const evalCompletionsFile = join(runDir, 'eval_completions.jsonl');
  const evalItems = opts.evalItems ?? [];
  let evaluatedStep = -1;
  /** Weighted reward totals of rows, one column per reward function. */
  const combine = (rows: readonly ScoredRow[]): CombinedRewards => combineRewards(opts.rewardNames.map((_, k) => rows.map((row) => row.scores[k])), opts.rewardWeights, rows.length);
  const evaluate = async () => {
    if (evalItems.length === 0 || evaluatedStep === step) return;
    evaluatedStep = step;
    // Its own generator, derived from (seed, step): evaluating never shifts the training stream.
    const evalRng = new Rng((cfg.seed ^ Math.imul(step + 1, 0x2545f491)) >>> 0);
    if (!opts.quiet) process.stderr.write(`held-out evaluation at step ${step}: ${evalItems.length} problems...\n`);
    const { rows } = await rollout(evalItems, 1, (p) => opts.tokenizer.encode(p), opts.sampler, evalRng, opts.judges, cfg.max_completion_length);
    const line = heldoutMetrics(rows);
    // The same problems at every evaluation: the report sets a problem's first and last answers side by side.
    const scored = combine(rows);
    rows.forEach((r, i) => appendJsonl(evalCompletionsFile, { ...completionRecord(step, r, opts.rewardNames, scored, i), split: 'heldout' }));
    appendJsonl(evalFile, { step, split: 'heldout', ...line });
    await notify(opts.callbacks, 'onEvaluate', line, step);
    if (!opts.quiet) process.stderr.write(`held-out at step ${step}: accuracy ${line.accuracy.toFixed(3)}, mean length ${line.mean_length.toFixed(1)}, reflections ${line.reflect_rate.toFixed(3)}, format ${line.format_rate.toFixed(3)} (n=${line.n})\n`);
  };
  const schedule = { kind: cfg.lr_scheduler_type, peakLr: cfg.learning_rate, warmupSteps: cfg.warmup_steps, totalSteps: cfg.max_steps * cfg.num_iterations };

  let rng: Rng;
  let step = 0;
  let updates = 0;
  if (opts.resume) {
    const s = opts.resume.trainerState;
    if (opts.resume.optimizerState) optimizer.loadState(opts.resume.optimizerState);
    rng = new Rng(s.rng);
    step = s.step;
    updates = s.updates;
    opts.prompts.seek(s.prompts);
    truncateJsonlAfterStep(metricsFile, step);
    truncateJsonlAfterStep(completionsFile, step);
    truncateJsonlAfterStep(evalFile, step);
    truncateJsonlAfterStep(evalCompletionsFile, step);
    // A run stopped right after its evaluation is not evaluated twice at the same step.
    evaluatedStep = existsSync(evalFile) && readJsonl(evalFile).some((r) => r.value.step === step) ? step : -1;
  } else {
    rng = new Rng(cfg.seed);
  }
  atomicWriteFile(join(runDir, 'config.json'), JSON.stringify(opts.configRecord ?? cfg, null, 2) + '\n');

  const state = (): GrpoTrainerState => ({ kind: 'grpo', step, updates, rng: rng.state(), prompts: opts.prompts.position(), seed: cfg.seed });
  let lastCheckpoint: string | null = null;
  let savedStep = step;
  const save = () => {
    savedStep = step;
    const dir = checkpointDir(runDir, step);
    saveTrainingCheckpoint(dir, { model, tokenizer: opts.tokenizer, optimizerState: optimizer.state(), trainerState: { ...state() } });
    lastCheckpoint = dir;
    return notify(opts.callbacks, 'onSave', dir, step);
  };

  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    process.stderr.write('\naha: stopping when this step ends and saving a checkpoint (Ctrl-\\ quits at once without saving)\n');
  };
  process.on('SIGINT', onSigint);
  const bar = progress({ label: 'train', total: cfg.max_steps, fields: ['reward', 'acc', 'len', 'reflect', 's/step'], start: step, silent: opts.quiet });
  let lastMetrics: Record<string, number> | null = null;
  let interrupted = false;
  try {
    if (step === 0) await evaluate();
    while (step < cfg.max_steps) {
      // Sampling and training are synchronous native work: give the event loop a turn so a
      // pending Ctrl-C (delivered through it) is seen between steps.
      await new Promise((done) => setImmediate(done));
      if (stopRequested || opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const stepStart = performance.now();
      const times = { sampling: 0, scoring: 0, reference: 0, training: 0 };

      // 1. Rollouts and rewards (several rounds only with dynamic sampling).
      const { sampled, zeroStd: zeroStdAll, kept, ...cost } = await collectBatch({
        prompts: opts.prompts, promptsPerStep: cfg.prompts_per_step, groupSize: G, dynamic: cfg.dynamic_sampling,
        maxRounds: cfg.max_sampling_rounds, weights: opts.rewardWeights, encode: (p) => opts.tokenizer.encode(p),
        sampler: opts.sampler, rng, judges: opts.judges, maxCompletionTokens: cfg.max_completion_length,
      });
      times.sampling = cost.sampleSeconds;
      times.scoring = cost.scoreSeconds;
      const sampledTokens = cost.sampledTokens;

      // 2. Advantages over the batch that is trained on, then the num_iterations updates.
      const allRewards = combine(sampled);
      const sums = new TrainingSums();
      let trainTokens = 0;
      if (kept.length > 0) {
        const keptRewards = combine(kept);
        const { advantages } = computeAdvantages(keptRewards, { groupSize: G, scale: cfg.scale_rewards, eps: cfg.advantage_eps });

        const t = policyUpdate({
          config: cfg, model, reference: opts.reference, optimizer, params, padId: opts.tokenizer.padId,
          rows: kept, advantages, lrAt: (u) => learningRate(schedule, u), updatesBefore: updates, sums, logitsBudgetBytes: opts.logitsBudgetBytes,
        });
        updates += cfg.num_iterations;
        times.reference = t.reference;
        times.training = t.training;
        trainTokens = t.trainTokens;
      }
      step++;

      // 3. Metrics, completions, checkpoint.
      const seconds = (performance.now() - stepStart) / 1000;
      const metrics = finiteOnly({
        ...rolloutMetrics({
          names: opts.rewardNames, columns: opts.rewardNames.map((_, k) => sampled.map((row) => row.scores[k])), total: allRewards.total, scored: allRewards.scored,
          correct: sampled.map((r) => r.correct), lengths: sampled.map((r) => r.completionIds.length),
          truncated: sampled.map((r) => r.truncated), reflections: sampled.map((r) => r.reflections), zeroStd: zeroStdAll,
        }),
        ...(sums.updates > 0 ? sums.metrics(cfg.beta) : {}),
        lr: learningRate(schedule, Math.max(0, updates - 1)),
        trained_groups: kept.length / G,
        sampled_groups: sampled.length / G,
        'tokens_per_s/sampling': times.sampling > 0 ? sampledTokens / times.sampling : NaN,
        'tokens_per_s/training': times.training > 0 ? trainTokens / times.training : NaN,
        seconds_per_step: seconds,
        'time/sampling': times.sampling,
        'time/scoring': times.scoring,
        'time/reference': times.reference,
        'time/training': times.training,
      });
      lastMetrics = metrics;
      if (step % cfg.logging_steps === 0 || step === cfg.max_steps) {
        appendJsonl(metricsFile, { step, time: Date.now() / 1000, ...metrics });
        await notify(opts.callbacks, 'onLog', metrics, step);
      }
      if (cfg.log_completions_steps > 0 && (step % cfg.log_completions_steps === 0 || step === 1)) {
        sampled.forEach((r, i) => appendJsonl(completionsFile, completionRecord(step, r, opts.rewardNames, allRewards, i)));
      }
      opts.onStep?.(metrics);
      await notify(opts.callbacks, 'onStepEnd', step, metrics);
      bar.update(step, { reward: metrics['reward/mean'], acc: metrics.accuracy, len: metrics['completion_length/mean'], reflect: metrics.reflect_rate, 's/step': seconds });
      if (cfg.eval_steps > 0 && step % cfg.eval_steps === 0) await evaluate();
      if (cfg.save_steps > 0 && step % cfg.save_steps === 0 && step < cfg.max_steps) await save();
    }
    if (!interrupted) await evaluate();
    if (step > savedStep) await save();
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSigint);
  }
  return { state: state(), interrupted, lastMetrics, checkpointDir: lastCheckpoint };
}
