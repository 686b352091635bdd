// `aha report`: Write a self-contained HTML report of a run folder.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('Write a self-contained HTML report of a run folder.')
    .argument('<run-dir>', 'run folder')
    .action(() => notBuiltYet('report', 'run reports (issue 10) have not landed'));
}
