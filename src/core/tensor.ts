// The Tensor type (contiguous row-major Float32Array with shape and strides) and the autograd
// tape. Each op that runs with grad enabled and a grad-requiring input attaches a node (its
// inputs and a backward closure) to its output; `backward()` walks those nodes in reverse
// topological order, then drops them and the intermediate gradients so memory is released as
// soon as the step is done (only leaf tensors, i.e. parameters, keep `.grad`).
import { AhaError } from '../util/errors.js';

interface TapeNode {
  inputs: Tensor[];
  /** Adds this op's contribution to its inputs' gradients, given the output gradient. */
  backward: (grad: Float32Array) => void;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with the tape off (inference): ops record nothing and outputs never require grad. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new AhaError(`invalid tensor shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly data: Float32Array;
  grad: Float32Array | null = null;
  requiresGrad: boolean;
  /** @internal The op that produced this tensor (null for leaves and outside the tape). */
  node: TapeNode | null = null;

  constructor(data: Float32Array, shape: readonly number[], requiresGrad = false) {
    const n = sizeOf(shape);
    if (data.length !== n) throw new AhaError(`tensor data has ${data.length} values but shape [${shape.join(', ')}] needs ${n}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(stridesOf(shape));
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new AhaError(`item() needs a one-element tensor, shape is [${this.shape.join(', ')}]`);
    return this.data[0];
  }

  /** A tensor sharing this one's data, off the tape. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** This tensor's gradient buffer, allocated (zeros) on first use. */
  ensureGrad(): Float32Array {
    if (this.grad === null) this.grad = new Float32Array(this.size);
    return this.grad;
  }

  zeroGrad(): void {
    if (this.grad !== null) this.grad.fill(0);
  }

  /**
   * Back-propagates from this tensor. `seed` is dLoss/dThis (default 1 for a one-element tensor).
   * Leaf tensors that require grad accumulate into `.grad`; the tape behind this tensor is freed.
   */
  backward(seed?: Float32Array): void {
    if (!this.requiresGrad) throw new AhaError('backward() on a tensor that does not require grad (was it computed under noGrad, or from constants only?)');
    if (seed === undefined) {
      if (this.size !== 1) throw new AhaError(`backward() without a seed needs a one-element tensor, shape is [${this.shape.join(', ')}]`);
      seed = new Float32Array([1]);
    } else if (seed.length !== this.size) {
      throw new AhaError(`backward() seed has ${seed.length} values, tensor has ${this.size}`);
    }
    const order = topoOrder(this);
    const g = this.ensureGrad();
    for (let i = 0; i < g.length; i++) g[i] += seed[i];
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node;
      if (node === null) continue;
      if (t.grad !== null) node.backward(t.grad);
      // Release the tape: this node's saved tensors and its (non-leaf) gradient.
      t.node = null;
      t.grad = null;
    }
  }
}

/** Tensors reachable from root through tape nodes, inputs before outputs. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<{ t: Tensor; i: number }> = [{ t: root, i: 0 }];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top.t.node?.inputs ?? [];
    if (top.i < inputs.length) {
      const next = inputs[top.i++];
      if (!seen.has(next) && next.requiresGrad) {
        seen.add(next);
        stack.push({ t: next, i: 0 });
      }
    } else {
      order.push(top.t);
      stack.pop();
    }
  }
  return order;
}

/**
 * Attaches a tape node to `out` when grad is enabled and some input requires grad; `backward`
 * receives out's gradient. Returns out.
 */
export function record(out: Tensor, inputs: Tensor[], backward: (grad: Float32Array) => void): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { inputs, backward };
  }
  return out;
}

/** The gradient buffer to add into for `t`, or null when t does not require grad. */
export function gradFor(t: Tensor): Float32Array | null {
  return t.requiresGrad ? t.ensureGrad() : null;
}

export function tensor(data: Float32Array | number[], shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  return new Tensor(arr, shape, opts.requiresGrad ?? false);
}

export function zeros(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  return new Tensor(new Float32Array(sizeOf(shape)), shape, opts.requiresGrad ?? false);
}

/**
 * @internal A tensor whose values are NOT initialised, for op outputs that a kernel overwrites
 * completely: skips zero-filling (hundreds of MB per training step). Small sizes use a plain
 * Float32Array (Node's unsafe allocation only pays off for large buffers).
 */
export function empty(shape: readonly number[]): Tensor {
  const n = sizeOf(shape);
  if (n < 1024) return new Tensor(new Float32Array(n), shape);
  const buf = Buffer.allocUnsafeSlow(n * 4);
  return new Tensor(new Float32Array(buf.buffer, buf.byteOffset, n), shape);
}

/** A trainable leaf tensor (requiresGrad). */
export function parameter(data: Float32Array, shape: readonly number[]): Tensor {
  return new Tensor(data, shape, true);
}
