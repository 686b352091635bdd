// Softmax and log-softmax over the last dimension, and the fused losses RL and SFT need:
// chosen-token log-probabilities (log-softmax + gather), cross-entropy and per-row entropy.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record, zeros } from '../tensor.js';
import { fail, fmt, lastDim } from './shape.js';

function softmaxLike(x: Tensor, log: boolean): Tensor {
  const cols = lastDim(log ? 'logSoftmax' : 'softmax', x);
  const rows = x.size / cols;
  const be = backend();
  const out = empty(x.shape);
  be.softmaxForward(x.data, out.data, rows, cols, log);
  return record(out, [x], (g) => {
    const dx = gradFor(x);
    if (dx) be.softmaxBackward(out.data, g, dx, rows, cols, log);
  });
}

export function softmax(x: Tensor): Tensor {
  return softmaxLike(x, false);
}

export function logSoftmax(x: Tensor): Tensor {
  return softmaxLike(x, true);
}

function checkTargets(op: string, logits: Tensor, targets: Int32Array, allowNegative: boolean): { rows: number; V: number } {
  const V = lastDim(op, logits);
  const rows = logits.size / V;
  if (targets.length !== rows) fail(op, `${targets.length} targets for logits ${fmt(logits.shape)} (${rows} rows)`);
  for (let i = 0; i < rows; i++) {
    const t = targets[i];
    if (t >= V || (t < 0 && !allowNegative)) fail(op, `target ${t} at row ${i} is outside the vocabulary [0, ${V})`);
  }
  return { rows, V };
}

/**
 * log softmax(logits)[target] for each row: logits [N, V] or [B, T, V] -> [N] or [B, T]. Fused
 * (no [rows, V] log-prob tensor is stored); negative targets give 0 and no gradient.
 */
export function gatherLogProbs(logits: Tensor, targets: Int32Array): Tensor {
  const { rows, V } = checkTargets('gatherLogProbs', logits, targets, true);
  const be = backend();
  const out = empty(logits.shape.slice(0, -1));
  const lse = new Float32Array(rows);
  be.gatherLogProbsForward(logits.data, targets, out.data, lse, rows, V);
  return record(out, [logits], (g) => {
    const dx = gradFor(logits);
    if (dx) be.gatherLogProbsBackward(logits.data, targets, lse, g, dx, rows, V);
  });
}

/** Entropy of softmax(logits) per row (no gradient): [..., V] -> [...]. */
export function entropy(logits: Tensor): Tensor {
  const V = lastDim('entropy', logits);
  const rows = logits.size / V;
  const out = empty(logits.shape.slice(0, -1));
  backend().entropy(logits.data, out.data, rows, V);
  return out;
}

/**
 * Mean negative log-likelihood of targets under softmax(logits), skipping rows whose target is
 * ignoreIndex (default -100, as PyTorch). A one-element tensor; 0 when every row is ignored.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: { ignoreIndex?: number } = {}): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const t = new Int32Array(targets.length);
  let count = 0;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] === ignore) t[i] = -1;
    else {
      if (targets[i] < 0) fail('crossEntropy', `target ${targets[i]} at row ${i} is negative (and not the ignore index ${ignore})`);
      t[i] = targets[i];
      count++;
    }
  }
  const { rows, V } = checkTargets('crossEntropy', logits, t, true);
  const be = backend();
  const logp = new Float32Array(rows);
  const lse = new Float32Array(rows);
  be.gatherLogProbsForward(logits.data, t, logp, lse, rows, V);
  const out = zeros([]);
  out.data[0] = count > 0 ? -be.sum(logp, rows, false) / count : 0;
  return record(out, [logits], (g) => {
    const dx = gradFor(logits);
    if (!dx || count === 0) return;
    const rowGrad = new Float32Array(rows).fill(-g[0] / count);
    be.gatherLogProbsBackward(logits.data, t, lse, rowGrad, dx, rows, V);
  });
}
