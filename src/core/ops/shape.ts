// Shape checks shared by the ops: each throws an AhaError that names the op and the shapes.
import { AhaError } from '../../util/errors.js';
import type { Tensor } from '../tensor.js';

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function fail(op: string, problem: string): never {
  throw new AhaError(`${op}: ${problem}`);
}

/** Every token id must index a row of a [V, ...] table (embedding lookups). */
export function checkIds(op: string, ids: Int32Array, V: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] >= 0 && ids[i] < V)) fail(op, `token id ${ids[i]} at position ${i} is outside the vocabulary [0, ${V})`);
  }
}

export function lastDim(op: string, t: Tensor): number {
  if (t.ndim < 1) fail(op, `needs at least one dimension, got ${fmt(t.shape)}`);
  return t.shape[t.ndim - 1];
}

export function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) fail(op, `shapes differ: ${fmt(a.shape)} vs ${fmt(b.shape)}`);
}

/** b's shape must equal a trailing part of a's shape (b repeats over a's leading dims). */
export function suffixOf(op: string, a: Tensor, b: Tensor): void {
  const off = a.ndim - b.ndim;
  if (off < 0 || b.shape.some((d, i) => d !== a.shape[off + i])) {
    fail(op, `cannot broadcast ${fmt(b.shape)} against ${fmt(a.shape)} (the second operand must match the trailing dimensions of the first)`);
  }
}
