// Model settings for `aha pretrain --config`: a JSON object of config.json keys laid over the
// demo base model's (demoModelConfig). Every key must be one the demo config has and every value a
// number (or boolean/null; model_type a string), so a typo is an error naming the file and key
// instead of a silently ignored setting.
import { existsSync } from 'node:fs';
import type { ModelConfig } from '../model/transformer-config.js';
import { InputError } from '../util/errors.js';
import { readJsonObject } from '../util/json-file.js';
import { demoModelConfig } from './pretrain-run.js';

export function readModelSettings(file: string): Partial<ModelConfig> {
  if (!existsSync(file)) throw new InputError({ file }, 'file not found');
  const raw = readJsonObject(file, 'a JSON object of model settings');
  const known = Object.keys(demoModelConfig(1));
  for (const [key, value] of Object.entries(raw)) {
    if (!known.includes(key)) throw new InputError({ file, field: key }, `unknown model setting (known: ${known.join(', ')})`);
    if (key !== 'model_type' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null) throw new InputError({ file, field: key }, 'must be a number');
  }
  return raw as Partial<ModelConfig>;
}
