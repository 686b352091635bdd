// Packs (prompt, completion) pairs into one right-padded forward batch, with the completion mask
// and token counts. The logits at position p predict token p+1, so completion token j of row b
// (at full position P_b + j) is scored at position P_b − 1 + j: the loss, mask and log-prob arrays
// all live in this [B, S] "prediction" layout and need no gather into a separate completion tensor.

export interface RolloutRow {
  promptIds: Int32Array;
  /** Completion ids, including the EOS token when it ended with one. */
  completionIds: Int32Array;
  /** True when the completion hit max_completion_length without EOS. */
  truncated: boolean;
  /** The sampler's log-prob of each completion token (ℓsmp), when it reported them. */
  samplerLogprobs?: Float32Array;
  /**
   * Multi-turn rollouts (rl/tools): 1 for each model-written completion token, 0 for a token a
   * tool wrote. Tool tokens stay in the context but leave the loss, the KL, the entropy and the
   * token counts. Absent: every completion token is the model's.
   */
  modelMask?: Uint8Array;
}

export interface PackedBatch {
  B: number;
  /** Positions fed to the model (the last token of the longest row needs no logits). */
  S: number;
  /** Input ids [B, S], right-padded with padId. */
  ids: Int32Array;
  /** Next-token targets [B, S] (padId where there is none). */
  targets: Int32Array;
  /** Position predicting each row's first completion token (P_b − 1). */
  offsets: number[];
  /** Completion tokens per row. */
  lengths: number[];
  truncated: boolean[];
  /** Real (non-padding) input positions, for tokens-per-second figures. */
  tokens: number;
  /** Each row's modelMask (null for a row without one). */
  modelMasks: (Uint8Array | null)[];
}

export function packRows(rows: readonly RolloutRow[], padId: number): PackedBatch {
  const B = rows.length;
  if (B === 0) throw new RangeError('packRows: no rows');
  let S = 1;
  for (const r of rows) {
    if (r.promptIds.length === 0) throw new RangeError('packRows: a prompt has no tokens (the model needs at least one to predict from)');
    S = Math.max(S, r.promptIds.length + r.completionIds.length - 1);
  }
  const ids = new Int32Array(B * S).fill(padId);
  const targets = new Int32Array(B * S).fill(padId);
  rows.forEach((r, b) => {
    const full = new Int32Array(r.promptIds.length + r.completionIds.length);
    full.set(r.promptIds, 0);
    full.set(r.completionIds, r.promptIds.length);
    const n = Math.min(full.length, S);
    ids.set(full.subarray(0, n), b * S);
    targets.set(full.subarray(1, Math.min(full.length, S + 1)), b * S);
  });
  return {
    B,
    S,
    ids,
    targets,
    offsets: rows.map((r) => r.promptIds.length - 1),
    lengths: rows.map((r) => r.completionIds.length),
    truncated: rows.map((r) => r.truncated),
    tokens: rows.reduce((n, r) => n + Math.min(r.promptIds.length + r.completionIds.length, S), 0),
    modelMasks: rows.map((r) => {
      if (r.modelMask && r.modelMask.length !== r.completionIds.length) throw new RangeError(`packRows: a modelMask of ${r.modelMask.length} for ${r.completionIds.length} completion tokens`);
      return r.modelMask ?? null;
    }),
  };
}

/**
 * The completion mask [B, T]: 1 for the `lengths[i]` positions from `offsets[i]` (default 0) on;
 * a length counts the EOS token when the completion ended with one. With maskTruncated (DAPO), a
 * completion that hit the length limit without EOS is masked out entirely.
 */
export function completionMask(lengths: readonly number[], truncated: readonly boolean[], T: number, maskTruncated: boolean, offsets?: readonly number[]): Uint8Array {
  const B = lengths.length;
  const mask = new Uint8Array(B * T);
  for (let i = 0; i < B; i++) {
    if (maskTruncated && truncated[i]) continue;
    const start = Math.min(offsets ? offsets[i] : 0, T);
    const end = Math.min(start + lengths[i], T);
    mask.fill(1, i * T + start, i * T + end);
  }
  return mask;
}

/** Unmasked tokens of a mask. */
export function countTokens(mask: Uint8Array): number {
  let n = 0;
  for (let k = 0; k < mask.length; k++) n += mask[k];
  return n;
}

/** The mask of a packed batch's completion tokens ([B, S]; truncated rows masked out when asked). */
export function batchMask(batch: PackedBatch, maskTruncated: boolean): Uint8Array {
  const mask = completionMask(batch.lengths, batch.truncated, batch.S, maskTruncated, batch.offsets);
  batch.modelMasks.forEach((m, b) => {
    if (!m) return;
    const start = b * batch.S + batch.offsets[b];
    for (let j = 0; j < m.length && batch.offsets[b] + j < batch.S; j++) if (!m[j]) mask[start + j] = 0;
  });
  return mask;
}

/** Each row's tokens in the loss: its model-written completion tokens, 0 for a truncated row when those are masked. */
export function lossTokens(rows: readonly RolloutRow[], maskTruncated: boolean): number[] {
  return rows.map((r) => (maskTruncated && r.truncated ? 0 : r.modelMask ? r.modelMask.reduce((n, m) => n + m, 0) : r.completionIds.length));
}

/** The rows' sampler log-probs in a packed batch's [B, S] layout, or null when a row has none. */
export function packSamplerLogprobs(rows: readonly RolloutRow[], batch: PackedBatch): Float32Array | null {
  const out = new Float32Array(batch.B * batch.S);
  for (let b = 0; b < rows.length; b++) {
    const lp = rows[b].samplerLogprobs;
    if (!lp || lp.length !== rows[b].completionIds.length) return null;
    const start = b * batch.S + batch.offsets[b];
    out.set(lp.subarray(0, Math.max(0, Math.min(lp.length, batch.S - batch.offsets[b]))), start);
  }
  return out;
}
