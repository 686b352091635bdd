// `aha sft`: Supervised fine-tuning on prompt/completion or chat data.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('sft')
    .description('Supervised fine-tuning on prompt/completion or chat data.')
    .option('--model <dir>', 'model folder')
    .option('--data <file>', 'JSON Lines training data')
    .action(() => notBuiltYet('sft', 'the SFT trainer (issue 9) has not landed'));
}
