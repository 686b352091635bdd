import { backend } from '../src/core/backend.js';
import { setNumThreads } from '../src/core/index.js';
import { createTransformer } from '../src/model/transformer.js';
import { drawToken } from '../src/model/logits.js';
import type { ModelConfig } from '../src/model/config.js';
import type { CausalLM } from '../src/model/causal-lm.js';
import { Rng } from '../src/util/rng.js';

const B = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 3);
const cfg: ModelConfig = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6,
  rope_theta: 1000000, tie_word_embeddings: true, bos_token_id: null, eos_token_id: 151643,
};
setNumThreads(2);
function fillRandom(model: CausalLM, std: number): void {
  let s = 0x9e3779b9;
  const a = std * Math.sqrt(3);
  for (const [name, p] of model.parameters()) {
    if (name.endsWith('norm.weight')) continue;
    const d = p.data;
    for (let i = 0; i < d.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; d[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * a; }
  }
}
const model = createTransformer(cfg, { skipInit: true });
fillRandom(model, 0.02);
const be = backend() as unknown as Record<string, (...a: unknown[]) => unknown>;
const acc = new Map<string, { ms: number; n: number }>();
let on = false;
for (const k of Object.keys(be)) {
  const f = be[k];
  if (typeof f !== 'function') continue;
  be[k] = (...a: unknown[]) => {
    if (!on) return f(...a);
    const t = performance.now();
    const r = f(...a);
    const key = k === 'gemm' ? `gemm ${a[3]}x${a[4]}x${a[5]}` : k;
    const e = acc.get(key) ?? { ms: 0, n: 0 };
    e.ms += performance.now() - t; e.n++; acc.set(key, e);
    return r;
  };
}
const rng = new Rng(1);
const cache = model.createCache(B, 16 + steps + 2);
const prompts = Array.from({ length: B }, () => Int32Array.from({ length: 16 }, () => rng.int(1000)));
let t = performance.now();
let logits = model.prefillRows!(cache, Array.from({ length: B }, (_, i) => i), prompts);
console.log(`prefill ${(performance.now() - t).toFixed(0)} ms`);
const ids = new Int32Array(B);
const params = { temperature: 1, topK: 0, topP: 1 };
const rngs = Array.from({ length: B }, () => rng.fork());
let tDecode = 0, tDraw = 0;
for (let s = 0; s < steps; s++) {
  t = performance.now();
  for (let b = 0; b < B; b++) ids[b] = drawToken(logits, b * cfg.vocab_size, cfg.vocab_size, params, rngs[b]).token;
  tDraw += performance.now() - t;
  on = true;
  t = performance.now();
  logits = model.decode(cache, ids);
  tDecode += performance.now() - t;
  on = false;
}
console.log(`per step: decode ${(tDecode / steps).toFixed(0)} ms, draw ${(tDraw / steps).toFixed(0)} ms (load ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
const rows = [...acc.entries()].sort((a, b) => b[1].ms - a[1].ms);
let tot = 0;
for (const [, v] of rows) tot += v.ms;
for (const [k, v] of rows) console.log(`${k.padEnd(28)} ${(v.ms / steps).toFixed(1).padStart(8)} ms/step  calls/step ${v.n / steps}`);
console.log(`kernels total ${(tot / steps).toFixed(0)} ms/step; JS overhead ${((tDecode - tot) / steps).toFixed(0)} ms/step`);
