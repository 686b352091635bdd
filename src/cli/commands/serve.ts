// `aha serve`: Serve the reward verifiers over HTTP for Python trainers.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve the reward verifiers over HTTP for Python trainers.')
    .argument('<what>', 'rewards')
    .option('--port <n>', 'port')
    .action(() => notBuiltYet('serve', 'the reward server (issue 5) has not landed'));
}
