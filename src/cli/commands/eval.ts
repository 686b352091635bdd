// `aha eval`: Evaluate pass@1, pass@k and maj@k on a benchmark, locally or against an OpenAI-compatible server.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('eval')
    .description('Evaluate pass@1, pass@k and maj@k on a benchmark, locally or against an OpenAI-compatible server.')
    .option('--data <file|name>', 'JSON Lines file or bundled benchmark name')
    .option('--samples <k>', 'samples per problem')
    .action(() => notBuiltYet('eval', 'the evaluation harness (issue 8) has not landed'));
}
