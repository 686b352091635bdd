// Products with a single row (decoding one sequence) take OpenBLAS's matrix-vector path (the
// transpose combinations and gradients are in ops.test.ts): wide weights split over the threads
// must agree with the float64 reference and overwrite the uninitialised output (beta 0).
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { linear, noGrad, tensor } from '../../src/core/index.js';
import { assertClose, randn, refMatmul } from './reference.js';

const rng = new Rng(99);

test('a one-row Linear over a wide weight (threads split its outputs) matches the reference', () => {
  for (const [N, K] of [[4099, 300], [37, 1031]]) {
    const x = randn(rng, K), w = randn(rng, N * K);
    for (let rep = 0; rep < 2; rep++) {
      const out = noGrad(() => linear(tensor(Float32Array.from(x), [1, K]), tensor(Float32Array.from(w), [N, K])));
      assertClose(out.data, refMatmul(x, w, 1, 1, N, K, false, true, true), 1e-4, `linear 1x${N}x${K}`);
    }
  }
});
