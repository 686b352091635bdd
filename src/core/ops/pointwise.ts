// Elementwise ops (add, mul with a broadcast trailing operand, scale), reductions (sum, mean),
// activations (SiLU, GELU, SwiGLU) and reshape.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record, sizeOf, zeros } from '../tensor.js';
import { fail, fmt, sameShape, suffixOf } from './shape.js';

/**
 * Adds g (an op output's gradient, same size as t) into t's gradient. An intermediate tensor
 * (one with a tape node) that has no gradient yet takes g over instead of a zeroed copy plus a
 * sum: the tape drops the output's gradient right after its op's backward, so nothing else
 * writes g (`mayTake` is false when another input already took it). Saves one allocation and
 * one pass per residual add and reshape. Returns whether t took g.
 */
function addGrad(t: Tensor, g: Float32Array, mayTake: boolean): boolean {
  if (!t.requiresGrad) return false;
  if (mayTake && t.grad === null && t.node !== null) {
    t.grad = g;
    return true;
  }
  backend().axpy(1, g, t.ensureGrad(), t.size);
  return false;
}

function binary(op: 0 | 1, name: string, a: Tensor, b: Tensor): Tensor {
  suffixOf(name, a, b);
  const out = b.size === 0 ? zeros(a.shape) : empty(a.shape);
  const be = backend();
  if (b.size === 0) return out;
  be.binary(op, a.data, b.data, out.data, a.size, b.size);
  return record(out, [a, b], (g) => {
    if (op === 0) {
      // At most one input takes g over; the other (or a bias, summed over rows) only reads it,
      // before any later op's backward can write into it.
      const taken = addGrad(a, g, true);
      if (b.requiresGrad) {
        if (b.size === a.size) addGrad(b, g, !taken);
        else be.sumRows(g, b.ensureGrad(), a.size / b.size, b.size);
      }
    } else {
      be.mulBackward(a.data, b.data, g, gradFor(a), gradFor(b), a.size, b.size);
    }
  });
}

/** a + b, where b has a's shape or a trailing part of it (e.g. a bias). */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary(0, 'add', a, b);
}

/** a * b elementwise, where b has a's shape or a trailing part of it. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary(1, 'mul', a, b);
}

/** alpha * a. */
export function scale(a: Tensor, alpha: number): Tensor {
  const out = empty(a.shape);
  const be = backend();
  be.scale(alpha, a.data, out.data, a.size);
  return record(out, [a], (g) => {
    const da = gradFor(a);
    if (da) be.axpy(alpha, g, da, a.size);
  });
}

/** Sum of all elements, as a one-element tensor (accumulated in float64). */
export function sum(a: Tensor): Tensor {
  const be = backend();
  const out = zeros([]);
  out.data[0] = be.sum(a.data, a.size, false);
  return record(out, [a], (g) => {
    const da = gradFor(a);
    if (da) {
      const ones = new Float32Array(a.size).fill(g[0]);
      be.axpy(1, ones, da, a.size);
    }
  });
}

/** Mean of all elements, as a one-element tensor. */
export function mean(a: Tensor): Tensor {
  if (a.size === 0) fail('mean', 'of an empty tensor');
  return scale(sum(a), 1 / a.size);
}

function unary(op: 0 | 1, x: Tensor): Tensor {
  const be = backend();
  const out = empty(x.shape);
  be.unaryForward(op, x.data, out.data, x.size);
  return record(out, [x], (g) => {
    const dx = gradFor(x);
    if (dx) be.unaryBackward(op, x.data, g, dx, x.size);
  });
}

/** x * sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return unary(0, x);
}

/** GELU, tanh approximation (GPT-2's "gelu_new"). */
export function gelu(x: Tensor): Tensor {
  return unary(1, x);
}

/** silu(gate) * up: the SwiGLU MLP's gating, fused. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  sameShape('swiglu', gate, up);
  const be = backend();
  const out = empty(gate.shape);
  be.swigluForward(gate.data, up.data, out.data, gate.size);
  return record(out, [gate, up], (g) => {
    be.swigluBackward(gate.data, up.data, g, gradFor(gate), gradFor(up), gate.size);
  });
}

/** Same data, new shape (sizes must match); the gradient flows back unchanged. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) !== x.size) fail('reshape', `cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
  const out = new Tensor(x.data, shape);
  return record(out, [x], (g) => {
    addGrad(x, g, true);
  });
}
