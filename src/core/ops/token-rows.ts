// Trainable token rows: chosen rows of an embedding matrix replaced by trained values, without a
// trainable copy of the whole (vocab-sized) matrix. Two ops, both writing INTO a fresh op output's
// buffer (as loraAddInPlace does): the input side replaces the embedded rows of the chosen ids,
// the output side (a tied lm_head) turns the chosen ids' logit columns into h · row. The trained
// rows get exactly the gradient of their uses. The number of chosen rows is small (a few
// added tokens), so the products are plain loops with double sums.
import { backend } from '../backend.js';
import { Tensor, gradFor, record } from '../tensor.js';
import { fail, fmt } from './shape.js';

function checkRows(op: string, rows: Tensor, dim: number): number {
  if (rows.ndim !== 2 || rows.shape[1] !== dim) fail(op, `rows ${fmt(rows.shape)} are not [n, ${dim}]`);
  return rows.shape[0];
}

/**
 * x [..., dim] (a fresh embedding output nothing else reads) with each row i whose slots[i] >= 0
 * replaced by rows[slots[i]], in x's buffer. Gradients flow to rows and to x's other rows.
 */
export function replaceRowsInPlace(x: Tensor, slots: Int32Array, rows: Tensor): Tensor {
  const op = 'replaceRowsInPlace';
  const dim = x.shape[x.ndim - 1];
  const n = checkRows(op, rows, dim);
  const M = x.size / dim;
  if (slots.length !== M) fail(op, `${slots.length} slots for ${M} rows of x ${fmt(x.shape)}`);
  for (let i = 0; i < M; i++) {
    const s = slots[i];
    if (s < 0) continue;
    if (s >= n) fail(op, `slot ${s} is outside the ${n} rows`);
    x.data.set(rows.data.subarray(s * dim, (s + 1) * dim), i * dim);
  }
  const out = new Tensor(x.data, x.shape);
  return record(out, [x, rows], (g) => {
    const dr = gradFor(rows);
    for (let i = 0; i < M; i++) {
      const s = slots[i];
      if (s < 0) continue;
      if (dr) for (let k = 0; k < dim; k++) dr[s * dim + k] += g[i * dim + k];
      // A replaced row does not depend on x's row.
      g.fill(0, i * dim, (i + 1) * dim);
    }
    passOn(g, x);
  });
}

/**
 * Adds g into x's gradient. g is an op output's own gradient, released once its backward returns
 * (the tape frees non-leaf gradients), so when x has none yet it takes g's buffer instead of a
 * copy: for the logits that saves a second vocabulary-sized buffer.
 */
function passOn(g: Float32Array, x: Tensor): void {
  if (!x.requiresGrad) return;
  if (x.grad === null) x.grad = g;
  else backend().axpy(1, g, x.grad, g.length);
}

/**
 * logits [..., vocab] = h Wᵀ (a fresh lm_head output nothing else reads), computed with W's rows
 * `ids` equal to `base` [n, dim], turned into h W'ᵀ where W' has those rows replaced by `rows`:
 * column ids[j] gains h · (rows[j] - base[j]), in the logits' buffer. Adding the difference
 * (rather than writing h · rows[j]) keeps the logits bit for bit those of W while rows equal base.
 * Gradients flow to rows, h and the logits (whose own backward supplies h's part through base).
 */
export function replaceColumnsInPlace(logits: Tensor, h: Tensor, ids: Int32Array, rows: Tensor, base: Float32Array): Tensor {
  const op = 'replaceColumnsInPlace';
  const V = logits.shape[logits.ndim - 1], dim = h.shape[h.ndim - 1];
  const n = checkRows(op, rows, dim);
  const M = h.size / dim;
  if (logits.size / V !== M) fail(op, `logits ${fmt(logits.shape)} and h ${fmt(h.shape)} do not have the same rows`);
  if (ids.length !== n) fail(op, `${ids.length} ids for ${n} rows`);
  if (base.length !== n * dim) fail(op, `base has ${base.length} values for ${n} rows of ${dim}`);
  for (const id of ids) if (!(id >= 0 && id < V)) fail(op, `id ${id} is outside the vocabulary [0, ${V})`);
  const L = logits.data, H = h.data;
  const D = new Float32Array(n * dim);
  for (let i = 0; i < D.length; i++) D[i] = rows.data[i] - base[i];
  for (let m = 0; m < M; m++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += H[m * dim + k] * D[j * dim + k];
      L[m * V + ids[j]] += s;
    }
  }
  const out = new Tensor(L, logits.shape);
  return record(out, [logits, h, rows], (g) => {
    const dh = gradFor(h), dr = gradFor(rows);
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < n; j++) {
        const gj = g[m * V + ids[j]];
        if (gj === 0) continue;
        if (dh) for (let k = 0; k < dim; k++) dh[m * dim + k] += gj * D[j * dim + k];
        if (dr) for (let k = 0; k < dim; k++) dr[j * dim + k] += gj * H[m * dim + k];
      }
    }
    passOn(g, logits);
  });
}
