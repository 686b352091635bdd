// Turning one row of logits into a sampled token: the raw log-probability (log-softmax at
// temperature 1, what GRPO's ratios and KL need), greedy choice, and repetition penalty /
// temperature / top-k / top-p / min-p sampling. Plain softmax and greedy draws (no filter, no
// penalty) run in the native kernel (core's drawRows), many rows per call; the filters here.
// Top-k and top-p sort only a candidate set that provably contains the kept tokens, so a
// 150k-token vocabulary costs a few passes, not a full sort per token.
import { drawRows } from '../core/index.js';
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
  /** Drop tokens less likely than minP times the most likely one (after top-k/top-p); 0 keeps all. */
  minP?: number;
  /**
   * CTRL's repetition penalty (Keskar et al. 2019, as Hugging Face applies it): a token already in
   * the row (prompt or completion) has its logit divided by this when positive, multiplied when
   * negative. 1 = off. Only the choice sees it: the reported log-probability stays the raw one.
   */
  repetitionPenalty?: number;
}

/** Options of `drawToken` that are not plain numbers. */
export interface DrawContext {
  /** Tokens the repetition penalty applies to (the row's prompt and completion so far). */
  seen?: ReadonlySet<number>;
}

/** A drawn token and its log-probability under the raw (temperature 1) softmax. */
export interface Draw {
  token: number;
  logprob: number;
}

/**
 * True when a row's draw is a plain softmax (or greedy) choice over the whole vocabulary, which
 * the native kernel makes: no repetition penalty in effect, no top-k, top-p or min-p.
 */
function plainDraw(vocab: number, p: SamplingParams, ctx: DrawContext): boolean {
  const penalised = (p.repetitionPenalty ?? 1) !== 1 && ctx.seen !== undefined && ctx.seen.size > 0;
  return !penalised && !(p.topK > 0 && p.topK < vocab) && p.topP >= 1 && !((p.minP ?? 0) > 0);
}

/**
 * `drawToken` for several rows at once (row r at logits[offsets[r] ..], its own `rngs[r]` and
 * `ctxs[r]`): the plain rows go to the native kernel in one call (rows in parallel), the others
 * through `drawToken`. Each row's draw is the one `drawToken` would make with its stream.
 */
export function drawTokens(logits: Float32Array, offsets: readonly number[], vocab: number, p: SamplingParams, rngs: readonly Rng[],
  ctxs?: readonly DrawContext[]): Draw[] {
  const out: Draw[] = new Array(offsets.length);
  const plain: number[] = [];
  offsets.forEach((off, r) => {
    if (plainDraw(vocab, p, ctxs?.[r] ?? {})) plain.push(r);
    else out[r] = slowDraw(logits, off, vocab, p, rngs[r], ctxs?.[r] ?? {});
  });
  if (plain.length > 0) {
    // The uniform is drawn only when a draw needs one (not at temperature 0), as drawToken does.
    const u = Float64Array.from(plain, (r) => (p.temperature === 0 ? 0 : rngs[r].next()));
    const d = drawRows(logits, Int32Array.from(plain, (r) => offsets[r]), vocab, p.temperature, u);
    plain.forEach((r, j) => (out[r] = { token: d.tokens[j], logprob: d.logprobs[j] }));
  }
  return out;
}

let scratch = new Float64Array(0);

/**
 * Draws a token from `logits[off .. off+vocab)`: repetition penalty, then temperature, top-k,
 * top-p and min-p (the order Hugging Face's generate applies them), using one uniform draw from
 * `rng`, and reports its raw log-probability. At temperature 1 without a penalty one exp pass
 * serves both.
 */
export function drawToken(logits: Float32Array, off: number, vocab: number, p: SamplingParams, rng: Rng, ctx: DrawContext = {}): Draw {
  return drawTokens(logits, [off], vocab, p, [rng], [ctx])[0];
}

/** drawToken in TypeScript, for the penalty and top-k / top-p / min-p filters. */
function slowDraw(logits: Float32Array, off: number, vocab: number, p: SamplingParams, rng: Rng, ctx: DrawContext): Draw {
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
  const penalty = p.repetitionPenalty ?? 1;
  const penalised = penalty !== 1 && ctx.seen !== undefined && ctx.seen.size > 0 ? penaltyView(logits, off, vocab, penalty, ctx.seen) : null;
  let token: number;
  if (p.temperature === 0) token = penalised ? argmax(penalised.logits, 0, vocab) : argmax(logits, off, vocab);
  else {
    let total = total1;
    if (p.temperature !== 1 || penalised) {
      const src = penalised ? penalised.logits : logits;
      const base = penalised ? 0 : off;
      const top = penalised ? penalised.max : max;
      const invT = 1 / p.temperature;
      total = 0;
      for (let i = 0; i < vocab; i++) {
        const e = Math.exp((src[base + i] - top) * invT);
        probs[i] = e;
        total += e;
      }
    }
    token = chooseFromWeights(probs, total, p, rng.next());
  }
  return { token, logprob: logits[off + token] - lse };
}

let penaltyScratch = new Float32Array(0);

/** A copy of one row of logits with the repetition penalty applied to the `seen` tokens, and its max. */
function penaltyView(logits: Float32Array, off: number, vocab: number, penalty: number, seen: ReadonlySet<number>): { logits: Float32Array; max: number } {
  if (penaltyScratch.length < vocab) penaltyScratch = new Float32Array(vocab);
  const out = penaltyScratch.subarray(0, vocab);
  out.set(logits.subarray(off, off + vocab));
  for (const t of seen) {
    if (t < 0 || t >= vocab) continue;
    out[t] = out[t] > 0 ? out[t] / penalty : out[t] * penalty;
  }
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (out[i] > max) max = out[i];
  return { logits: out, max };
}

/** The token drawn by `drawToken` (for callers that do not need the log-probability). */
export function sampleToken(logits: Float32Array, off: number, vocab: number, p: SamplingParams, rng: Rng): number {
  return drawToken(logits, off, vocab, p, rng).token;
}

/** Inverse-CDF choice over unnormalised weights, restricted by top-k, top-p and min-p. */
function chooseFromWeights(probs: Float64Array, total: number, p: SamplingParams, u: number): number {
  const vocab = probs.length;
  const k = p.topK > 0 && p.topK < vocab ? p.topK : vocab;
  const minP = p.minP ?? 0;
  if (k === vocab && p.topP >= 1 && minP <= 0) {
    let target = u * total;
    for (let i = 0; i < vocab; i++) {
      target -= probs[i];
      if (target < 0) return i;
    }
    return lastNonZero(probs);
  }
  const kept = keptTokens(probs, total, k, p.topP, minP);
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
 * The tokens top-k, top-p and min-p keep, in id order. Min-p keeps the survivors at least minP
 * times as likely as the most likely token (which top-k and top-p always keep). Candidates are
 * the tokens at or above a threshold, a prefix of the sorted order; the kept tokens are a prefix
 * too, so they are all candidates once the candidates hold k tokens (with top-k), topP of the
 * mass (top-p alone) or every token above the min-p floor.
 * The threshold starts near the top and drops tenfold until that holds; only the candidates'
 * probabilities are sorted (a native numeric sort).
 */
function keptTokens(probs: Float64Array, total: number, k: number, topP: number, minP: number): number[] {
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
    // Min-p alone bounds the kept set once every token above its floor is a candidate; not when
    // top-p renormalises within top-k, which needs all k survivors' mass.
    const minPHolds = minP > 0 && threshold <= minP * maxP && !(k < vocab && topP < 1);
    const enough = (k < vocab ? count >= k : mass >= topP * total) || minPHolds;
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
  if (minP > 0) {
    const floor = minP * desc[0];
    while (n > 1 && desc[n - 1] < floor) n -= 1;
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
