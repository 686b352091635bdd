// `aha tokens add`: adds whole tokens (non-special added tokens, so completions keep them) (by default Satori's meta-actions <|continue|>,
// <|reflect|>, <|explore|>) to a model folder's tokenizer and grows its embeddings to match, writing
// a new folder (model/added-tokens.ts; docs/self-correction.md).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { AhaError } from '../../util/errors.js';
import { addTokensToFolder, META_ACTIONS } from '../../model/added-tokens.js';

interface AddFlags {
  model?: string;
  out?: string;
  tokens?: string;
}

export function register(program: Command): void {
  const tokens = program.command('tokens').description('Change a model folder\'s vocabulary');
  tokens
    .command('add')
    .description(
      `Add whole tokens (non-special added tokens, which completions keep in their text; default the COAT meta-actions ${META_ACTIONS.join(' ')}) to a model folder: one new id each after the ` +
        'last one, embedding rows (and an untied lm_head\'s) initialised to the mean of the old rows, config.json vocab_size updated. ' +
        'Old ids keep their rows, so the model\'s logits on them are unchanged.',
    )
    .option('--model <dir>', 'the model folder to extend')
    .option('--out <dir>', 'the folder to write (must not exist yet)')
    .option('--tokens <list>', 'tokens to add, separated by commas')
    .action((flags: AddFlags) => {
      if (!flags.model) throw new AhaError('--model <dir> is required (the model folder to extend)');
      if (!existsSync(join(flags.model, 'config.json'))) throw new AhaError(`--model ${flags.model}: not a model folder (no config.json there)`);
      if (!flags.out) throw new AhaError('--out <dir> is required');
      if (existsSync(flags.out) && readdirSync(flags.out).length > 0) throw new AhaError(`--out ${flags.out} already exists and is not empty; choose a new folder`);
      const list = flags.tokens === undefined ? [...META_ACTIONS] : flags.tokens.split(',');
      if (list.some((t) => t === '')) throw new AhaError(`--tokens ${JSON.stringify(flags.tokens)}: an empty token in the list`);
      const added = addTokensToFolder(flags.model, flags.out, list);
      process.stdout.write(`${flags.out}: ${list.map((t, k) => `${t} = ${added.ids[k]}`).join(', ')}; vocab_size ${added.model.config.vocab_size}\n`);
    });
}
