// Converts the compute core's AdamW state (moment arrays in parameter order) to and from the
// checkpoint's named tensors, so a checkpoint names every moment after its parameter and a
// resume with a different parameter order or a different model fails loudly instead of silently.
import type { AdamWState } from '../core/index.js';
import type { OptimizerState } from '../model/training-checkpoint.js';
import { AhaError } from '../util/errors.js';

export function toCheckpointState(state: AdamWState, names: readonly string[]): OptimizerState {
  const tensors: Record<string, Float32Array> = {};
  names.forEach((name, i) => {
    tensors[`exp_avg.${name}`] = state.m[i];
    tensors[`exp_avg_sq.${name}`] = state.v[i];
  });
  return { step: state.step, tensors };
}

export function fromCheckpointState(saved: OptimizerState, names: readonly string[]): AdamWState {
  const pick = (key: string): Float32Array => {
    const t = saved.tensors[key];
    if (!t) throw new AhaError(`the checkpoint's optimizer state has no "${key}" (was it saved for another model?)`);
    return t;
  };
  return { step: saved.step, m: names.map((n) => pick(`exp_avg.${n}`)), v: names.map((n) => pick(`exp_avg_sq.${n}`)) };
}
