import { createTransformer } from '../src/model/transformer.js';
import { sample } from '../src/model/sampling.js';
import { Rng } from '../src/util/rng.js';
const cfg = { model_type: 'qwen2', vocab_size: 3001, hidden_size: 256, intermediate_size: 512, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: true };
const m = createTransformer(cfg as never, { seed: 1, initStd: 0.2 });
const rng = new Rng(2);
const prompts = Array.from({ length: 6 }, (_, i) => Int32Array.from({ length: 3 + i }, () => rng.int(3001)));
const runs = [1, 2, 6].map((b) => sample(m, prompts, { maxNewTokens: 20, temperature: 1, seed: 5, batchSize: b }));
for (const r of runs.slice(1)) {
  let same = 0, lpd = 0;
  r.forEach((s, i) => { if (s.tokens.join() === runs[0][i].tokens.join()) same++; s.logprobs.forEach((l, j) => lpd = Math.max(lpd, Math.abs(l - (runs[0][i].logprobs[j] ?? l)))); });
  console.log(`same completions ${same}/6, max logprob diff ${lpd}`);
}
