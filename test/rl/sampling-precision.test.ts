// sampling_precision: the option parsed and checked (config, flags, file), refused with the
// network's own reason before any work, the rollouts sampled through the BF16 path while the
// held-out evaluation stays f32, the sampler correction's default, and the sampler/trainer gap
// metric.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { DEFAULT_CONFIG, readConfigFile, validateConfig, type GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { checkConfig, configFromFlags, register } from '../../src/cli/commands/train.js';
import { runCommand } from '../cli/in-process.js';
import { Transformer, type TransformerCache } from '../../src/model/transformer.js';
import { scoreCompletions } from '../../src/model/scoring.js';
import { samplingPrecisionOf } from '../../src/model/sampling-precision.js';
import { scratchDir } from '../scratch-dir.js';

const cfg = (over: Partial<GrpoConfig>): GrpoConfig => ({ ...DEFAULT_CONFIG, task: 'arithmetic', ...over });
const aha = (re: RegExp) => (e: unknown) => e instanceof AhaError && re.test(e.message);

/** The Countdown demo's model and task at test size (the bundled 0.86M-parameter model). */
const tiny = (over: Partial<GrpoConfig>): GrpoConfig => cfg({
  task: 'countdown', difficulty: [0], model: null, prompts_per_step: 2, num_generations: 4, max_completion_length: 24, max_steps: 1,
  save_steps: 0, log_completions_steps: 0, output_dir: join(scratchDir('aha-precision-'), 'run'), ...over,
});

test('sampling_precision: f32 by default, bf16 accepted, anything else refused naming the option', () => {
  assert.equal(DEFAULT_CONFIG.sampling_precision, 'f32');
  assert.equal(validateConfig(cfg({ sampling_precision: 'bf16' })).sampling_precision, 'bf16');
  assert.throws(() => validateConfig(cfg({ sampling_precision: 'bfloat16' as never })), aha(/^sampling_precision: unknown sampling precision "bfloat16" \(vLLM's dtype bfloat16 is bf16 here\); choose f32 or bf16$/));
  assert.throws(() => validateConfig(cfg({ sampling_precision: 'fp8' as never })), aha(/sampling_precision: .*"fp8".*choose f32 or bf16/));
  // The flag and the config file name themselves in the refusal.
  const sources = new Map<string, string>();
  assert.throws(() => checkConfig(configFromFlags({ samplingPrecision: 'half' }, cfg({}), sources), sources), aha(/^--sampling-precision: unknown sampling precision "half"; choose f32 or bf16$/));
  const file = join(scratchDir('aha-precision-'), 'c.yaml');
  writeFileSync(file, 'task: arithmetic\nsampling_precision: bf17\n');
  const fromFile = new Map<string, string>();
  const c = configFromFlags({ config: file }, cfg({}), fromFile);
  assert.throws(() => checkConfig(c, fromFile), (e: unknown) => e instanceof AhaError && e.message.includes('c.yaml') && e.message.includes('field "sampling_precision"') && e.message.includes('"bf17"'));
  assert.equal(readConfigFile(file).sampling_precision, 'bf17', 'the file is read as written; validation refuses it');
});

test('the sampler correction defaults to on when sampling in BF16 at temperature 1, off otherwise; set either way it stays', () => {
  assert.equal(DEFAULT_CONFIG.vllm_importance_sampling_correction, null);
  assert.equal(validateConfig(cfg({})).vllm_importance_sampling_correction, false);
  assert.equal(validateConfig(cfg({ sampling_precision: 'bf16' })).vllm_importance_sampling_correction, true);
  assert.equal(validateConfig(cfg({ sampling_precision: 'bf16', temperature: 0.7 })).vllm_importance_sampling_correction, false, 'the sampler\'s log-probs are temperature 1\'s');
  assert.equal(validateConfig(cfg({ sampling_precision: 'bf16', vllm_importance_sampling_correction: false })).vllm_importance_sampling_correction, false);
  assert.equal(validateConfig(cfg({ vllm_importance_sampling_correction: true })).vllm_importance_sampling_correction, true);
  assert.throws(() => validateConfig(cfg({ vllm_importance_sampling_correction: true, temperature: 0.7 })), aha(/needs temperature 1/));
  assert.throws(() => validateConfig(cfg({ vllm_importance_sampling_correction: 'yes' as never })), aha(/vllm_importance_sampling_correction must be true, false or null/));
  // --no-vllm-importance-sampling-correction turns the default off from the command line.
  assert.equal(configFromFlags({ samplingPrecision: 'bf16', vllmImportanceSamplingCorrection: false }, cfg({})).vllm_importance_sampling_correction, false);
});

test('a model the BF16 path cannot serve is refused at setup with the network\'s reason, before a run folder or a reference exists', (t) => {
  // Whatever the packed path serves today, the refusal is the network's own bf16SamplingBlocker().
  t.mock.method(Transformer.prototype, 'bf16SamplingBlocker', () => 'a reason the network gives');
  const load = t.mock.method(Transformer.prototype, 'createCache');
  const c = tiny({ sampling_precision: 'bf16', beta: 0.04 });
  assert.throws(() => prepareGrpo(c, { quiet: true }), aha(/^sampling_precision: cannot sample .*aha-tiny-countdown in BF16: a reason the network gives$/));
  assert.equal(existsSync(c.output_dir), false, 'nothing written');
  assert.equal(load.mock.callCount(), 0, 'nothing sampled');
  // In f32 the same model is fine.
  assert.doesNotThrow(() => prepareGrpo({ ...c, sampling_precision: 'f32' }, { quiet: true }));
});

test('aha train --sampling-precision bf16 on a model the BF16 path cannot serve: one refusal, nothing written', async (t) => {
  t.mock.method(Transformer.prototype, 'bf16SamplingBlocker', () => 'a reason the network gives');
  const run = join(scratchDir('aha-precision-'), 'run');
  await assert.rejects(runCommand(register, 'train', ['--sampling-precision', 'bf16', '--steps', '1', '--eval-problems', '2', '--output', run, '--quiet']),
    aha(/^sampling_precision: cannot sample .*aha-tiny-countdown in BF16: a reason the network gives$/));
  assert.equal(existsSync(run), false);
});

test('BF16 rollouts come from the BF16 path and differ from f32 only within BF16 error; the held-out sampler stays f32', async () => {
  const run = prepareGrpo(tiny({ sampling_precision: 'bf16' }), { quiet: true });
  const net = run.model as Transformer;
  // Spy: every KV cache made, and whether it carries the BF16 weight snapshot the BF16 products read.
  const made: boolean[] = [];
  const create = net.createCache.bind(net);
  mock.method(net, 'createCache', (batch: number, maxLen: number) => {
    const cache = create(batch, maxLen) as TransformerCache;
    made.push(cache.bf16 !== null);
    return cache;
  });
  const prompts = Array.from({ length: 8 }, () => run.tokenizer.encode(run.prompts.next().prompt));
  const bf16 = await run.sampler(prompts, new Rng(7));
  assert.ok(made.length > 0 && made.every((b) => b), 'the rollouts\' caches hold the BF16 snapshot');
  assert.equal(samplingPrecisionOf(net), 'f32', 'the model is back in f32 after the rollouts');
  made.length = 0;
  const f32 = await run.evalSampler!(prompts, new Rng(7));
  assert.ok(made.length > 0 && made.every((b) => !b), 'the held-out sampler\'s caches are f32');
  assert.equal(f32.length, bf16.length);
  // The BF16 sampler's log-probs of its own tokens against the f32 trainer's (teacher-forced).
  const trainer = scoreCompletions(net, prompts, bf16.map((s) => s.ids));
  let sum = 0, n = 0, max = 0;
  bf16.forEach((s, r) => s.logprobs!.forEach((lp, j) => {
    const d = Math.abs(lp - trainer[r][j]);
    sum += d;
    n++;
    max = Math.max(max, d);
  }));
  assert.ok(n > 20, `${n} tokens`);
  assert.ok(sum / n > 1e-6, `BF16 products move the log-probs (mean |Δ| ${sum / n}); f32 against f32 is ~1e-7`);
  assert.ok(sum / n < 0.02 && max < 0.3, `within BF16 error: mean |Δ| ${sum / n}, max ${max}`);
  const f32Gap = scoreCompletions(net, prompts, f32.map((s) => s.ids));
  f32.forEach((s, r) => s.logprobs!.forEach((lp, j) => assert.ok(Math.abs(lp - f32Gap[r][j]) < 1e-4)));
});

test('a BF16 run logs the sampler/trainer log-prob gap (and the correction\'s weights); an f32 run does not', async () => {
  const metricsOf = async (over: Partial<GrpoConfig>) => {
    // beta > 0 runs every row (with beta 0, rows of an all-equal group are skipped and carry no gap).
    const run = prepareGrpo(tiny({ beta: 0.04, ...over }), { quiet: true });
    await runGrpo(run);
    return JSON.parse(readFileSync(join(run.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')[0]) as Record<string, number>;
  };
  const bf16 = await metricsOf({ sampling_precision: 'bf16' });
  const gap = bf16['sampling/sampling_logp_difference/mean'];
  assert.ok(gap > 1e-6 && gap < 0.02, `mean |Δ log p| ${gap}`);
  assert.ok(bf16['sampling/sampling_logp_difference/max'] >= gap && bf16['sampling/sampling_logp_difference/max'] < 0.5);
  assert.ok(Math.abs(bf16['sampler_is/mean_weight'] - 1) < 0.1, 'the correction is on by default, its weights near 1');
  const off = await metricsOf({ sampling_precision: 'bf16', vllm_importance_sampling_correction: false });
  assert.ok(off['sampling/sampling_logp_difference/mean'] > 0, 'the gap is logged with the correction off too');
  assert.equal(off['sampler_is/mean_weight'], undefined);
  const f32 = await metricsOf({});
  assert.equal(f32['sampling/sampling_logp_difference/mean'], undefined);
  assert.equal(f32['sampler_is/mean_weight'], undefined);
});
