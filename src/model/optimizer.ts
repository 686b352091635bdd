// AdamW over a model's named parameters, shared by every trainer, with the usual two parameter groups (weight decay on matrices and embeddings, none on
// norm weights and biases), and its state in the checkpoint's form: one named tensor per moment
// ("m.<parameter>", "v.<parameter>"), so a checkpoint names what it holds and resuming checks
// every parameter is there.
import { AdamW, type AdamWOptions, type Tensor } from '../core/index.js';
import type { OptimizerState } from './training-checkpoint.js';
import { AhaError } from '../util/errors.js';

interface Group {
  names: string[];
  optimizer: AdamW;
}

/** What a training loop needs of an optimiser between checkpoints. */
export interface Optimizer {
  step(lr: number): void;
  zeroGrad(): void;
}

export class GroupedAdamW implements Optimizer {
  private readonly groups: Group[];

  constructor(params: ReadonlyMap<string, Tensor>, opts: AdamWOptions & { weightDecay: number }) {
    const decay: [string, Tensor][] = [];
    const plain: [string, Tensor][] = [];
    for (const entry of params) (entry[1].shape.length >= 2 ? decay : plain).push(entry);
    this.groups = [
      { names: decay.map((e) => e[0]), optimizer: new AdamW(decay.map((e) => e[1]), opts) },
      { names: plain.map((e) => e[0]), optimizer: new AdamW(plain.map((e) => e[1]), { ...opts, weightDecay: 0 }) },
    ];
  }

  step(lr: number): void {
    for (const g of this.groups) g.optimizer.step(lr);
  }

  zeroGrad(): void {
    for (const g of this.groups) g.optimizer.zeroGrad();
  }

  state(): OptimizerState {
    const tensors: Record<string, Float32Array> = {};
    for (const g of this.groups) {
      const s = g.optimizer.state();
      g.names.forEach((name, i) => {
        tensors[`m.${name}`] = s.m[i];
        tensors[`v.${name}`] = s.v[i];
      });
    }
    return { step: this.groups[0].optimizer.steps, tensors };
  }

  loadState(state: OptimizerState): void {
    for (const g of this.groups) {
      const pick = (kind: 'm' | 'v') =>
        g.names.map((name) => {
          const t = state.tensors[`${kind}.${name}`];
          if (!t) throw new AhaError(`optimizer state has no ${kind}.${name}; the checkpoint does not belong to this model`);
          return t;
        });
      g.optimizer.loadState({ step: state.step, m: pick('m'), v: pick('v') });
    }
  }
}
