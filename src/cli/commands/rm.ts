// `aha rm train` and `aha rm label`: train a reward model (preference, outcome or process) and
// label solution steps by Monte Carlo rollouts (Math-Shepherd).
import type { Command } from 'commander';
import { numberFlag, optionalNumberFlag } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { REWARD_MODEL_KINDS, type RewardModelKind } from '../../model/reward-model.js';
import { labelSteps, trainRewardModel } from '../../rm/index.js';

type Flags = Record<string, string | boolean | undefined>;

function required(flags: Flags, key: string, what: string): string {
  const v = flags[key];
  if (typeof v !== 'string') throw new AhaError(`--${key} ${what} is required`);
  return v;
}

export function register(program: Command): void {
  const rm = program.command('rm').description('Reward models: train one (preference, outcome or process) or label solution steps for a process reward model.');
  rm.command('train')
    .description('Train a reward model: the model\'s body with a scalar head, saved as a Hugging Face …ForSequenceClassification folder. Data (JSON Lines): {"prompt","chosen","rejected"} (preference, Bradley-Terry), {"prompt","completion","label"} (outcome), {"prompt","steps","labels"} (process).')
    .option('--model <dir>', 'base causal LM folder')
    .option('--data <file>', 'JSON Lines training data')
    .option('--output <dir>', 'reward model folder to write (must not exist)')
    .option('--kind <kind>', `${REWARD_MODEL_KINDS.join(', ')} (default: from the first record's fields)`)
    .option('--eval-data <file>', 'held-out data (default: hold out --eval-fraction of --data)')
    .option('--eval-fraction <x>', 'share of --data held out (default 0.1)')
    .option('--epochs <n>', 'passes over the data (default 1)')
    .option('--batch-size <n>', 'records per step (default 8)')
    .option('--lr <x>', 'peak learning rate, decayed linearly to 0 (default 1e-4)')
    .option('--weight-decay <x>', 'AdamW weight decay (default 0)')
    .option('--lora <spec>', 'LoRA adapters on the frozen body, e.g. r=8,alpha=16, with trainable_tokens=<a>+<b> for token rows (the head is trained in full; saved merged)')
    .option('--step-separator <text>', 'process models: the one-token text after each step (default "\\n")')
    .option('--seed <n>', 'seed (default 0)')
    .option('--threads <n>', 'compute threads')
    .option('--quiet', 'no progress lines')
    .action((flags: Flags) => {
      const kind = flags.kind;
      if (kind !== undefined && !(REWARD_MODEL_KINDS as readonly unknown[]).includes(kind)) throw new AhaError(`--kind must be one of ${REWARD_MODEL_KINDS.join(', ')}, got "${String(kind)}"`);
      const result = trainRewardModel({
        model: required(flags, 'model', '<dir>'),
        data: required(flags, 'data', '<file>'),
        output: required(flags, 'output', '<dir>'),
        kind: (kind as RewardModelKind | undefined) ?? null,
        evalData: typeof flags.evalData === 'string' ? flags.evalData : null,
        evalFraction: optionalNumberFlag(flags, 'evalFraction', { min: 0, max: 0.9 }),
        epochs: numberFlag(flags, 'epochs', 1, { min: 1, integer: true }),
        batchSize: numberFlag(flags, 'batchSize', 8, { min: 1, integer: true }),
        learningRate: numberFlag(flags, 'lr', 1e-4, { min: 1e-12 }),
        weightDecay: numberFlag(flags, 'weightDecay', 0, { min: 0 }),
        lora: typeof flags.lora === 'string' ? flags.lora : null,
        stepSeparator: typeof flags.stepSeparator === 'string' ? flags.stepSeparator : undefined,
        seed: numberFlag(flags, 'seed', 0, { integer: true, min: 0 }),
        threads: numberFlag(flags, 'threads', 0, { integer: true, min: 0 }),
        quiet: flags.quiet === true,
      });
      const h = result.heldout;
      const metric = h.pairwise_accuracy !== undefined ? `pairwise accuracy ${h.pairwise_accuracy.toFixed(3)}` : `AUC ${(h.auc ?? NaN).toFixed(3)}`;
      process.stderr.write(`done: ${result.kind} reward model, ${result.steps} steps, train loss ${result.train_loss.toFixed(4)}; held-out (n=${h.n}) loss ${h.loss.toFixed(4)}, ${metric}; saved to ${result.output}\n`);
    });
  rm.command('label')
    .description('Label solution steps by Monte Carlo rollouts (Math-Shepherd): from each step prefix the policy samples N continuations; soft label = share reaching the gold answer, label = 1 if any does. Input: {"prompt", "steps" | "completion", "gold" | "answer"}; output: process-reward data for `aha rm train`.')
    .option('--model <dir>', 'policy model folder that completes the prefixes')
    .option('--data <file>', 'JSON Lines solutions')
    .option('--output <file>', 'JSON Lines to write (must not exist)')
    .option('--rollouts <n>', 'continuations per step prefix (default 8)')
    .option('--max-new-tokens <n>', 'tokens per continuation (default 128)')
    .option('--temperature <x>', 'sampling temperature (default 1)')
    .option('--verifier <name>', 'reward judging a continuation (score ≥ 1 = reached the answer; default accuracy, e.g. arithmetic_accuracy)')
    .option('--step-separator <text>', 'text between steps (default "\\n")')
    .option('--seed <n>', 'seed (default 0)')
    .action(async (flags: Flags) => {
      const r = await labelSteps({
        model: required(flags, 'model', '<dir>'),
        data: required(flags, 'data', '<file>'),
        output: required(flags, 'output', '<file>'),
        rollouts: numberFlag(flags, 'rollouts', 8, { min: 1, integer: true }),
        maxNewTokens: numberFlag(flags, 'maxNewTokens', 128, { min: 1, integer: true }),
        temperature: numberFlag(flags, 'temperature', 1, { min: 0 }),
        verifier: typeof flags.verifier === 'string' ? flags.verifier : undefined,
        stepSeparator: typeof flags.stepSeparator === 'string' ? flags.stepSeparator : undefined,
        seed: numberFlag(flags, 'seed', 0, { integer: true, min: 0 }),
      });
      process.stderr.write(`done: ${r.records} solutions, ${r.steps} steps labelled (${(100 * r.positive_share).toFixed(1)}% positive) in ${r.seconds.toFixed(1)} s\n`);
    });
}
