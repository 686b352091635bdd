// Gradient checkpointing: run a block without keeping its tape, and run it again inside the
// backward pass to get its gradients. Memory drops from everything the block's ops save to its
// input alone, for one more forward pass of the block. The block must be deterministic (no
// dropout), and every trainable tensor it uses must be a leaf (its gradient accumulates there).
import { Tensor, isGradEnabled, noGrad, record } from '../tensor.js';

/** A grad-requiring leaf no one reads: makes the output join the tape even when `x` needs no gradient (frozen embeddings) while the block's parameters do. */
const anchor = new Tensor(new Float32Array(1), [1], true);

/** fn(x), with fn's intermediate tensors recomputed in the backward pass instead of kept. */
export function checkpoint(fn: (x: Tensor) => Tensor, x: Tensor): Tensor {
  if (!isGradEnabled()) return fn(x);
  const out = noGrad(() => fn(x.detach()));
  return record(out, [x, anchor], (g) => {
    const xi = new Tensor(x.data, x.shape, x.requiresGrad);
    const y = fn(xi);
    if (y.requiresGrad) y.backward(g);
    if (x.requiresGrad && xi.grad) {
      const dx = x.ensureGrad();
      const gi = xi.grad;
      for (let i = 0; i < dx.length; i++) dx[i] += gi[i];
    }
  });
}
