// A decode step of the opt-in BF16 sampling path run by each BF16 kernel the machine has (AMX
// tiles, vdpbf16ps, portable; AMX skipped with the reason printed where absent) against the f32
// path: 20 rows (past one AMX row tile and above the AMX threshold) through prefill and three
// decode steps. Each is within BF16's error of f32 in log-probability. The kernels take the same
// BF16 operands and differ only in the order of their f32 sums (~1e-6 relative per product, see
// test/core/bf16-kernels.test.ts), but the next layer rounds its input to BF16 again, so such a
// difference can move an activation across a rounding boundary (one BF16 step, 0.4%): across a
// whole model they agree to a fraction of the BF16 error, not to f32 precision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16Kernels, logSumExpRows, setBf16Kernel, type Bf16Kernel } from '../../src/core/index.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { Transformer } from '../../src/model/transformer.js';
import { Rng } from '../../src/util/rng.js';

const config: ModelConfig = {
  model_type: 'qwen2', vocab_size: 83, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6,
  rope_theta: 10000, tie_word_embeddings: true,
};

/** Log-probabilities [steps][rows * V] of prefill then decode of the given tokens. */
function logProbs(m: Transformer, prompts: Int32Array[], next: Int32Array[]): Float64Array[] {
  const V = config.vocab_size, B = prompts.length;
  const cache = m.createCache(B, 16);
  let logits = m.prefillRows(cache, prompts.map((_, i) => i), prompts);
  const out: Float64Array[] = [];
  for (let s = 0; ; s++) {
    const lse = logSumExpRows(logits, Int32Array.from(prompts, (_, b) => b * V), V);
    out.push(Float64Array.from({ length: B * V }, (_, i) => logits[i] - lse[Math.floor(i / V)]));
    if (s === next.length) return out;
    logits = m.decode(cache, next[s]);
  }
}

test('each BF16 kernel decodes within BF16 error of f32 and agrees with the other kernels', () => {
  const k = bf16Kernels();
  const kernels: Bf16Kernel[] = ['portable'];
  if (k.avx512Bf16) kernels.push('avx512_bf16');
  if (k.amx) kernels.push('amx');
  else console.log(`AMX decode skipped: ${k.amxUnavailable}`);
  const m = new Transformer(config, { seed: 9, initStd: 0.1 });
  const rng = new Rng(4);
  const B = 20;
  const prompts = Array.from({ length: B }, (_, b) => Int32Array.from({ length: 3 + (b % 5) }, () => rng.int(config.vocab_size)));
  const next = Array.from({ length: 3 }, () => Int32Array.from({ length: B }, () => rng.int(config.vocab_size)));
  const f32 = logProbs(m, prompts, next);
  m.sampleInBf16 = true;
  const results = kernels.map((kernel) => {
    setBf16Kernel(kernel);
    try {
      return logProbs(m, prompts, next);
    } finally {
      setBf16Kernel('auto');
    }
  });
  m.sampleInBf16 = false;
  const maxDiff = (a: Float64Array[], b: Float64Array[]) => Math.max(...a.map((x, s) => x.reduce((w, v, i) => Math.max(w, Math.abs(v - b[s][i])), 0)));
  results.forEach((r, i) => {
    const vsF32 = maxDiff(r, f32);
    // BF16 operands (8 mantissa bits) move a log-prob by ~1% of the logits' spread here; f32 sums do not.
    assert.ok(vsF32 > 1e-5 && vsF32 < 0.05, `${kernels[i]} vs f32: max |d log p| ${vsF32}`);
    console.log(`${kernels[i]}: max |d log p| vs f32 ${vsF32.toExponential(2)}`);
    const vsPortable = maxDiff(r, results[0]);
    assert.ok(vsPortable < 0.5 * vsF32, `${kernels[i]} vs portable: ${vsPortable} (vs f32 ${vsF32})`);
  });
});
