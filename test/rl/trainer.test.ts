// End-to-end checks of the GRPO loop on a tiny random transformer and a toy task: reward rises,
// a positive-advantage completion becomes more likely, and resume reproduces an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { noGrad } from '../../src/core/index.js';
import { createTransformer } from '../../src/model/transformer.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { sample } from '../../src/model/sampling.js';
import { loadTrainingCheckpoint, latestCheckpoint, listCheckpoints, readTensorFile } from '../../src/model/training-checkpoint.js';
import type { CausalLM } from '../../src/model/causal-lm.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import type { RewardFunction } from '../../src/rewards/types.js';
import { DEFAULT_CONFIG, validateConfig, type GrpoConfig, type ResolvedGrpoConfig } from '../../src/rl/config.js';
import { filePrompts } from '../../src/rl/prompts.js';
import { runGrpo, type GrpoRunOptions, type GrpoTrainerState } from '../../src/rl/trainer.js';
import { memoryChunks, mixReference, policyUpdate, restoreReference, splitRanges, SYNCED_REFERENCE_FILE } from '../../src/rl/update.js';
import { LOSS_TYPES, type LossType } from '../../src/rl/loss.js';
import { TrainingSums } from '../../src/rl/metrics.js';
import type { Optimizer } from '../../src/model/optimizer.js';
import type { Sampler } from '../../src/rl/rollout.js';
import { scratchDir } from '../scratch-dir.js';

const tokenizer = new CharTokenizer({ chars: 'abcdx', markers: [] });
const modelConfig: ModelConfig = {
  model_type: 'llama', vocab_size: tokenizer.vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
  num_attention_heads: 2, num_key_value_heads: 2, max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000,
  tie_word_embeddings: true, eos_token_id: tokenizer.eosId,
};

/** Toy task: reward 1 when the completion starts with "a" (about 1 in 10 at random init). */
const startsWithA: RewardFunction = { name: 'starts_a', description: 'completion starts with a', score: (c) => (c.startsWith('a') ? 1 : 0) };

function toyConfig(over: Partial<GrpoConfig>): ResolvedGrpoConfig {
  return validateConfig({
    ...DEFAULT_CONFIG, task: null, data: 'toy', max_steps: 20, prompts_per_step: 2, num_generations: 8, max_completion_length: 4,
    learning_rate: 3e-2, max_grad_norm: 1, save_steps: 0, log_completions_steps: 5, ...over,
  });
}

const modelSampler = (model: CausalLM, maxNew: number): Sampler => async (prompts, rng) =>
  sample(model, prompts, { maxNewTokens: maxNew, eosIds: [tokenizer.eosId], tokenizer, rng }).map((s) => ({ ids: s.tokens, text: s.text, truncated: s.finishReason === 'length' }));

function runOptions(model: CausalLM, config: ResolvedGrpoConfig, runDir: string, extra: Partial<GrpoRunOptions> = {}): GrpoRunOptions {
  const items = ['x', 'xx'].map((p, i) => ({ id: String(i), prompt: p, example: {} }));
  return {
    config, model, tokenizer, reference: config.beta > 0 ? createTransformer(modelConfig, { seed: 1 }) : null,
    sampler: modelSampler(model, config.max_completion_length), prompts: filePrompts(items, config.seed, 'toy'),
    rewardNames: ['starts_a'], rewardWeights: [1],
    judges: { rewards: [startsWithA], correct: async (c) => ({ correct: c.startsWith('a'), extracted: null }), reflections: () => 0 },
    runDir, quiet: true, ...extra,
  };
}

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const tmp = () => scratchDir('aha-grpo-');
const metricsOf = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

/** log p(completion | prompt) under `model`. */
function seqLogProb(model: CausalLM, prompt: string, completion: string): number {
  const p = tokenizer.encode(prompt, { addSpecialTokens: false });
  const c = tokenizer.encode(completion, { addSpecialTokens: false });
  const ids = new Int32Array([...p, ...c]);
  const logits = noGrad(() => model.forward(ids, 1, ids.length)).data;
  const V = modelConfig.vocab_size;
  let lp = 0;
  for (let j = 0; j < c.length; j++) {
    const pos = p.length - 1 + j;
    const row = logits.subarray(pos * V, pos * V + V);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    lp += row[c[j]] - lse;
  }
  return lp;
}

test('splitRanges covers every row once in nearly equal parts', () => {
  assert.deepEqual(splitRanges(10, 3), [[0, 3], [3, 6], [6, 10]]);
  assert.deepEqual(splitRanges(2, 5), [[0, 1], [1, 2]]);
});

test('a positive-advantage completion becomes more likely after one step, a negative one less', async () => {
  const model = createTransformer(modelConfig, { seed: 3 });
  // A fixed sampler: half the group answers "ab", half "cd"; only "ab" is rewarded.
  const fixed: Sampler = async (prompts) => prompts.map((_, i) => {
    const text = i % 2 === 0 ? 'ab' : 'cd';
    return { ids: new Int32Array([...tokenizer.encode(text, { addSpecialTokens: false }), tokenizer.eosId]), text, truncated: false };
  });
  const before = { ab: seqLogProb(model, 'x', 'ab'), cd: seqLogProb(model, 'x', 'cd') };
  for (const [lossType, temperature] of [['grpo', 1], ['dapo', 0.7]] as const) {
    const m = createTransformer(modelConfig, { seed: 3 });
    const cfg = toyConfig({ max_steps: 1, prompts_per_step: 1, num_generations: 4, learning_rate: 1e-2, loss_type: lossType, beta: 0.04, temperature });
    const opts = runOptions(m, cfg, tmp(), { sampler: fixed });
    opts.prompts = filePrompts([{ id: '0', prompt: 'x', example: {} }], 0, 'toy');
    await runGrpo(opts);
    assert.ok(seqLogProb(m, 'x', 'ab') > before.ab, `${lossType}: log p(ab) should rise`);
    assert.ok(seqLogProb(m, 'x', 'cd') < before.cd, `${lossType}: log p(cd) should fall`);
  }
});

test('every family variant pushes toward the rewarded completion (GSPO, CISPO, delta, RLOO, REINFORCE++, entropy options)', async () => {
  const fixed: Sampler = async (prompts) => prompts.map((_, i) => {
    const text = i % 2 === 0 ? 'ab' : 'cd';
    return { ids: new Int32Array([...tokenizer.encode(text, { addSpecialTokens: false }), tokenizer.eosId]), text, truncated: false };
  });
  const model0 = createTransformer(modelConfig, { seed: 3 });
  const before = { ab: seqLogProb(model0, 'x', 'ab'), cd: seqLogProb(model0, 'x', 'cd') };
  const variants: Partial<GrpoConfig>[] = [
    { importance_sampling_level: 'sequence', epsilon: 3e-4, epsilon_high: 4e-4, num_iterations: 2 },
    { loss_type: 'cispo', num_iterations: 2 },
    { delta: 4, beta: 0.04, use_bias_correction_kl: true, num_iterations: 2 },
    { advantage_estimator: 'rloo' },
    { advantage_estimator: 'reinforce_plus_plus', loss_type: 'dapo' },
    { advantage_estimator: 'reinforce_plus_plus', loss_type: 'dapo', beta: 0.04 },
    { entropy_coef: 0.01, top_entropy_quantile: 0.5, temperature: 0.7 },
    { use_adaptive_entropy: true, entropy_coef: 0.01, entropy_target: 5, num_iterations: 2 },
  ];
  for (const v of variants) {
    const m = createTransformer(modelConfig, { seed: 3 });
    const cfg = toyConfig({ max_steps: 1, prompts_per_step: 1, num_generations: 4, learning_rate: 1e-2, ...v });
    const dir = tmp();
    const opts = runOptions(m, cfg, dir, { sampler: fixed });
    opts.prompts = filePrompts([{ id: '0', prompt: 'x', example: {} }], 0, 'toy');
    await runGrpo(opts);
    const label = JSON.stringify(v);
    assert.ok(seqLogProb(m, 'x', 'ab') > before.ab, `${label}: log p(ab) should rise`);
    assert.ok(seqLogProb(m, 'x', 'cd') < before.cd, `${label}: log p(cd) should fall`);
    const line = metricsOf(dir)[0];
    if (v.top_entropy_quantile) assert.ok(line['entropy/policy_token_frac'] > 0 && line['entropy/policy_token_frac'] < 1, label);
    if (v.beta) assert.ok(line.kl >= 0, `${label}: the KL is still logged`);
    // Entropy far below the target 5: the first update has no measurement (no bonus), the second applies 0.01 + 0.005.
    if (v.use_adaptive_entropy) {
      close(line.entropy_coef, 0.02);
      close(line['entropy_coef/applied'], 0.015 / 2);
    }
  }
});

test('truncated importance sampling: aha\'s own sampler agrees with the trainer (weights ~1); a sampler that reports other log-probs gets capped', async () => {
  const withLogprobs = (model: CausalLM, shift: number): Sampler => async (prompts, rng) =>
    sample(model, prompts, { maxNewTokens: 4, eosIds: [tokenizer.eosId], tokenizer, rng }).map((s) => ({
      ids: s.tokens, text: s.text, truncated: s.finishReason === 'length', logprobs: s.logprobs.map((v) => v - shift),
    }));
  for (const [shift, mode] of [[0, 'token_truncate'], [5, 'token_truncate'], [0, 'sequence_mask']] as const) {
    const m = createTransformer(modelConfig, { seed: 4 });
    // beta > 0 runs every row, whatever its advantage.
    const cfg = toyConfig({ max_steps: 1, beta: 0.04, vllm_importance_sampling_correction: true, vllm_importance_sampling_mode: mode, vllm_importance_sampling_clip_max: 2 });
    const dir = tmp();
    await runGrpo(runOptions(m, cfg, dir, { sampler: withLogprobs(m, shift) }));
    const line = metricsOf(dir)[0];
    if (shift === 0) {
      assert.ok(Math.abs(line['sampler_is/mean_weight'] - 1) < 1e-3, `${mode}: mean weight ${line['sampler_is/mean_weight']}`);
      assert.equal(line['sampler_is/clipped_frac'], 0);
    } else {
      // ℓsmp 5 nats below ℓold: every weight e^5 is capped at 2.
      close(line['sampler_is/mean_weight'], 2);
      close(line['sampler_is/clipped_frac'], 1);
    }
  }
  const m = createTransformer(modelConfig, { seed: 4 });
  const cfg = toyConfig({ max_steps: 1, beta: 0.04, vllm_importance_sampling_correction: true });
  await assert.rejects(runGrpo(runOptions(m, cfg, tmp())), /sampler returned none/);
});

test('reference sync: ref = alpha·policy + (1 − alpha)·ref, after every ref_model_sync_steps updates', async () => {
  const policy = createTransformer(modelConfig, { seed: 5 });
  const ref = createTransformer(modelConfig, { seed: 6 });
  const [name, p] = [...policy.parameters()][0];
  const before = ref.parameters().get(name)!.data.slice();
  mixReference(ref, policy, 0.25);
  const after = ref.parameters().get(name)!.data;
  for (let i = 0; i < 5; i++) close(after[i], 0.25 * p.data[i] + 0.75 * before[i]);
  // In a run: synced after step 2 (sync every 2 updates) with alpha 1, so it equals the policy then.
  const m = createTransformer(modelConfig, { seed: 3 });
  const cfg = toyConfig({ max_steps: 2, beta: 0.04, sync_ref_model: true, ref_model_mixup_alpha: 1, ref_model_sync_steps: 2 });
  const opts = runOptions(m, cfg, tmp());
  const start = opts.reference!.parameters().get(name)!.data.slice();
  await runGrpo(opts);
  const synced = opts.reference!.parameters().get(name)!.data;
  assert.notDeepEqual(Array.from(synced), Array.from(start));
  assert.deepEqual(Array.from(synced), Array.from(m.parameters().get(name)!.data));
});

test('dynamic sampling drops all-equal groups and samples more prompts to refill the batch', async () => {
  // Prompt "x" always gets "aa" (all rewards 1: no signal); prompt "xx" gets a mix.
  let calls = 0;
  const seen: number[] = [];
  const mixed: Sampler = async (prompts) => {
    calls++;
    return prompts.map((p, i) => {
      const text = p.length === 1 || i % 2 === 0 ? 'aa' : 'bb';
      return { ids: new Int32Array([...tokenizer.encode(text, { addSpecialTokens: false }), tokenizer.eosId]), text, truncated: false };
    });
  };
  const cfg = toyConfig({ max_steps: 1, num_generations: 4, dynamic_sampling: true, max_sampling_rounds: 4 });
  const dir = tmp();
  await runGrpo(runOptions(createTransformer(modelConfig, { seed: 2 }), cfg, dir, { sampler: mixed, onStep: (m) => seen.push(m.trained_groups) }));
  const [m] = metricsOf(dir);
  assert.equal(calls, 2, 'one informative group per round: two rounds fill two groups');
  assert.equal(m.sampled_groups, 4);
  assert.equal(m.trained_groups, 2);
  assert.equal(m.frac_zero_std, 0.5);
  assert.deepEqual(seen, [2]);
  // Without dynamic sampling the all-equal group is trained on (with advantage 0).
  const plain = tmp();
  calls = 0;
  await runGrpo(runOptions(createTransformer(modelConfig, { seed: 2 }), { ...cfg, dynamic_sampling: false }, plain, { sampler: mixed }));
  assert.equal(calls, 1);
  assert.equal(metricsOf(plain)[0].trained_groups, 2);
});

test('tiny end-to-end run on a toy task: reward rises, files written in the run-folder layout', async () => {
  const dir = tmp();
  const model = createTransformer(modelConfig, { seed: 5 });
  const res = await runGrpo(runOptions(model, toyConfig({ max_steps: 20, save_steps: 5, save_total_limit: 2 }), dir));
  const lines = metricsOf(dir);
  assert.equal(lines.length, 20);
  const first = (lines[0]['reward/mean'] + lines[1]['reward/mean'] + lines[2]['reward/mean']) / 3;
  const last = (lines[17]['reward/mean'] + lines[18]['reward/mean'] + lines[19]['reward/mean']) / 3;
  assert.ok(last > first + 0.3, `reward should rise: first ${first.toFixed(2)}, last ${last.toFixed(2)}`);
  for (const k of ['reward/std', 'reward/starts_a/mean', 'accuracy', 'frac_zero_std', 'completion_length/mean', 'completion_length/min', 'completion_length/max', 'truncated_frac', 'entropy', 'clip/low', 'clip/high', 'reflect_rate', 'loss', 'grad_norm', 'lr', 'tokens_per_s/sampling', 'tokens_per_s/training', 'seconds_per_step', 'time/sampling', 'time/scoring', 'time/reference', 'time/training']) {
    assert.equal(typeof lines[19][k], 'number', `metric ${k}`);
  }
  assert.equal(lines[0].kl, undefined, 'no kl with beta = 0');
  const completions = readFileSync(join(dir, 'completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual([...new Set(completions.map((c) => c.step))], [1, 5, 10, 15, 20]);
  assert.deepEqual(Object.keys(completions[0]).sort(), ['completion', 'correct', 'extracted', 'gold', 'length', 'problem_id', 'prompt', 'reward', 'rewards', 'step']);
  assert.equal(res.checkpointDir, join(dir, 'checkpoints', 'step-20'));
  assert.ok(existsSync(join(dir, 'checkpoints', 'step-20', 'trainer_state.json')));
  assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [15, 20], 'save_total_limit 2 keeps the two newest');
  assert.ok(existsSync(join(dir, 'config.json')));
});

test('resume from a checkpoint gives the same parameters as an uninterrupted run', async () => {
  // Held-out evaluation every 2 steps runs on its own random stream: it must not disturb the resume.
  const cfg = toyConfig({ max_steps: 4, save_steps: 2, num_iterations: 2, beta: 0.04, gradient_accumulation_steps: 3, warmup_steps: 2, lr_scheduler_type: 'cosine', eval_steps: 2 });
  const evalItems = ['xa', 'x', 'xx'].map((p, i) => ({ id: `e${i}`, prompt: p, example: {} }));
  const straightDir = tmp();
  const straight = createTransformer(modelConfig, { seed: 9 });
  await runGrpo(runOptions(straight, cfg, straightDir, { evalItems }));

  const dir = tmp();
  const stop = new AbortController();
  const first = await runGrpo(runOptions(createTransformer(modelConfig, { seed: 9 }), cfg, dir, {
    evalItems,
    signal: stop.signal,
    onStep: () => stop.abort(), // stop after the first step: the interrupted run saves step-1
  }));
  assert.equal(first.interrupted, true);
  assert.equal(first.state.step, 1);
  const ckpt = loadTrainingCheckpoint(latestCheckpoint(dir)!);
  const trainerState = ckpt.trainerState as unknown as GrpoTrainerState;
  assert.equal(trainerState.step, 1);
  const resumed = await runGrpo(runOptions(ckpt.model, cfg, dir, { evalItems, resume: { optimizerState: ckpt.optimizerState, trainerState } }));
  assert.equal(resumed.state.step, 4);
  for (const [name, p] of straight.parameters()) {
    const q = ckpt.model.parameters().get(name)!;
    assert.deepEqual(q.data, p.data, `parameter ${name} differs after resume`);
  }
  assert.deepEqual(metricsOf(dir).map((l) => l.step), [1, 2, 3, 4]);
  assert.deepEqual(metricsOf(dir).map((l) => l['reward/mean']), metricsOf(straightDir).map((l) => l['reward/mean']));
  // eval.jsonl: before training, every eval_steps, at the end; the same lines either way.
  const evals = (d: string) => readFileSync(join(d, 'eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(evals(straightDir).map((l) => l.step), [0, 2, 4]);
  assert.deepEqual(Object.keys(evals(straightDir)[0]).sort(), ['accuracy', 'format_rate', 'mean_length', 'n', 'reflect_rate', 'split', 'step']);
  assert.equal(evals(straightDir)[0].n, 3);
  assert.deepEqual(evals(dir).map(({ step, accuracy, mean_length }) => [step, accuracy, mean_length]), evals(straightDir).map(({ step, accuracy, mean_length }) => [step, accuracy, mean_length]));
  // eval_completions.jsonl: every held-out answer, the same problems at each evaluation, none twice after the resume.
  const answers = (d: string) => readFileSync(join(d, 'eval_completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(answers(straightDir).map((a) => `${a.step}:${a.problem_id}`), [0, 2, 4].flatMap((st) => ['e0', 'e1', 'e2'].map((id) => `${st}:${id}`)));
  assert.equal(answers(straightDir)[0].split, 'heldout');
  assert.deepEqual(answers(dir).map((a) => [a.step, a.problem_id, a.completion]), answers(straightDir).map((a) => [a.step, a.problem_id, a.completion]));
});

test('resume is bit-identical when the first step after it has all-equal rewards (AdamW still steps on zero gradients)', async () => {
  // Step 1 has a learning signal ("ab" rewarded, "cd" not); step 2's prompt rewards everything
  // alike, so every advantage is 0 and (beta 0) no row is run. The uninterrupted run still moves
  // the weights by AdamW momentum at step 2; the resumed run must do the same.
  const cfg = toyConfig({ max_steps: 2, prompts_per_step: 1, num_generations: 4, learning_rate: 1e-2, beta: 0 });
  const items = [{ id: 'signal', prompt: 'x', example: {} }, { id: 'flat', prompt: 'xx', example: { flat: true } }];
  const inOrder = () => {
    let pos = { epoch: 0, index: 0 };
    return { label: 'in-order', next: () => items[pos.index++ % 2], position: () => ({ ...pos }), seek: (p: typeof pos) => void (pos = { ...p }) };
  };
  const fixed: Sampler = async (prompts) => prompts.map((_, i) => {
    const text = i % 2 === 0 ? 'ab' : 'cd';
    return { ids: new Int32Array([...tokenizer.encode(text, { addSpecialTokens: false }), tokenizer.eosId]), text, truncated: false };
  });
  const reward: RewardFunction = { name: 'ab_unless_flat', description: '', score: (c, ex) => (ex.flat ? 1 : c.startsWith('ab') ? 1 : 0) };
  const options = (model: CausalLM, dir: string, extra: Partial<GrpoRunOptions> = {}) => ({
    ...runOptions(model, cfg, dir, extra), sampler: fixed, prompts: inOrder(), rewardNames: ['ab_unless_flat'],
    judges: { rewards: [reward], correct: async () => ({ correct: false, extracted: null }), reflections: () => 0 },
  });
  const straight = createTransformer(modelConfig, { seed: 6 });
  await runGrpo(options(straight, tmp()));

  const dir = tmp();
  const stop = new AbortController();
  await runGrpo(options(createTransformer(modelConfig, { seed: 6 }), dir, { signal: stop.signal, onStep: () => stop.abort() }));
  const ckpt = loadTrainingCheckpoint(latestCheckpoint(dir)!);
  const trainerState = ckpt.trainerState as unknown as GrpoTrainerState;
  assert.equal(trainerState.step, 1);
  const steps: Record<string, number>[] = [];
  await runGrpo(options(ckpt.model, dir, { resume: { optimizerState: ckpt.optimizerState, trainerState }, onStep: (m) => steps.push(m) }));
  assert.equal(steps.length, 1);
  assert.equal(steps[0].frac_zero_std, 1, 'the step after the resume has no learning signal');
  for (const [name, p] of straight.parameters()) assert.deepEqual(ckpt.model.parameters().get(name)!.data, p.data, `parameter ${name} differs after resume`);
});

test('Ctrl-C stops after the current step and saves a checkpoint', async () => {
  const dir = tmp();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'sigint-run.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!sent && out.includes('step\n')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  assert.equal(code, 0);
  const last = JSON.parse(out.trim().split('\n').pop()!) as { interrupted: boolean; step: number; checkpoint: string };
  assert.equal(last.interrupted, true);
  assert.ok(last.step >= 1 && last.step < 100000);
  assert.equal(last.checkpoint, join(dir, 'checkpoints', `step-${last.step}`));
  const state = JSON.parse(readFileSync(join(last.checkpoint, 'trainer_state.json'), 'utf8')) as GrpoTrainerState;
  assert.equal(state.step, last.step);
});

test('memoryChunks: rows grouped so padded logits stay under the budget', () => {
  const row = (n: number) => ({ promptIds: new Int32Array(1), completionIds: new Int32Array(n), truncated: false });
  const rows = [row(4), row(4), row(8), row(2), row(2)];
  // 10 bytes per position, budget 100: [4,4] = 2*4*10 = 80 fits; adding 8 -> 3*8*10 = 240 does not
  assert.deepEqual(memoryChunks(rows, 0, 5, 10, 100), [[0, 2], [2, 3], [3, 5]]);
  assert.deepEqual(memoryChunks(rows, 1, 3, 10, 1e9), [[1, 3]]);
  assert.deepEqual(memoryChunks(rows, 0, 2, 10, 1), [[0, 1], [1, 2]]); // a row alone always runs
});

/** Eight short rollouts over two prompts, the toy batch of the update tests below. */
function toyRows() {
  const enc = (t: string) => tokenizer.encode(t, { addSpecialTokens: false });
  return ['ab', 'cdab', 'a', 'bbb', 'dd', 'c', 'abcd', 'b'].map((t, i) => ({
    promptIds: enc(i < 4 ? 'x' : 'xx'), completionIds: new Int32Array([...enc(t), tokenizer.eosId]), truncated: false,
  }));
}

/** One policyUpdate from a fixed model whose optimiser only clears gradients, so the accumulated gradient can be compared. */
function accumulatedGradient(o: { lossType: LossType; accumulation: number; beta: number; referenceSeed: number; budget: number; advantages: Float64Array; extra?: Partial<GrpoConfig> }) {
  const model = createTransformer(modelConfig, { seed: 4 });
  const params = [...model.parameters().values()];
  const optimizer = { zeroGrad: () => params.forEach((p) => p.grad?.fill(0)), step: () => {} } as unknown as Optimizer;
  const sums = new TrainingSums();
  const t = policyUpdate({
    config: toyConfig({ loss_type: o.lossType, gradient_accumulation_steps: o.accumulation, beta: o.beta, num_iterations: 1, ...o.extra }), model,
    reference: createTransformer(modelConfig, { seed: o.referenceSeed }), optimizer, params, padId: tokenizer.padId, rows: toyRows(), advantages: o.advantages,
    lrAt: () => 0, updatesBefore: 0, sums, logitsBudgetBytes: o.budget,
  });
  return { grads: params.map((p) => (p.grad ?? new Float32Array(p.size)).slice()), tokens: t.trainTokens, loss: sums.loss };
}

function assertSameGradient(a: Float32Array[], b: Float32Array[], label: string): void {
  a.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) < 1e-5 * (1 + Math.abs(v)), `${label} param ${i}[${j}]: ${v} vs ${b[i][j]}`)));
}

test('chunking a micro-batch to bound memory leaves the accumulated gradient unchanged', () => {
  const advantages = Float64Array.from([1, -1, 0.5, -0.5, 0.3, -0.3, 1.2, -1.2]);
  for (const [k, lossType] of LOSS_TYPES.entries()) {
    const [whole, chunked] = [1e9, 1].map((budget) => accumulatedGradient({ lossType, accumulation: 2, beta: 0.04, referenceSeed: 1, budget, advantages }).grads);
    assertSameGradient(whole, chunked, `loss ${k}`);
  }
});

test('with beta 0, rows of zero advantage are not run, and the gradient is the same as running them', () => {
  // One chunk with no row to run at all (rows 2-3), one with a single row left (rows 4-5).
  const advantages = Float64Array.from([1, -1, 0, 0, 0, -0.3, 1.2, -1.2]);
  for (const lossType of LOSS_TYPES) {
    // A reference identical to the policy makes the KL term and its gradient exactly 0, so
    // beta 0.04 runs every row and must give the gradient of beta 0.
    const run = (beta: number) => accumulatedGradient({ lossType, accumulation: 4, beta, referenceSeed: 4, budget: 1, advantages });
    const skipped = run(0);
    const all = run(0.04);
    assert.ok(skipped.tokens < all.tokens, `${lossType}: zero-advantage rows were run (${skipped.tokens} vs ${all.tokens} tokens)`);
    assert.ok(Math.abs(skipped.loss - all.loss) < 1e-6, `${lossType}: loss ${skipped.loss} vs ${all.loss}`);
    assertSameGradient(skipped.grads, all.grads, lossType);
  }
});

test('top_entropy_quantile takes its threshold over the whole micro-batch, zero-advantage rows included (TRL)', () => {
  // Each micro-batch has zero-advantage rows; skipping them would take the quantile over fewer
  // tokens and train other tokens of the rows that run. The KL with a reference identical to the
  // policy is 0, so beta 0.04 (which runs every row) must give the same gradient as beta 0.
  const advantages = Float64Array.from([1, 0, 0, -1, 0.5, 0, -0.3, 0]);
  const run = (beta: number) => accumulatedGradient({ lossType: 'dapo', accumulation: 2, beta, referenceSeed: 4, budget: 1e9, advantages, extra: { top_entropy_quantile: 0.3 } });
  const [zero, all] = [run(0), run(0.04)];
  assert.equal(zero.tokens, all.tokens, 'every row is run');
  assertSameGradient(zero.grads, all.grads, 'top_entropy_quantile 0.3');
});

test('resume continues the adaptive entropy controller, REINFORCE++ with the KL in the reward and the synced reference exactly', async () => {
  const cfg = toyConfig({
    max_steps: 3, save_steps: 1, beta: 0.04, advantage_estimator: 'reinforce_plus_plus', loss_type: 'dapo',
    use_adaptive_entropy: true, entropy_coef: 0.01, entropy_target: 5, entropy_coef_delta: 0.02,
    sync_ref_model: true, ref_model_mixup_alpha: 0.5, ref_model_sync_steps: 1,
  });
  const straightDir = tmp();
  const straight = createTransformer(modelConfig, { seed: 9 });
  await runGrpo(runOptions(straight, cfg, straightDir));
  const dir = tmp();
  const stop = new AbortController();
  await runGrpo(runOptions(createTransformer(modelConfig, { seed: 9 }), cfg, dir, { signal: stop.signal, onStep: () => stop.abort() }));
  const ckpt = loadTrainingCheckpoint(latestCheckpoint(dir)!);
  const trainerState = ckpt.trainerState as unknown as GrpoTrainerState;
  assert.deepEqual(trainerState.entropy_control?.coef, 0.03);
  // What prepareGrpo does on --resume: the starting model as reference, then the checkpoint's synced weights.
  const resumed = runOptions(ckpt.model, cfg, dir, { resume: { optimizerState: ckpt.optimizerState, trainerState } });
  const ckptDir = latestCheckpoint(dir)!;
  assert.throws(() => restoreReference(resumed.reference!, null, ckptDir), /holds no reference.safetensors/);
  restoreReference(resumed.reference!, readTensorFile(ckptDir, SYNCED_REFERENCE_FILE), ckptDir);
  await runGrpo(resumed);
  for (const [name, p] of straight.parameters()) assert.deepEqual(ckpt.model.parameters().get(name)!.data, p.data, `parameter ${name} differs after resume`);
  const coefs = (d: string) => metricsOf(d).map((l) => [l.entropy_coef, l['entropy_coef/applied']]);
  assert.deepEqual(coefs(dir), coefs(straightDir));
  assert.deepEqual(coefs(dir).map(([c]) => Number(c.toFixed(6))), [0.03, 0.05, 0.07]);
});
