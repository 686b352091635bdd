// Reward-model losses on the autograd tape, both as a two-class cross-entropy over [0, x]
// (softmax of [0, x] puts σ(x) on class 1):
//   Bradley-Terry  −log σ(r_c − r_r)            x = r_c − r_r, class 1
//   binary CE      −y log σ(s) − (1−y) log(1−σ(s))   x = s, class y
// The scores are read at chosen positions of the padded batch through a constant selection
// matrix (one row per score: +1 at the chosen position, −1 at the rejected one for a pair), so
// the head sees Sel·H and only the positions that count get gradient.
import { crossEntropy, linear, matmul, reshape, tensor, type Tensor } from '../core/index.js';
import type { ScalarRewardModel } from '../model/reward-model.js';

/** A padded batch: rows of `seqLen` ids and the scored positions (flat index row*seqLen + t). */
export interface ScoreBatch {
  ids: Int32Array;
  batch: number;
  seqLen: number;
  /** Each target: positions with signs (a pair: [chosen, +1], [rejected, −1]; a label: [pos, +1]). */
  terms: { at: number; sign: number }[][];
  /** Class per target: 1 for pairs, the 0/1 label for BCE. */
  classes: Int32Array;
}

/** [2, hidden]: a zero row, then the head, so linear(h, ·) gives [0, w·h]. */
function twoClassHead(head: Tensor): Tensor {
  return matmul(tensor(Float32Array.of(0, 1), [2, 1]), head);
}

/** Mean loss of a batch (Bradley-Terry for pairs, binary CE for labels) on the tape. */
export function rewardLoss(rm: ScalarRewardModel, b: ScoreBatch): Tensor {
  const H = rm.config.hidden_size;
  const N = b.batch * b.seqLen;
  const hidden = reshape(rm.hiddenStates(b.ids, b.batch, b.seqLen), [N, H]);
  const sel = new Float32Array(b.terms.length * N);
  b.terms.forEach((row, k) => {
    for (const { at, sign } of row) sel[k * N + at] += sign;
  });
  const picked = matmul(tensor(sel, [b.terms.length, N]), hidden);
  return crossEntropy(linear(picked, twoClassHead(rm.head)), b.classes);
}

/** Right-pads `seqs` with `pad` into one batch; returns the flat offset of each row's start. */
export function padBatch(seqs: readonly Int32Array[], pad: number): { ids: Int32Array; batch: number; seqLen: number; start: (row: number) => number } {
  const seqLen = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const ids = new Int32Array(seqs.length * seqLen).fill(pad);
  seqs.forEach((s, i) => ids.set(s, i * seqLen));
  return { ids, batch: seqs.length, seqLen, start: (row) => row * seqLen };
}
