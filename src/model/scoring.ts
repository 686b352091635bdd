// Scoring: per-token log-probabilities of given completions under a model, by full forward
// passes over prompt+completion (right-padded batches, no autograd tape). Used for the frozen
// reference model and for the old policy when GRPO makes several passes over one batch. Rows are
// grouped into chunks whose logits stay within a memory budget (a 150k vocabulary makes
// [batch, seq, vocab] large).
import { logSumExpRows, noGrad } from '../core/index.js';
import { AhaError } from '../util/errors.js';
import type { CausalLM } from './causal-lm.js';

export interface ScoreOptions {
  /** Upper bound on the logits held at once, in bytes (default 512 MiB). */
  maxLogitsBytes?: number;
  /** Upper bound on rows per forward pass (default 64). */
  batchSize?: number;
}

/**
 * log p(completions[i][j] | prompts[i], completions[i][<j]) for every completion token, one
 * Float32Array per row. Prompts must not be empty; an empty completion gives an empty array.
 */
export function scoreCompletions(
  model: CausalLM,
  prompts: readonly Int32Array[],
  completions: readonly Int32Array[],
  opts: ScoreOptions = {},
): Float32Array[] {
  if (prompts.length !== completions.length) {
    throw new AhaError(`scoreCompletions: ${prompts.length} prompts but ${completions.length} completions`);
  }
  const vocab = model.config.vocab_size;
  const ctx = model.config.max_position_embeddings;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new AhaError(`prompt ${i} is empty (it needs at least one token)`);
    if (p.length + completions[i].length > ctx) {
      throw new AhaError(`row ${i}: ${p.length + completions[i].length} tokens exceed the model's context of ${ctx}`);
    }
  });
  const budget = opts.maxLogitsBytes ?? 512 * 1024 * 1024;
  const maxRows = opts.batchSize ?? 64;
  // Sort by length so each chunk pads little; results go back in the caller's order.
  const order = prompts.map((_, i) => i).sort((a, b) => rowLen(a) - rowLen(b));
  function rowLen(i: number): number {
    return prompts[i].length + completions[i].length;
  }
  const out: Float32Array[] = new Array(prompts.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && end - start < maxRows && (end - start + 1) * rowLen(order[end]) * vocab * 4 <= budget) end++;
    scoreChunk(model, order.slice(start, end), prompts, completions, out, vocab);
    start = end;
  }
  return out;
}

function scoreChunk(
  model: CausalLM,
  rows: number[],
  prompts: readonly Int32Array[],
  completions: readonly Int32Array[],
  out: Float32Array[],
  vocab: number,
): void {
  const seqLen = rows.reduce((m, i) => Math.max(m, prompts[i].length + completions[i].length), 0);
  const ids = new Int32Array(rows.length * seqLen);
  rows.forEach((r, b) => {
    ids.set(prompts[r], b * seqLen);
    ids.set(completions[r], b * seqLen + prompts[r].length);
  });
  const logits = noGrad(() => model.forward(ids, rows.length, seqLen)).data;
  // The logits at position p+j-1 predict completion token j; every normaliser in one native call.
  const offsets: number[] = [];
  rows.forEach((r, b) => {
    for (let j = 0; j < completions[r].length; j++) offsets.push((b * seqLen + prompts[r].length + j - 1) * vocab);
  });
  const lse = logSumExpRows(logits, Int32Array.from(offsets), vocab);
  let k = 0;
  rows.forEach((r) => {
    const c = completions[r];
    const lp = new Float32Array(c.length);
    for (let j = 0; j < c.length; j++, k++) lp[j] = logits[offsets[k] + c[j]] - lse[k];
    out[r] = lp;
  });
}
