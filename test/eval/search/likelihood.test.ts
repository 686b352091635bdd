// The likelihood scorer: the policy's geometric-mean token probability of a completion given the
// prompt, from a tiny real model folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransformer } from '../../../src/model/transformer.js';
import { CharTokenizer } from '../../../src/model/char-tokenizer.js';
import { scoreCompletions } from '../../../src/model/scoring.js';
import { likelihoodScorer } from '../../../src/eval/search/likelihood-scorer.js';

test('likelihood scores exp(mean log p) of the completion tokens after the prompt; an empty completion scores 0', async () => {
  const tok = new CharTokenizer();
  const model = createTransformer(
    { model_type: 'qwen2', vocab_size: tok.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 128, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: true, bos_token_id: 1, eos_token_id: 2 },
    { seed: 5 },
  );
  const scorer = likelihoodScorer({ model, tokenizer: tok, config: {} as never, eosIds: [2], dir: 'mem' });
  const problem = { id: 'x', prompt: 'User: 1+2?\nAssistant: ', gold: '3' };
  const [a, b, empty] = await scorer.score(problem, ['<answer>3</answer>', '<answer>4</answer>', '']);
  const expected = (c: string) => {
    const [lp] = scoreCompletions(model, [tok.encode(problem.prompt, { addSpecialTokens: true })], [tok.encode(c, { addSpecialTokens: false })]);
    return Math.exp(lp.reduce((s, x) => s + x, 0) / lp.length);
  };
  assert.ok(Math.abs(a - expected('<answer>3</answer>')) < 1e-9);
  assert.ok(Math.abs(b - expected('<answer>4</answer>')) < 1e-9);
  assert.ok(a > 0 && a <= 1 && a !== b);
  assert.equal(empty, 0);
});
