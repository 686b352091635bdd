// AdamW (decoupled weight decay, torch.optim.AdamW's update) and global-norm gradient clipping.
// Optimizer state is plain Float32Arrays plus the step count so the trainer can checkpoint it.
import { AhaError } from '../util/errors.js';
import { backend } from './backend.js';
import type { Tensor } from './tensor.js';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  /** First and second moments, one pair per parameter, in the constructor's order. */
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  readonly params: Tensor[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private stepCount = 0;
  private m: Float32Array[];
  private v: Float32Array[];

  constructor(params: Tensor[], opts: AdamWOptions) {
    this.params = params;
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    for (const [name, v] of [['lr', this.lr], ['eps', this.eps], ['weightDecay', this.weightDecay]] as const) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new AhaError(`AdamW: ${name} must be a finite number >= 0, got ${v}`);
    }
    for (const [name, v] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new AhaError(`AdamW: ${name} must be in [0, 1), got ${v}`);
    }
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }

  get steps(): number {
    return this.stepCount;
  }

  /** One update of every parameter that has a gradient; `lr` overrides the learning rate. */
  step(lr?: number): void {
    if (lr !== undefined) this.lr = lr;
    this.stepCount++;
    const be = backend();
    this.params.forEach((p, i) => {
      if (p.grad === null) return;
      be.adamw(p.data, p.grad, this.m[i], this.v[i], p.size, this.lr, this.beta1, this.beta2, this.eps, this.weightDecay, this.stepCount);
    });
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** The optimizer's state (the arrays themselves; copy them if you keep them across steps). */
  state(): AdamWState {
    return { step: this.stepCount, m: this.m, v: this.v };
  }

  loadState(state: AdamWState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new AhaError(`AdamW state has ${state.m.length} moment tensors, the optimizer has ${this.params.length} parameters`);
    }
    this.params.forEach((p, i) => {
      if (state.m[i].length !== p.size || state.v[i].length !== p.size) {
        throw new AhaError(`AdamW state for parameter ${i} has ${state.m[i].length} values, the parameter has ${p.size}`);
      }
    });
    if (!Number.isInteger(state.step) || state.step < 0) throw new AhaError(`AdamW state step must be a non-negative integer, got ${state.step}`);
    this.stepCount = state.step;
    this.m = state.m.map((a) => Float32Array.from(a));
    this.v = state.v.map((a) => Float32Array.from(a));
  }
}

/**
 * Scales all gradients so their global L2 norm is at most maxNorm (as torch's clip_grad_norm_,
 * factor maxNorm / (norm + 1e-6)); returns the norm before clipping.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  const be = backend();
  let sq = 0;
  for (const p of params) if (p.grad !== null) sq += be.sum(p.grad, p.size, true);
  const norm = Math.sqrt(sq);
  const factor = maxNorm / (norm + 1e-6);
  if (factor < 1) for (const p of params) if (p.grad !== null) be.scale(factor, p.grad, p.grad, p.size);
  return norm;
}
