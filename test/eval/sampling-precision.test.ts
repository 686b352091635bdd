// Sampling precision outside training: evaluate()'s samplingPrecision and aha eval / aha generate /
// aha sample's --sampling-precision (with --bf16 as the short form), the pipeline's
// sampling_precision, refusals naming the option, and samples of one precision never resumed
// under the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AhaError } from '../../src/util/errors.js';
import { saveModel } from '../../src/model/load-model.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { Transformer } from '../../src/model/transformer.js';
import { samplingPrecisionOf } from '../../src/model/sampling-precision.js';
import { LocalGenerator } from '../../src/eval/local.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { evalConfig, sampleConfig, ConfigFieldError } from '../../src/pipeline/configs.js';
import { samplingPrecisionFlag } from '../../src/cli/sampling-precision.js';
import { tinyModel } from '../model/helpers.js';
import { tempDir, writeLines } from './helpers.js';

const dir = tempDir();
const modelDir = join(dir, 'model');
saveModel(tinyModel({}, 2, 0.3), new CharTokenizer(), modelDir);
const aha = (re: RegExp) => (e: unknown) => e instanceof AhaError && re.test(e.message);

test('a local generator samples in the precision asked for, and refuses BF16 for a model the path cannot serve, with its reason', (t) => {
  const f32 = LocalGenerator.open(modelDir, { api: 'completions' });
  assert.equal(samplingPrecisionOf(f32.loaded.model), 'f32');
  const bf16 = LocalGenerator.open(modelDir, { api: 'completions', precision: { value: 'bf16', option: '--sampling-precision' } });
  assert.equal(samplingPrecisionOf(bf16.loaded.model), 'bf16');
  t.mock.method(Transformer.prototype, 'bf16SamplingBlocker', () => 'a reason the network gives');
  assert.throws(() => LocalGenerator.open(modelDir, { api: 'completions', precision: { value: 'bf16', option: '--sampling-precision' } }),
    aha(/^--sampling-precision: cannot sample .*model in BF16: a reason the network gives$/));
});

test('evaluate(): samplingPrecision is checked by name, is for local models only, and BF16 samples are not resumed in f32', async () => {
  const data = writeLines(join(dir, 'q.jsonl'), [{ problem: '1+1?', answer: '2' }, { problem: '2+2?', answer: '4' }]);
  const base = { data, model: modelDir, api: 'completions' as const, maxTokens: 6, samples: 2 };
  await assert.rejects(evaluate({ ...base, samplingPrecision: 'bfloat16' as never }), aha(/^evaluate: samplingPrecision: unknown sampling precision "bfloat16"/));
  await assert.rejects(evaluate({ ...base, endpoint: 'http://127.0.0.1:9/v1', samplingPrecision: 'bf16' }), aha(/samplingPrecision bf16 applies to a local model folder; a server samples in its own precision/));
  const out = join(dir, 'bf16.jsonl');
  const r = await evaluate({ ...base, out, samplingPrecision: 'bf16' });
  assert.equal(r.problems, 2);
  assert.equal(r.generated, 4);
  await assert.rejects(evaluate({ ...base, out }), aha(/holds samples made with other settings \(sampling_precision: "bf16" then, null now\)/));
  // The same precision resumes.
  assert.equal((await evaluate({ ...base, out, samplingPrecision: 'bf16' })).resumed, 4);
});

test('--sampling-precision and --bf16: the short form, a conflict, an unknown value', () => {
  assert.equal(samplingPrecisionFlag({}), undefined);
  assert.equal(samplingPrecisionFlag({ bf16: true }), 'bf16');
  assert.equal(samplingPrecisionFlag({ samplingPrecision: 'bf16', bf16: true }), 'bf16');
  assert.equal(samplingPrecisionFlag({ samplingPrecision: 'f32' }), 'f32');
  assert.throws(() => samplingPrecisionFlag({ samplingPrecision: 'f32', bf16: true }), aha(/^--bf16 \(short for --sampling-precision bf16\) conflicts with --sampling-precision f32/));
  assert.throws(() => samplingPrecisionFlag({ samplingPrecision: 'half' }), aha(/^--sampling-precision: unknown sampling precision "half"; choose f32 or bf16$/));
});

test('pipeline sample and eval stages: sampling_precision defaults to f32, bf16 accepted, others refused naming the field', () => {
  const stage = { model: modelDir, data: 'arithmetic' };
  assert.equal(evalConfig(stage).samplingPrecision, 'f32');
  assert.equal(sampleConfig({ ...stage, sampling_precision: 'bf16' }).samplingPrecision, 'bf16');
  assert.throws(() => evalConfig({ ...stage, sampling_precision: 'bf17' }), (e: unknown) => e instanceof ConfigFieldError && e.field === 'sampling_precision' && /must be one of f32, bf16/.test(e.problem));
});
