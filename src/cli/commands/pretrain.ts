// `aha pretrain`: Pretrain a small base model on the synthetic corpus.
import type { Command } from 'commander';
import { notBuiltYet } from '../not-built.js';

export function register(program: Command): void {
  program
    .command('pretrain')
    .description('Pretrain a small base model on the synthetic corpus.')
    .option('--out <dir>', 'where to write the model folder')
    .action(() => notBuiltYet('pretrain', 'the synthetic corpus and pretraining (issue 7) have not landed'));
}
