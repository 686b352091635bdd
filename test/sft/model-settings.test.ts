// `aha pretrain --config FILE`: model settings over the demo model's, every key and value checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelSettings } from '../../src/sft/model-settings.js';
import { demoModelConfig } from '../../src/sft/pretrain-run.js';
import { scratchDir } from '../scratch-dir.js';

const dir = scratchDir('aha-model-settings-');
function settings(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('model settings override the demo model key by key', () => {
  const file = settings('six.json', '{"num_hidden_layers": 6, "tie_word_embeddings": false}');
  const model = demoModelConfig(40, readModelSettings(file));
  assert.equal(model.num_hidden_layers, 6);
  assert.equal(model.tie_word_embeddings, false);
  assert.equal(model.hidden_size, demoModelConfig(40).hidden_size, 'keys not given keep the demo value');
});

test('a misspelt key, a non-number, a missing file or a non-object is an error naming the file and key', () => {
  assert.throws(() => readModelSettings(settings('typo.json', '{"num_layers": 6}')), (e: Error) => e.message.includes('typo.json') && /num_layers.*unknown model setting \(known: model_type, vocab_size/.test(e.message));
  assert.throws(() => readModelSettings(settings('text.json', '{"hidden_size": "wide"}')), /text\.json.*hidden_size.*must be a number/);
  assert.throws(() => readModelSettings(join(dir, 'missing.json')), /missing\.json.*file not found/);
  assert.throws(() => readModelSettings(settings('list.json', '[6]')), /list\.json/);
});
