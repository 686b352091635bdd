// The units the language-model trainer works on: a tokenized example (ids plus a 0/1 loss mask
// per token) and a batch ready for `CausalLM.forward` (inputs, shifted targets with ignored
// positions marked). Shared by SFT, pretraining and the batching strategies.

/** Targets equal to this value carry no loss (padding, prompt tokens, masked tokens). */
export const IGNORE_INDEX = -100;

/** One training example: token ids and, per token, whether predicting it counts in the loss. */
export interface TokenExample {
  ids: Int32Array;
  /** mask[i] = 1 if token i is a target that counts (completion/assistant tokens), else 0. */
  mask: Uint8Array;
}

/**
 * A batch of `batch` rows of `seqLen` positions, row-major. Position t of a row predicts
 * targets[t] from inputs[0..t]; targets[t] === IGNORE_INDEX means no loss there.
 */
export interface LmBatch {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  seqLen: number;
  /** Number of targets that count (targets !== IGNORE_INDEX). */
  lossTokens: number;
  /** Number of input positions holding real tokens (not padding), for throughput figures. */
  tokens: number;
  /** Rows packed with several examples: each input's position within its example (CausalLM.forward). */
  positions?: Int32Array;
}

export function countLossTokens(targets: Int32Array): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== IGNORE_INDEX) n++;
  return n;
}

/** An example in which every token counts (pretraining). */
export function everyTokenCounts(ids: ArrayLike<number>): TokenExample {
  const arr = Int32Array.from(ids);
  return { ids: arr, mask: new Uint8Array(arr.length).fill(1) };
}
