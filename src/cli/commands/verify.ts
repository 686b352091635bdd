// `aha verify`: Check answers (math) or run programs against tests (code) with the reward verifiers.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('Check answers (math) or run programs against tests (code) with the reward verifiers.')
    .argument('<kind>', 'math or code')
    .option('--input <file>', 'JSON Lines input')
    .action(() => notBuiltYet('verify', 'the verifiers (issue 5) have not landed'));
}
