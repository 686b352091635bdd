// Unknown flags that are another trainer's spelling of one of ours. TRL and transformers' TrainingArguments
// name options max_steps, learning_rate, num_generations, ...; users bring them as flags
// (--max-steps, or --max_steps as TRL's own CLI writes them). Commander suggests by spelling
// alone, so --max-steps got "--eval-steps, --save-steps"; this names the flag that does it, and
// answers any of our flags written with underscores with its own spelling.
import type { Command } from 'commander';

type WithUnknownOption = Command & { unknownOption(flag: string): never };

/**
 * Makes `cmd`'s unknown-option error name our flag for `foreign` names (snake_case → flag, e.g.
 * max_steps → --steps) and for our own flags written with underscores. Still a usage error.
 */
export function explainForeignFlags(cmd: Command, foreign: Readonly<Record<string, string>> = {}): void {
  const c = cmd as WithUnknownOption;
  const fallback = c.unknownOption.bind(c);
  c.unknownOption = (flag: string): never => {
    if (flag.startsWith('--')) {
      const snake = flag.slice(2).replace(/=.*$/, '').replace(/-/g, '_');
      const theirs = foreign[snake];
      const own = cmd.options.find((o) => o.long === `--${snake.replace(/_/g, '-')}`)?.long;
      const ours = theirs ?? own;
      if (ours !== undefined && ours !== flag) {
        c.error(`error: unknown option '${flag}' (${theirs !== undefined ? `${snake} is ${ours} here` : `did you mean ${ours}?`})`, { code: 'commander.unknownOption' });
      }
    }
    return fallback(flag);
  };
}

/** TrainingArguments names of `aha sft` and `aha pretrain`'s flags, where they differ. */
export const TRAINER_FOREIGN_FLAGS: Readonly<Record<string, string>> = {
  max_steps: '--steps',
  learning_rate: '--lr',
  gradient_accumulation_steps: '--grad-accum',
  per_device_train_batch_size: '--batch-size',
  lr_scheduler_type: '--schedule',
  output_dir: '--out',
  warmup: '--warmup-steps',
};
