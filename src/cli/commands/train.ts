// `aha train`: GRPO training (R1-Zero); with no arguments, the main job on the bundled base model.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('train')
    .description('GRPO training (R1-Zero); with no arguments, the main job on the bundled base model.')
    .option('--model <dir>', 'model folder (Hugging Face layout); default: the bundled base model')
    .option('--task <name>', 'built-in task (arithmetic, countdown)')
    .option('--data <file>', 'JSON Lines prompts with gold answers')
    .action(() => notBuiltYet('train', 'the GRPO trainer (issue 6) and the bundled base model (issue 7) have not landed'));
}
