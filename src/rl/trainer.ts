// The GRPO training loop. Each step: collect the step's groups (sampling and scoring, with DAPO
// dynamic sampling if asked), compute group-relative advantages over the rows trained on, run the
// num_iterations optimisation passes (update.ts), and log metrics.jsonl, completions.jsonl and the
// held-out evaluation. Config.json, exact resume, Ctrl-C, the progress bar and checkpoints come
// from the shell every trainer shares (model/training-run.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GroupedAdamW } from '../model/optimizer.js';
import type { CausalLM } from '../model/causal-lm.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { OptimizerState } from '../model/training-checkpoint.js';
import { METRICS_FILE, TrainingLoop, writeRunConfig } from '../model/training-run.js';
import { appendJsonl, readJsonl } from '../util/jsonl.js';
import { notify, type TrainerCallback } from '../util/callbacks.js';
import { Rng, type RngState } from '../util/rng.js';
import { learningRate, type ScheduleOptions } from '../util/schedule.js';
import { batchRewards, computeAdvantages } from './advantages.js';
import type { ResolvedGrpoConfig } from './config.js';
import { mixReference, policyUpdate, referenceTensors, SYNCED_REFERENCE_FILE, type UpdateTimes } from './update.js';
import type { EntropyControlState } from './entropy-control.js';
import { lossTokens } from './packing.js';
import { collectBatch, type CollectedBatch } from './dynamic-sampling.js';
import type { HackingWatch } from './hacking-watch.js';
import { sourceMetrics } from './learned-rewards.js';
import { finiteOnly, heldoutMetrics, rolloutMetrics, TrainingSums } from './metrics.js';
import type { PromptItem, PromptPosition, PromptSource } from './prompts.js';
import { rollout, type Judges, type Sampler, type ScoredRow } from './rollout.js';
import { toolMetrics } from '../tools/metrics.js';
import { needsReference, scoreStep, secondAttemptPrompt, twoAttemptHeldout, type SecondAttemptPrompt } from './self-correction.js';
import type { CoatRun } from './coat-run.js';

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
  /** The adaptive entropy controller (use_adaptive_entropy); absent otherwise. */
  entropy_control?: EntropyControlState;
}

export interface GrpoRunOptions {
  config: ResolvedGrpoConfig;
  model: CausalLM;
  tokenizer: Tokenizer;
  /** The frozen reference policy; required when beta > 0, ignored otherwise. */
  reference: CausalLM | null;
  sampler: Sampler;
  /** The held-out evaluation's sampler (setup: f32 whatever sampling_precision is); default `sampler`. */
  evalSampler?: Sampler;
  prompts: PromptSource;
  /** Prompt text to ids (setup: without the tokenizer's own special tokens for rendered chat prompts); default tokenizer.encode. */
  encodePrompt?: (prompt: string) => Int32Array;
  /** Held-out problems evaluated into eval.jsonl (empty = no evaluation). */
  evalItems?: readonly PromptItem[];
  /** Reward names (for metrics) and weights, in the order of judges.rewards. */
  rewardNames: readonly string[];
  rewardWeights: readonly number[];
  judges: Judges;
  runDir: string;
  /** What config.json records (defaults to `config`). */
  configRecord?: Record<string, unknown>;
  /** Continue from a checkpoint (`from`, its folder) of this run; the model must already hold its weights. */
  resume?: { from?: string; optimizerState: OptimizerState | null; trainerState: GrpoTrainerState };
  quiet?: boolean;
  /** Stop (and save) after the current step; Ctrl-C does the same. */
  signal?: AbortSignal;
  /** Called with each step's metrics line (tests, benchmarks). */
  onStep?: (metrics: Record<string, number>) => void;
  /** The library's callbacks (util/callbacks.ts): logged steps, step ends, evaluations, checkpoints. */
  callbacks?: readonly TrainerCallback[];
  /** Bound on one forward pass's logits in bytes (tests; default update.ts LOGITS_BUDGET_BYTES). */
  logitsBudgetBytes?: number;
  /** With a learned reward: its score beside the gold signal at each held-out evaluation (hacking-watch.ts). */
  watch?: HackingWatch;
  /** Satori's COAT (coat: true): the restart buffer, filled before the first step, and the COAT metrics (coat-run.ts). */
  coat?: CoatRun;
}

export interface GrpoResult {
  state: GrpoTrainerState;
  interrupted: boolean;
  lastMetrics: Record<string, number> | null;
  checkpointDir: string | null;
}

const COMPLETIONS_FILE = 'completions.jsonl';
const EVAL_FILE = 'eval.jsonl';
const EVAL_COMPLETIONS_FILE = 'eval_completions.jsonl';

/** One line of completions.jsonl / eval_completions.jsonl (docs/run-folder.md). */
function completionRecord(step: number, r: ScoredRow, rewardNames: readonly string[]): Record<string, unknown> {
  const rewards: Record<string, number | null> = {};
  rewardNames.forEach((n, k) => (rewards[n] = r.scores[k]));
  return {
    step, problem_id: r.item.id, prompt: r.item.prompt, completion: r.text,
    reward: r.reward, rewards, correct: r.correct,
    length: r.completionIds.length, gold: r.item.example.gold ?? null, extracted: r.extracted,
    ...(r.segments ? { segments: r.segments } : {}),
  };
}

function promptEncode(opts: GrpoRunOptions): (prompt: string) => Int32Array {
  return opts.encodePrompt ?? ((p) => opts.tokenizer.encode(p));
}

/**
 * The held-out evaluation: one completion per problem, the same problems every time, at most once
 * per step, on a generator derived from (seed, step) so it never shifts the training stream.
 */
function heldoutEvaluator(opts: GrpoRunOptions, secondPrompt: SecondAttemptPrompt): { run(step: number): Promise<void>; done(step: number): void } {
  const cfg = opts.config;
  const items = opts.evalItems ?? [];
  const evalFile = join(opts.runDir, EVAL_FILE);
  let evaluatedStep = -1;
  return {
    /** Marks `step` evaluated already (a run stopped right after its evaluation, then resumed). */
    done(step) {
      if (existsSync(evalFile) && readJsonl(evalFile).some((r) => r.value.step === step)) evaluatedStep = step;
    },
    async run(step) {
      if (items.length === 0 || evaluatedStep === step) return;
      evaluatedStep = step;
      const rng = new Rng((cfg.seed ^ Math.imul(step + 1, 0x2545f491)) >>> 0);
      if (!opts.quiet) process.stderr.write(`held-out evaluation at step ${step}: ${items.length} problems...\n`);
      const encode = promptEncode(opts);
      const sampler = opts.evalSampler ?? opts.sampler;
      // SCoRe: both attempts of each problem, with the paper's metrics (self-correction.ts).
      const two = cfg.self_correction === 'score'
        ? await twoAttemptHeldout({ items, encode, sampler, rng, judges: opts.judges, weights: opts.rewardWeights, maxCompletionTokens: cfg.max_completion_length, secondPrompt, contextLength: opts.model.config.max_position_embeddings })
        : null;
      const rows = two ? two.first : (await rollout({ items, groupSize: 1, encode, sampler, rng, judges: opts.judges, weights: opts.rewardWeights, maxCompletionTokens: cfg.max_completion_length })).rows;
      const line = { ...heldoutMetrics(rows), ...toolMetrics(rows) };
      // The report sets a problem's first and last answers side by side.
      for (const r of rows) appendJsonl(join(opts.runDir, EVAL_COMPLETIONS_FILE), { ...completionRecord(step, r, opts.rewardNames), split: 'heldout', ...(two ? { attempt: 1 } : {}) });
      for (const r of two?.second ?? []) appendJsonl(join(opts.runDir, EVAL_COMPLETIONS_FILE), { ...completionRecord(step, r, opts.rewardNames), split: 'heldout', attempt: 2 });
      appendJsonl(evalFile, { step, split: 'heldout', ...line, ...(two?.metrics ?? {}), ...opts.coat?.metrics(rows), ...opts.watch?.observe(step, rows) });
      await notify(opts.callbacks, 'onEvaluate', line, step);
      if (!opts.quiet) process.stderr.write(`held-out at step ${step}: accuracy ${line.accuracy.toFixed(3)}, mean length ${line.mean_length.toFixed(1)}, reflections ${line.reflect_rate.toFixed(3)}, format ${line.format_rate.toFixed(3)} (n=${line.n})\n`);
    },
  };
}

/** A step's metrics line (docs/run-folder.md): rollouts, training sums, learning rate, throughput and timings. */
function stepMetrics(o: { names: readonly string[]; batch: CollectedBatch; sums: TrainingSums; topEntropyQuantile: number; samplerCorrection: boolean; offPolicyMasking: boolean; entropyCoef: number | null; lr: number; groupSize: number; update: UpdateTimes | null; seconds: number }): Record<string, number> {
  const { batch, update } = o;
  const training = update?.training ?? 0;
  return finiteOnly({
    ...rolloutMetrics(o.names, batch.sampled, batch.zeroStd),
    ...toolMetrics(batch.sampled),
    ...(o.sums.updates > 0 ? o.sums.metrics(o.topEntropyQuantile, o.samplerCorrection, o.offPolicyMasking, o.entropyCoef) : {}),
    lr: o.lr,
    trained_groups: batch.kept.length / o.groupSize,
    sampled_groups: batch.sampled.length / o.groupSize,
    'tokens_per_s/sampling': batch.sampleSeconds > 0 ? batch.sampledTokens / batch.sampleSeconds : NaN,
    'tokens_per_s/training': training > 0 ? update!.trainTokens / training : NaN,
    seconds_per_step: o.seconds,
    'time/sampling': batch.sampleSeconds,
    'time/scoring': batch.scoreSeconds,
    'time/reference': update?.reference ?? 0,
    'time/training': training,
  });
}

export async function runGrpo(opts: GrpoRunOptions): Promise<GrpoResult> {
  const cfg = opts.config;
  const { model, runDir } = opts;
  const G = cfg.num_generations;
  if (needsReference(cfg) && !opts.reference) throw new Error('runGrpo: beta > 0 (or SCoRe Stage I with score_beta_first > 0) needs a reference model');
  const params = [...model.parameters().values()];
  const optimizer = new GroupedAdamW(model.parameters(), { lr: cfg.learning_rate, beta1: cfg.adam_beta1, beta2: cfg.adam_beta2, eps: cfg.adam_epsilon, weightDecay: cfg.weight_decay });
  const schedule: ScheduleOptions = { kind: cfg.lr_scheduler_type, peakLr: cfg.learning_rate, warmupSteps: cfg.warmup_steps, totalSteps: cfg.max_steps * cfg.num_iterations };
  const saved = opts.resume?.trainerState;
  if (opts.resume?.optimizerState) optimizer.loadState(opts.resume.optimizerState);
  if (saved) opts.prompts.seek(saved.prompts);
  const rng = new Rng(saved ? saved.rng : cfg.seed);
  let step = saved?.step ?? 0;
  let updates = saved?.updates ?? 0;
  const entropyControl = cfg.use_adaptive_entropy ? { state: saved?.entropy_control ?? { coef: cfg.entropy_coef, last: null } } : undefined;
  const state = (): GrpoTrainerState => ({
    kind: 'grpo', step, updates, rng: rng.state(), prompts: opts.prompts.position(), seed: cfg.seed,
    ...(entropyControl ? { entropy_control: { ...entropyControl.state } } : {}),
  });

  const loop = new TrainingLoop({
    runDir, totalSteps: cfg.max_steps, resume: saved ? { step: saved.step, from: opts.resume?.from } : null,
    logs: [COMPLETIONS_FILE, EVAL_FILE, EVAL_COMPLETIONS_FILE],
    saveSteps: cfg.save_steps, saveTotalLimit: cfg.save_total_limit,
    checkpoint: () => ({
      model, tokenizer: opts.tokenizer, optimizerState: optimizer.state(), trainerState: { ...state() },
      ...(cfg.sync_ref_model && opts.reference ? { tensorFiles: { [SYNCED_REFERENCE_FILE]: referenceTensors(opts.reference) } } : {}),
    }),
    fields: ['reward', 'acc', 'len', 'reflect', 's/step'], quiet: opts.quiet, signal: opts.signal,
  });
  // SCoRe's attempt-2 prompt (with chat prompts, the model's template), for training and held-out rollouts alike.
  const secondPrompt = secondAttemptPrompt(cfg.score_instruction, opts.tokenizer, cfg.score_first_attempt_context);
  const heldout = heldoutEvaluator(opts, secondPrompt);
  const encode = promptEncode(opts);
  let lastMetrics: Record<string, number> | null = null;
  try {
    // COAT's restart buffer: sampled from the policy (or read back on resume) before anything is written.
    await opts.coat?.prepare({ sampler: opts.sampler, encode, judges: opts.judges, weights: opts.rewardWeights, runDir, resumed: saved !== undefined, quiet: opts.quiet });
    writeRunConfig(runDir, opts.configRecord ?? cfg);
    if (saved) heldout.done(step);
    if (step === 0) await heldout.run(step);
    while (await loop.next(step)) {
      const stepStart = performance.now();
      // 1. Collect: rollouts and their rewards (several rounds only with dynamic sampling).
      // SCoRe: two-attempt rollouts, the stage's rewards, advantages and per-row KL (self-correction.ts).
      const score = cfg.self_correction === 'score'
        ? await scoreStep({ config: cfg, step, prompts: opts.prompts, encode, sampler: opts.sampler, rng, judges: opts.judges, weights: opts.rewardWeights, contextLength: model.config.max_position_embeddings, secondPrompt })
        : null;
      const batch = score ? score.batch : await collectBatch({
        prompts: opts.prompts, promptsPerStep: cfg.prompts_per_step, groupSize: G, dynamic: cfg.dynamic_sampling,
        maxRounds: cfg.max_sampling_rounds, weights: opts.rewardWeights, encode,
        sampler: opts.sampler, rng, judges: opts.judges, maxCompletionTokens: cfg.max_completion_length,
      });
      const sums = new TrainingSums();
      let update: UpdateTimes | null = null;
      if (batch.kept.length > 0) {
        // 2. Advantages over the rows trained on.
        const rewards = score?.rewards ?? batchRewards(batch.kept);
        const { advantages } = score ?? computeAdvantages(rewards, {
          groupSize: G, scale: cfg.scale_rewards, eps: cfg.advantage_eps, estimator: cfg.advantage_estimator, tokens: lossTokens(batch.kept, cfg.mask_truncated_completions),
          aggregation: cfg.multi_objective_aggregation, columns: opts.rewardWeights.map((_, k) => batch.kept.map((r) => r.scores[k])), weights: opts.rewardWeights,
        });
        // 3. Update: num_iterations optimiser passes.
        update = policyUpdate({
          config: cfg, model, reference: opts.reference, optimizer, params, padId: opts.tokenizer.padId,
          rows: batch.kept, advantages, rowBeta: score?.rowBeta, lrAt: (u) => learningRate(schedule, u), updatesBefore: updates, sums, logitsBudgetBytes: opts.logitsBudgetBytes,
          rewards, entropyControl,
        });
        // TRL syncs after every ref_model_sync_steps-th optimiser update; aha after the step that reaches it.
        if (cfg.sync_ref_model && Math.floor((updates + cfg.num_iterations) / cfg.ref_model_sync_steps) > Math.floor(updates / cfg.ref_model_sync_steps)) {
          mixReference(opts.reference!, model, cfg.ref_model_mixup_alpha);
        }
        updates += cfg.num_iterations;
      }
      step++;

      // 4. Log: metrics, completions, held-out evaluation; the loop shell saves checkpoints.
      const seconds = (performance.now() - stepStart) / 1000;
      const metrics = { ...stepMetrics({ names: opts.rewardNames, batch, sums, topEntropyQuantile: cfg.top_entropy_quantile, samplerCorrection: cfg.vllm_importance_sampling_correction, offPolicyMasking: cfg.off_policy_mask_threshold !== null, entropyCoef: entropyControl ? entropyControl.state.coef : null, lr: learningRate(schedule, Math.max(0, updates - 1)), groupSize: G, update, seconds }), ...score?.metrics, ...opts.coat?.metrics(batch.sampled), ...opts.watch?.fields(),
        ...(cfg.learned_on === 'unverifiable' ? sourceMetrics(opts.rewardNames, batch.sampled) : {}) };
      lastMetrics = metrics;
      if (step % cfg.logging_steps === 0 || step === cfg.max_steps) {
        appendJsonl(join(runDir, METRICS_FILE), { step, time: Date.now() / 1000, ...metrics });
        await notify(opts.callbacks, 'onLog', metrics, step);
      }
      if (cfg.log_completions_steps > 0 && (step % cfg.log_completions_steps === 0 || step === 1)) {
        for (const r of batch.sampled) appendJsonl(join(runDir, COMPLETIONS_FILE), completionRecord(step, r, opts.rewardNames));
      }
      opts.onStep?.(metrics);
      await notify(opts.callbacks, 'onStepEnd', step, metrics);
      if (cfg.eval_steps > 0 && step % cfg.eval_steps === 0) await heldout.run(step);
      const written = loop.stepDone(step, { reward: metrics['reward/mean'], acc: metrics.accuracy, len: metrics['completion_length/mean'], reflect: metrics.reflect_rate, 's/step': seconds });
      if (written) await notify(opts.callbacks, 'onSave', written, step);
    }
    if (!loop.interrupted) await heldout.run(step);
    const written = loop.finish(step);
    if (written) await notify(opts.callbacks, 'onSave', written, step);
  } finally {
    loop.close();
  }
  return { state: state(), interrupted: loop.interrupted, lastMetrics, checkpointDir: loop.lastCheckpoint };
}
