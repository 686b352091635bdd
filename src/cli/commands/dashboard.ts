// `aha dashboard`: Serve a live report of a run folder while it trains.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('dashboard')
    .description('Serve a live report of a run folder while it trains.')
    .argument('<run-dir>', 'run folder')
    .option('--port <n>', 'port')
    .action(() => notBuiltYet('dashboard', 'the live dashboard (issue 10) has not landed'));
}
