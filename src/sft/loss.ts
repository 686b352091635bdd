// The language-modelling loss: mean cross-entropy over the targets that count (mask 1), and the
// held-out evaluation of it. Masked targets (IGNORE_INDEX) contribute neither loss nor gradient.
import { crossEntropy, noGrad, type Tensor } from '../core/index.js';
import type { CausalLM } from '../model/causal-lm.js';
import { IGNORE_INDEX, type LmBatch } from './examples.js';
import { padRows } from './batching.js';
import type { TokenExample } from './examples.js';

/** Mean cross-entropy over the batch's counted targets, on the autograd tape. */
export function batchLoss(model: CausalLM, batch: LmBatch): Tensor {
  const logits = model.forward(batch.inputs, batch.batch, batch.seqLen, batch.positions);
  return crossEntropy(logits, batch.targets, { ignoreIndex: IGNORE_INDEX });
}

/**
 * Mean cross-entropy per counted token over `examples` (no gradient). Examples are evaluated in
 * length order so rows of a batch need little padding; the result does not depend on batching.
 */
export function evaluateLoss(model: CausalLM, examples: readonly TokenExample[], batchSize: number, seqLen: number, padId: number): number {
  const order = examples.map((_, i) => i).sort((a, b) => examples[a].ids.length - examples[b].ids.length || a - b);
  let sum = 0;
  let count = 0;
  noGrad(() => {
    for (let s = 0; s < order.length; s += batchSize) {
      const batch = padRows(order.slice(s, s + batchSize).map((i) => examples[i]), seqLen, padId);
      if (batch.lossTokens === 0) continue;
      sum += batchLoss(model, batch).data[0] * batch.lossTokens;
      count += batch.lossTokens;
    }
  });
  return count > 0 ? sum / count : NaN;
}
