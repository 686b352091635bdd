// Fast random weights for benchmark models: the transformer's own normal init takes minutes for
// 0.5B parameters in JS, and throughput does not depend on the distribution.
import type { CausalLM } from '../../src/model/causal-lm.js';

/** Uniform random weights with standard deviation `std` for every matrix and bias (norm weights stay 1), by xorshift. */
export function fillRandom(model: CausalLM, std: number): void {
  let s = 0x9e3779b9;
  const a = std * Math.sqrt(3);
  for (const [name, p] of model.parameters()) {
    if (name.endsWith('norm.weight')) continue;
    const d = p.data;
    for (let i = 0; i < d.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      d[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * a;
    }
  }
}
