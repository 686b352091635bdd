// `aha generate`: Sample completions from a model folder.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('generate')
    .description('Sample completions from a model folder.')
    .option('--model <dir>', 'model folder')
    .option('--prompt <text>', 'one prompt')
    .option('--input <file>', 'JSON Lines prompts')
    .action(() => notBuiltYet('generate', 'sampling (issue 4) has not landed'));
}
