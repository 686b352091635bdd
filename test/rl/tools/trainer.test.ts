// A GRPO step on tool-using completions, end to end on a tiny transformer: the step's tool
// metrics, completions.jsonl keeping each completion's model and tool segments, and the step ignoring
// the sampler log-probs of tool tokens under the options that read sampler log-probs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransformer } from '../../../src/model/transformer.js';
import { CharTokenizer } from '../../../src/model/char-tokenizer.js';
import { DEFAULT_CONFIG, validateConfig } from '../../../src/rl/config.js';
import { filePrompts } from '../../../src/rl/prompts.js';
import { runGrpo } from '../../../src/rl/trainer.js';
import type { Sampler } from '../../../src/rl/rollout.js';
import { scratchDir } from '../../scratch-dir.js';

const tokenizer = new CharTokenizer({ chars: 'abcdx<>/s', markers: [] });
const enc = (s: string) => tokenizer.encode(s, { addSpecialTokens: false });
/** The same one-layer model (seed 2) for every step. */
const tinyModel = () => createTransformer({
  model_type: 'llama', vocab_size: tokenizer.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1,
  num_attention_heads: 2, num_key_value_heads: 2, max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000,
  tie_word_embeddings: true, eos_token_id: tokenizer.eosId,
}, { seed: 2 });

test('a step over tool-using completions logs tool metrics and the segments of each completion', async () => {
  const model = tinyModel();
  // Rows alternate: "<s>a</s>" + tool text "dd" + "a" (rewarded), and a plain "b" (not).
  const sampler: Sampler = async (prompts) => prompts.map((_, i) => {
    if (i % 2 === 1) return { ids: enc('b'), text: 'b', truncated: false };
    const parts = ['<s>a</s>', 'dd', 'a'];
    const ids = Int32Array.from(parts.flatMap((p) => [...enc(p)]));
    const modelMask = Uint8Array.from(parts.flatMap((p, k) => Array(enc(p).length).fill(k === 1 ? 0 : 1)));
    return {
      ids, text: parts.join(''), truncated: false, modelMask,
      segments: [{ kind: 'model' as const, text: parts[0], tokens: 8 }, { kind: 'tool' as const, text: 'dd', tokens: 2, tool: 's', invalid: i === 2 }, { kind: 'model' as const, text: 'a', tokens: 1 }],
    };
  });
  const config = validateConfig({ ...DEFAULT_CONFIG, task: null, data: 'toy', max_steps: 1, prompts_per_step: 2, num_generations: 2, max_completion_length: 12, learning_rate: 1e-2, save_steps: 0, log_completions_steps: 1 });
  const dir = scratchDir('aha-tools-grpo-');
  const items = ['x', 'xx'].map((p, i) => ({ id: String(i), prompt: p, example: {} }));
  const reward = { name: 'ends_a', description: '', score: (c: string) => (c.endsWith('a') ? 1 : 0) };
  const result = await runGrpo({
    config, model, tokenizer, reference: null, sampler, prompts: filePrompts(items, 1, 'toy'), rewardNames: ['ends_a'], rewardWeights: [1],
    judges: { rewards: [reward], correct: async (c) => ({ correct: c.endsWith('a'), extracted: null }), reflections: () => 0 }, runDir: dir, quiet: true,
  });
  const m = result.lastMetrics!;
  assert.equal(m['tools/calls_per_completion'], 0.5);
  assert.equal(m['tools/use_rate'], 0.5);
  assert.equal(m['tools/invalid_rate'], 0.5);
  assert.equal(m['tools/tokens_per_completion'], 1);
  assert.ok(Number.isFinite(m.loss) && m.grad_norm > 0);
  const lines = readFileSync(join(dir, 'completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 4);
  const tool = lines.find((l) => l.completion === '<s>a</s>dda')!;
  assert.deepEqual((tool.segments as { kind: string }[]).map((s) => s.kind), ['model', 'tool', 'model']);
  assert.equal(lines.find((l) => l.completion === 'b')!.segments, undefined);
});

test('a whole step ignores the sampler log-probs of tool tokens: sampler correction, off-policy masking, several passes', async () => {
  // The same rows twice, only the tool positions' sampler log-probs differ (0, as the tool
  // sampler reports them, against -7): every figure the step logs must be the same.
  const step = async (toolLogp: number, over: Record<string, unknown>) => {
    const model = tinyModel();
    const sampler: Sampler = async (prompts) => prompts.map((_, i) => {
      const parts = i % 2 ? ['<s>b</s>', 'ddddd', 'b'] : ['<s>a</s>', 'dd', 'a'];
      const ids = Int32Array.from(parts.flatMap((p) => [...enc(p)]));
      const modelMask = Uint8Array.from(parts.flatMap((p, k) => Array(enc(p).length).fill(k === 1 ? 0 : 1)));
      return { ids, text: parts.join(''), truncated: false, modelMask, logprobs: Float32Array.from(modelMask, (m, j) => (m ? -1 - 0.1 * j : toolLogp)) };
    });
    const config = validateConfig({ ...DEFAULT_CONFIG, task: null, data: 'toy', max_steps: 1, prompts_per_step: 2, num_generations: 2, max_completion_length: 16, learning_rate: 1e-2, save_steps: 0, log_completions_steps: 0, ...over });
    const items = ['x', 'xx'].map((p, i) => ({ id: String(i), prompt: p, example: {} }));
    const reward = { name: 'ends_a', description: '', score: (c: string) => (c.endsWith('a') ? 1 : 0) };
    const result = await runGrpo({
      config, model, tokenizer, reference: null, sampler, prompts: filePrompts(items, 1, 'toy'), rewardNames: ['ends_a'], rewardWeights: [1],
      judges: { rewards: [reward], correct: async (c) => ({ correct: c.endsWith('a'), extracted: null }), reflections: () => 0 }, runDir: scratchDir('aha-tools-logp-'), quiet: true,
    });
    const m = result.lastMetrics!;
    return Object.fromEntries(Object.entries(m).filter(([k]) => !/time|per_s/.test(k)));
  };
  const cases: [Record<string, unknown>, string][] = [
    [{ loss_type: 'dapo', vllm_importance_sampling_correction: true }, 'sampler_is/mean_weight'],
    [{ loss_type: 'bnpo', off_policy_mask_threshold: 0.01, num_iterations: 2 }, 'off_policy/masked_frac'],
  ];
  for (const [over, figure] of cases) {
    const a = await step(0, over);
    assert.ok(a[figure] > 0, `${figure} is logged and not 0: the option under test ran`);
    assert.deepEqual(await step(-7, over), a);
  }
});
