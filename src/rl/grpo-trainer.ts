// GRPOTrainer: the GRPO trainer as a library class, in the shape of TRL's (model, reward_funcs,
// args: GRPOConfig, train_dataset, callbacks; then train()). It builds the run the same way
// `aha train` does, through prepareGrpo (setup.ts) and runGrpo (trainer.ts): there is one way to
// build a run. Settings and reward names are checked in the constructor, before anything loads.
import { AhaError } from '../util/errors.js';
import type { TrainerCallback } from '../util/callbacks.js';
import { getReward, hasReward } from '../rewards/registry.js';
import { batchReward, type RewardFunc } from '../rewards/define.js';
import { parseRewardSpec } from '../rewards/spec.js';
import type { RewardFunction } from '../rewards/types.js';
import { registerTaskRewards } from '../tasks/rewards.js';
import { validateConfig, type GrpoConfig, type RewardSpec } from './config.js';
import { prepareGrpo } from './setup.js';
import { runGrpo } from './trainer.js';
import { fromTrlGrpoConfig, type GRPOConfig } from './trl-config.js';
import type { Tool } from '../tools/tool.js';
import { splitTools } from '../tools/registry.js';
import { didYouMean } from '../util/near-name.js';

/**
 * A reward: a registered name (built-in, a task's `<task>_accuracy`, or defineReward's), with an
 * optional weight (`"format:0.5"`); a reward function object (defineReward's result); or a named
 * TypeScript function `(completions, examples) => scores`, whose name becomes the reward's name.
 */
export type RewardFuncSpec = string | RewardFunction | RewardFunc;

export interface GRPOTrainerOptions {
  /** Model folder (Hugging Face layout); default: the task's bundled base model (models/aha-tiny-base for data files). */
  model?: string;
  /** Reward functions; default: the task's accuracy (or math `accuracy` for a data file) and format_lenient at 0.2. */
  reward_funcs?: RewardFuncSpec | readonly RewardFuncSpec[];
  args?: GRPOConfig;
  /** JSON Lines prompts: "prompt" (verbatim) or "problem"/"question" (framed), with "answer" or "gold". */
  train_dataset?: string;
  /** A task by name instead of a data file: built-in (countdown, arithmetic) or defined with defineTask. */
  task?: string;
  callbacks?: readonly TrainerCallback[];
  /**
   * Tools the model may call mid-completion (docs/tools.md): built-in names (search, python) or
   * defineTool's tools. Sets args.tools; give one of the two.
   */
  tools?: readonly (string | Tool)[];
}

export interface GRPOTrainOutput {
  /** Steps completed in the run (including those before a resume). */
  global_step: number;
  /** The last step's metrics (null when no step ran). */
  metrics: Record<string, number> | null;
  /** True when stop() (or Ctrl-C) ended the run early; a checkpoint was saved first. */
  interrupted: boolean;
  /** The last checkpoint written. */
  checkpoint_dir: string | null;
  /** The run folder (absolute). */
  output_dir: string;
}

/** The reward list as names and weights, plus this run's own TypeScript rewards. */
function resolveRewards(funcs: GRPOTrainerOptions['reward_funcs'], weights: number[] | null): { specs: RewardSpec[]; own: RewardFunction[] } {
  const list = funcs === undefined ? [] : Array.isArray(funcs) ? funcs : [funcs as RewardFuncSpec];
  const specs: RewardSpec[] = [];
  const own: RewardFunction[] = [];
  list.forEach((f: RewardFuncSpec, i) => {
    if (typeof f === 'string') {
      for (const s of parseRewardSpec(f, `reward_funcs[${i}]`)) {
        if (!hasReward(s.name)) throw new AhaError(`reward_funcs[${i}]: unknown reward "${s.name}"; define it with defineReward, or pass the function itself`);
        specs.push(s);
      }
    } else if (typeof f === 'function') {
      if (!f.name) throw new AhaError(`reward_funcs[${i}] is an anonymous function; give it a name (function myReward(...)) or use defineReward(name, fn)`);
      if (hasReward(f.name)) throw new AhaError(`reward_funcs[${i}]: a reward named "${f.name}" already exists; rename the function`);
      own.push(batchReward(f.name, f));
      specs.push({ name: f.name, weight: 1 });
    } else if (f !== null && typeof f === 'object' && typeof f.name === 'string' && typeof f.score === 'function') {
      if (!hasReward(f.name)) own.push(f);
      else if (getReward(f.name) !== f) throw new AhaError(`reward_funcs[${i}]: a different reward named "${f.name}" already exists; rename yours`);
      specs.push({ name: f.name, weight: 1 });
    } else {
      throw new AhaError(`reward_funcs[${i}]: expected a reward name, a function (completions, examples) => scores, or defineReward's result`);
    }
  });
  const names = specs.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new AhaError(`reward_funcs: "${twice}" is listed twice`);
  if (weights !== null) {
    if (weights.length !== specs.length) throw new AhaError(`GRPOConfig.reward_weights has ${weights.length} weights for ${specs.length} reward functions; give one per reward`);
    weights.forEach((w, i) => (specs[i].weight = w));
  }
  return { specs, own };
}

export class GRPOTrainer {
  /** aha's resolved settings for this run (what config.json records). */
  readonly config: GrpoConfig;
  private readonly quiet: boolean;
  private readonly ownRewards: RewardFunction[];
  private readonly callbacks: readonly TrainerCallback[];
  private readonly ownTools: Tool[];
  private controller: AbortController | null = null;

  constructor(opts: GRPOTrainerOptions) {
    if (opts === null || typeof opts !== 'object') throw new AhaError('GRPOTrainer: expected an options object { model, reward_funcs, args, train_dataset | task }');
    const known = ['model', 'reward_funcs', 'args', 'train_dataset', 'task', 'callbacks', 'tools'];
    for (const k of Object.keys(opts)) if (!known.includes(k)) throw new AhaError(`GRPOTrainer: unknown option "${k}"${didYouMean(k, known)}; known: ${known.join(', ')}`);
    if ((opts.train_dataset === undefined) === (opts.task === undefined)) throw new AhaError('GRPOTrainer: give train_dataset (a JSON Lines file) or task (a task name), one of them');
    registerTaskRewards();
    const { config, quiet, rewardWeights } = fromTrlGrpoConfig(opts.args);
    const { specs, own } = resolveRewards(opts.reward_funcs, rewardWeights);
    if (opts.tools !== undefined && opts.args?.tools !== undefined) throw new AhaError('GRPOTrainer: give tools or args.tools, not both');
    const split = opts.tools === undefined ? undefined : splitTools(opts.tools);
    this.ownTools = split?.own ?? [];
    const toolNames = split?.names;
    this.config = { ...config, model: opts.model ?? null, task: opts.task ?? null, data: opts.train_dataset ?? null, rewards: specs, ...(toolNames ? { tools: toolNames } : {}) };
    validateConfig(this.config);
    this.quiet = quiet;
    this.ownRewards = own;
    this.callbacks = opts.callbacks ?? [];
  }

  /**
   * Trains for args.max_steps steps: loads the model, samples, scores, updates, logs and saves into
   * args.output_dir (docs/run-folder.md). With resume_from_checkpoint, continues the run in
   * output_dir from its latest checkpoint, exactly as an uninterrupted run would have gone on.
   */
  async train(opts: { resume_from_checkpoint?: boolean } = {}): Promise<GRPOTrainOutput> {
    const run = prepareGrpo(this.config, { resume: opts.resume_from_checkpoint === true, quiet: this.quiet, rewardFunctions: this.ownRewards, tools: this.ownTools });
    this.controller = new AbortController();
    try {
      const result = await runGrpo({ ...run, signal: this.controller.signal, callbacks: this.callbacks });
      return { global_step: result.state.step, metrics: result.lastMetrics, interrupted: result.interrupted, checkpoint_dir: result.checkpointDir, output_dir: run.runDir };
    } finally {
      this.controller = null;
    }
  }

  /** Ends a running train() after the current step, saving a checkpoint first (e.g. from a callback). */
  stop(): void {
    this.controller?.abort();
  }
}
