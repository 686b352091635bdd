// `aha pipeline`: Run a multi-stage recipe (sft, grpo, sample, eval) from a YAML file.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('pipeline')
    .description('Run a multi-stage recipe (sft, grpo, sample, eval) from a YAML file.')
    .argument('<recipe>', 'recipe YAML file')
    .action(() => notBuiltYet('pipeline', 'the pipeline runner (issue 9) has not landed'));
}
