// A tiny causal LM folder (character tokenizer) for reward-model tests.
import { join } from 'node:path';
import { saveModel } from '../../src/model/load-model.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { tinyModel, tempDir } from '../model/helpers.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';

export const tok = new CharTokenizer();

/** Saves a seeded tiny transformer as a model folder and returns its path. */
export function tinyLmDir(over: Partial<ModelConfig> = {}, seed = 1): string {
  const dir = join(tempDir('rm'), 'base');
  saveModel(tinyModel(over, seed, 0.1), tok, dir);
  return dir;
}

export { tempDir };
