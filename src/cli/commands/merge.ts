// `aha merge`: folds a LoRA adapter (PEFT layout) into its base model and writes a full Hugging
// Face model folder, in the base's own precision, that loads anywhere without PEFT.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { AhaError } from '../../util/errors.js';
import { checkAdapterFlag, loadAdapter, mergeInto, storedMatrixDtype } from '../../model/adapter.js';
import { loadModel, saveModel } from '../../model/load-model.js';

interface MergeFlags {
  model?: string;
  adapter?: string;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('merge')
    .description(
      'Merge a LoRA adapter (adapter_config.json + adapter_model.safetensors, as aha train/sft --lora and PEFT write it) ' +
        'into its base model: W + (alpha/r)·B·A for every adapted projection. Writes a full model folder in the base\'s ' +
        'precision (a BF16 base gives a BF16 folder).',
    )
    .option('--model <dir>', 'the base model folder the adapter was trained on')
    .option('--adapter <dir>', 'the adapter folder')
    .option('--out <dir>', 'the merged model folder to write (must not exist yet)')
    .action((flags: MergeFlags) => {
      if (!flags.model) throw new AhaError('--model <dir> is required (the base model folder)');
      if (!existsSync(join(flags.model, 'config.json'))) throw new AhaError(`--model ${flags.model}: not a model folder (no config.json there)`);
      if (!flags.adapter) throw new AhaError('--adapter <dir> is required (a LoRA adapter folder)');
      checkAdapterFlag(flags.adapter);
      if (!flags.out) throw new AhaError('--out <dir> is required');
      if (existsSync(flags.out) && readdirSync(flags.out).length > 0) throw new AhaError(`--out ${flags.out} already exists and is not empty; choose a new folder`);
      const dtype = storedMatrixDtype(flags.model);
      const { model, tokenizer } = loadModel(flags.model);
      const merged = mergeInto(loadAdapter(model, flags.adapter));
      saveModel(merged, tokenizer, flags.out, { dtype });
      process.stdout.write(`merged ${flags.adapter} into ${flags.model}: ${flags.out} (${dtype})\n`);
    });
}
