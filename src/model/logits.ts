// Turning one row of logits into a sampled token: the raw log-probability (log-softmax at
// temperature 1, what GRPO's ratios and KL need), greedy choice, and temperature / top-k / top-p
// sampling. Top-k and top-p sort only a candidate set that provably contains the kept tokens,
// so a 150k-token vocabulary costs a few passes, not a full sort per token.
import type { Rng } from '../util/rng.js';

/** log(sum(exp(logits))) over `logits[off .. off+n)`, computed stably. */
export function logSumExp(logits: Float32Array, off = 0, n = logits.length - off): number {
  let max = -Infinity;
  for (let i = off; i < off + n; i++) if (logits[i] > max) max = logits[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = off; i < off + n; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum);
}

/** Index of the largest logit (the lowest index among ties). */
export function argmax(logits: Float32Array, off = 0, n = logits.length - off): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[off + i];
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

export interface SamplingParams {
  /** 0 means greedy. */
  temperature: number;
  /** Keep the k most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches topP; 1 keeps all. */
  topP: number;
}

/** A drawn token and its log-probability under the raw (temperature 1) softmax. */
export interface Draw {
  token: number;
  logprob: number;
}

let scratch = new Float64Array(0);

/**
 * Draws a token from `logits[off .. off+vocab)` with temperature, then top-k, then top-p (the
 * order Hugging Face's generate applies them), using one uniform draw from `rng`, and reports
 * its raw log-probability. At temperature 1 one exp pass serves both.
 */
export function drawToken(logits: Float32Array, off: number, vocab: number, p: SamplingParams, rng: Rng): Draw {
  let max = -Infinity;
  for (let i = off; i < off + vocab; i++) if (logits[i] > max) max = logits[i];
  if (scratch.length < vocab) scratch = new Float64Array(vocab);
  const probs = scratch.subarray(0, vocab);
  let total1 = 0;
  for (let i = 0; i < vocab; i++) {
    const e = Math.exp(logits[off + i] - max);
    probs[i] = e;
    total1 += e;
  }
  const lse = max + Math.log(total1);
  let token: number;
  if (p.temperature === 0) token = argmax(logits, off, vocab);
  else {
    let total = total1;
    if (p.temperature !== 1) {
      const invT = 1 / p.temperature;
      total = 0;
      for (let i = 0; i < vocab; i++) {
        const e = Math.exp((logits[off + i] - max) * invT);
        probs[i] = e;
        total += e;
      }
    }
    token = chooseFromWeights(probs, total, p, rng.next());
  }
  return { token, logprob: logits[off + token] - lse };
}

/** The token drawn by `drawToken` (for callers that do not need the log-probability). */
export function sampleToken(logits: Float32Array, off: number, vocab: number, p: SamplingParams, rng: Rng): number {
  return drawToken(logits, off, vocab, p, rng).token;
}

/** Inverse-CDF choice over unnormalised weights, restricted by top-k and top-p. */
function chooseFromWeights(probs: Float64Array, total: number, p: SamplingParams, u: number): number {
  const vocab = probs.length;
  const k = p.topK > 0 && p.topK < vocab ? p.topK : vocab;
  if (k === vocab && p.topP >= 1) {
    let target = u * total;
    for (let i = 0; i < vocab; i++) {
      target -= probs[i];
      if (target < 0) return i;
    }
    return lastNonZero(probs);
  }
  const kept = keptTokens(probs, total, k, p.topP);
  let mass = 0;
  for (const i of kept) mass += probs[i];
  let target = u * mass;
  for (const i of kept) {
    target -= probs[i];
    if (target < 0) return i;
  }
  return kept[kept.length - 1];
}

function lastNonZero(probs: Float64Array): number {
  for (let i = probs.length - 1; i >= 0; i--) if (probs[i] > 0) return i;
  return 0;
}

/**
 * The tokens top-k and top-p keep, in id order. Candidates are the tokens at or above a
 * threshold, a prefix of the sorted order; the kept tokens are a prefix too, so they are all
 * candidates once the candidates hold k tokens (with top-k) or topP of the mass (top-p alone).
 * The threshold starts near the top and drops tenfold until that holds; only the candidates'
 * probabilities are sorted (a native numeric sort).
 */
function keptTokens(probs: Float64Array, total: number, k: number, topP: number): number[] {
  const vocab = probs.length;
  let maxP = 0;
  for (let i = 0; i < vocab; i++) if (probs[i] > maxP) maxP = probs[i];
  let threshold = maxP * 1e-3;
  const candIds = new Int32Array(vocab);
  const candP = new Float64Array(vocab);
  let count = 0;
  for (let round = 0; ; round++) {
    count = 0;
    let mass = 0;
    for (let i = 0; i < vocab; i++) {
      const pi = probs[i];
      if (pi >= threshold) {
        candIds[count] = i;
        candP[count++] = pi;
        mass += pi;
      }
    }
    const enough = k < vocab ? count >= k : mass >= topP * total;
    if (enough || threshold === 0) break;
    threshold = round < 30 ? threshold * 0.1 : 0;
  }
  const cands = candIds.subarray(0, count);
  const desc = candP.subarray(0, count).sort().reverse();
  let n = Math.min(k, desc.length);
  if (topP < 1) {
    // Nucleus within the top-k survivors, renormalised among them (Hugging Face's order).
    let keptMass = 0;
    for (let j = 0; j < n; j++) keptMass += desc[j];
    const limit = topP * (k < vocab ? keptMass : total);
    let cum = 0;
    let m = 0;
    while (m < n) {
      cum += desc[m];
      m += 1;
      if (cum >= limit) break;
    }
    n = m;
  }
  const cutoff = desc[n - 1];
  let ties = 0;
  for (let j = 0; j < n; j++) if (desc[j] === cutoff) ties += 1;
  const kept: number[] = [];
  for (const i of cands) {
    if (probs[i] > cutoff) kept.push(i);
    else if (probs[i] === cutoff && ties > 0) {
      kept.push(i);
      ties -= 1;
    }
  }
  return kept;
}
