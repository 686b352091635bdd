// `aha sample`: Rejection sampling: keep verified, readable completions as an SFT data set.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('sample')
    .description('Rejection sampling: keep verified, readable completions as an SFT data set.')
    .option('--model <dir>', 'model folder')
    .option('--data <file>', 'JSON Lines problems')
    .action(() => notBuiltYet('sample', 'rejection sampling (issue 9) has not landed'));
}
