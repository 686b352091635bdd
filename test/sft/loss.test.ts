// The loss: mean cross-entropy over counted targets only. Masked tokens get neither loss nor
// gradient (a hand-computed case, and a real transformer with extra masked tokens), and gradient
// accumulation weighs every counted token of a step the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { embedding, parameter, type Tensor } from '../../src/core/index.js';
import type { CausalLM } from '../../src/model/causal-lm.js';
import { createTransformer } from '../../src/model/transformer.js';
import { epochBatches, padRows } from '../../src/sft/batching.js';
import { batchLoss } from '../../src/sft/loss.js';
import { trainLanguageModel, type TrainerConfig } from '../../src/sft/trainer.js';
import { SFT_DEFAULTS } from '../../src/sft/sft-run.js';
import type { TokenExample } from '../../src/sft/examples.js';
import { tempDir, tinyConfig, tok } from './helpers.js';

/** A bigram "model": the logits of the next token are row `id` of a trainable table. */
function bigram(table: number[][]): CausalLM & { table: Tensor } {
  const V = table.length;
  const w = parameter(Float32Array.from(table.flat()), [V, V]);
  return {
    table: w,
    config: tinyConfig({ vocab_size: V }),
    parameters: () => new Map([['table', w]]),
    forward: (ids, batch, seqLen) => embedding(w, ids, [batch, seqLen]),
    createCache: () => {
      throw new Error('unused');
    },
    prefill: () => {
      throw new Error('unused');
    },
    decode: () => {
      throw new Error('unused');
    },
  };
}

const ex = (ids: number[], mask: number[]): TokenExample => ({ ids: Int32Array.from(ids), mask: Uint8Array.from(mask) });

test('hand-computed: loss and gradient only from counted targets', () => {
  // Row 1 gives p(2) = 2/4, row 2 gives p(0) = 3/5; row 0 only predicts a masked target.
  const m = bigram([
    [5, -1, 2],
    [0, 0, Math.log(2)],
    [Math.log(3), 0, 0],
  ]);
  const batch = padRows([ex([0, 1, 2, 0], [0, 0, 1, 1])], 16, 0);
  const loss = batchLoss(m, batch);
  assert.ok(Math.abs(loss.data[0] - Math.log(10 / 3) / 2) < 1e-6, `loss ${loss.data[0]}`);
  loss.backward();
  const g = Array.from(m.table.grad!);
  const want = [0, 0, 0, 0.125, 0.125, -0.25, -0.2, 0.1, 0.1];
  g.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `grad[${i}] = ${x}, want ${want[i]}`));
});

function grads(model: CausalLM): Map<string, Float32Array> {
  return new Map([...model.parameters()].map(([n, p]) => [n, Float32Array.from(p.grad ?? new Float32Array(p.size))]));
}

function zeroGrads(model: CausalLM) {
  for (const p of model.parameters().values()) p.zeroGrad();
}

test('extra masked tokens and masked rows change neither the loss nor the gradient', () => {
  const model = createTransformer(tinyConfig(), { seed: 7 });
  // The last `k` tokens of a text count.
  const lastCount = (text: string, k: number) => {
    const ids = [...tok.encode(text)];
    return ex(ids, ids.map((_, i) => (i >= ids.length - k ? 1 : 0)));
  };
  const a = lastCount('User: 1+2? Assistant: 3', 2);
  const b = lastCount('User: 9+9? Assistant: 18', 3);
  const plain = padRows([a, b], 64, 0);
  // The same rows with masked text appended after the counted tokens, plus a fully masked row.
  const tail = [...tok.encode(' and more text')];
  const longer = [ex([...a.ids, ...tail], [...a.mask, ...tail.map(() => 0)]), ex([...b.ids, ...tail], [...b.mask, ...tail.map(() => 0)]), ex([...tok.encode('nothing counts here')], Array(19).fill(0))];
  const padded = padRows(longer, 64, 0);
  assert.equal(padded.lossTokens, plain.lossTokens);

  zeroGrads(model);
  const l1 = batchLoss(model, plain);
  l1.backward();
  const g1 = grads(model);
  zeroGrads(model);
  const l2 = batchLoss(model, padded);
  l2.backward();
  const g2 = grads(model);
  assert.ok(Math.abs(l1.data[0] - l2.data[0]) < 1e-5, `${l1.data[0]} vs ${l2.data[0]}`);
  assertSameGrads(g1, g2);
});

function assertSameGrads(g1: Map<string, Float32Array>, g2: Map<string, Float32Array>) {
  for (const [name, x] of g1) {
    const y = g2.get(name)!;
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < x.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
      maxAbs = Math.max(maxAbs, Math.abs(x[i]));
    }
    assert.ok(maxDiff <= 1e-4 * maxAbs + 1e-7, `${name}: gradients differ by ${maxDiff} (scale ${maxAbs})`);
  }
}

test('SFT packing: examples packed side by side give the loss and gradient of one row each (no attention across, positions restart)', () => {
  const model = createTransformer(tinyConfig(), { seed: 5 });
  const texts = ['User: 12+7? Assistant: 19', 'User: 3+40? Assistant: 43', 'User: 25+25? Assistant: 50', 'User: 8+1? Assistant: 9'];
  const examples = texts.map((t) => {
    const ids = [...tok.encode(t)];
    const start = t.indexOf(':', 6) + 1;
    return ex(ids, ids.map((_, i) => (i > start ? 1 : 0)));
  });
  const lossAndGrads = (batch: ReturnType<typeof padRows>) => {
    zeroGrads(model);
    const l = batchLoss(model, batch);
    l.backward();
    return { loss: l.data[0], grads: grads(model) };
  };
  const unpacked = lossAndGrads(padRows(examples, 64, 0));
  // Rows of 60 positions hold two examples each: two rows in one batch.
  const batches = epochBatches(examples, { mode: 'packed-examples', batchSize: 4, seqLen: 60, padId: 0, seed: 1 }, 0);
  assert.equal(batches.length, 1);
  assert.equal(batches[0].batch, 2);
  assert.equal(batches[0].lossTokens, padRows(examples, 64, 0).lossTokens);
  const packed = lossAndGrads(batches[0]);
  assert.ok(Math.abs(unpacked.loss - packed.loss) < 1e-5, `${unpacked.loss} vs ${packed.loss}`);
  assertSameGrads(unpacked.grads, packed.grads);
});

test('gradient accumulation: 2 micro-batches of 2 equal one batch of 4', async () => {
  const examples = ['a1+2=3', 'bb 10+20=30', 'c 7', 'dddd 100-1=99'].map((s) => ex([...tok.encode(s)], [...tok.encode(s)].map((_, i) => (i % 3 === 0 ? 0 : 1))));
  const run = async (batchSize: number, gradAccum: number) => {
    const model = createTransformer(tinyConfig(), { seed: 2 });
    // eps = 1 makes AdamW's first update nearly lr * gradient (no per-element normalisation that
    // would blow float-rounding differences of near-zero gradients up to ±lr), so equal updates
    // mean equal accumulated gradients.
    const config: TrainerConfig = { ...SFT_DEFAULTS, steps: 1, batchSize, gradAccum, seqLen: 32, lr: 1, eps: 1, maxGradNorm: 0, evalSteps: 0, saveSteps: 0 };
    let gradNorm = NaN;
    const r = await trainLanguageModel({ runDir: join(tempDir(), 'run'), model, tokenizer: tok, train: examples, heldOut: [], padId: 0, config, quiet: true, onStep: (row) => (gradNorm = row.grad_norm) });
    return { loss: r.lastLoss, gradNorm, params: model.parameters() };
  };
  const init = createTransformer(tinyConfig(), { seed: 2 }).parameters();
  const one = await run(4, 1);
  const two = await run(2, 2);
  assert.ok(Math.abs(one.loss - two.loss) < 1e-5, `loss ${one.loss} vs ${two.loss}`);
  assert.ok(Math.abs(one.gradNorm - two.gradNorm) < 1e-5 * one.gradNorm, `grad norm ${one.gradNorm} vs ${two.gradNorm}`);
  for (const [name, p] of one.params) {
    const q = two.params.get(name)!;
    const p0 = init.get(name)!;
    let moved = 0;
    for (let i = 0; i < p.size; i++) {
      moved = Math.max(moved, Math.abs(p.data[i] - p0.data[i]));
      assert.ok(Math.abs(p.data[i] - q.data[i]) < 1e-6, `${name}[${i}]: ${p.data[i]} vs ${q.data[i]}`);
    }
    assert.ok(moved > 1e-6, `${name} was updated`);
  }
});
