// Trainable token rows alongside LoRA (PEFT's trainable_token_indices): the spec's syntax and
// refusals, the two ops' gradients against the product they stand for, the adapted model equal
// to its base at the start, every sampling path reading the trained rows (tied lm_head columns
// too, an untied lm_head left alone), the reference without them, a few training steps that move
// only the chosen rows and teach the model to emit a new token, and merging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, crossEntropy, linear, noGrad, parameter, replaceColumnsInPlace, replaceRowsInPlace, tensor } from '../../src/core/index.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { Transformer } from '../../src/model/transformer.js';
import { LoraModel, adaptersOff, parseLoraSpec, resolveLoraTokens, resolveTrainableTokens, LM_HEAD_ROWS_TENSOR, TOKEN_ROWS_TENSOR } from '../../src/model/lora.js';
import { mergeInto } from '../../src/model/adapter.js';
import { Rng } from '../../src/util/rng.js';
import { centralDifference, tinyConfig } from './helpers.js';

const V = 29;
const config = (over: Partial<ModelConfig> = {}): ModelConfig => tinyConfig({ vocab_size: V, ...over });

/** Largest |a - b| over two equally long arrays. */
function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  return Array.from(a, (v, i) => Math.abs(v - b[i])).reduce((m, d) => Math.max(m, d), 0);
}

const NEW = [26, 27, 28];
/** Untied lm_head rows trained in the tests (PEFT's dict form lets them differ from the embedding's, in any order). */
const HEAD = [28, 27];
/**
 * A LoRA model whose adapters and token rows look trained (random), on a tied or untied base;
 * untied, its lm_head rows HEAD train too.
 */
function trained(tied: boolean, bf16 = false, seed = 3): { base: Transformer; lora: LoraModel } {
  const base = new Transformer(config({ tie_word_embeddings: tied }), { seed: 1, frozenBf16: bf16, initStd: 0.2 });
  const lora = new LoraModel(base, { ...parseLoraSpec('r=2,alpha=4,targets=q_proj,down_proj'), trainableTokens: NEW, lmHeadTokens: tied ? [] : HEAD });
  const rng = new Rng(seed);
  for (const p of lora.parameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.3;
  return { base, lora };
}

test('trainable_tokens in a --lora spec: ids and token strings joined by "+"; empty entries and repeats refused by name', () => {
  assert.deepEqual(parseLoraSpec('r=4,trainable_tokens=151665+151666+<|reflect|>').trainableTokens, [151665, 151666, '<|reflect|>']);
  assert.deepEqual(parseLoraSpec('targets=q_proj,v_proj,trainable_tokens=7').targets, ['q_proj', 'v_proj']);
  const refusals: [string, RegExp][] = [
    ['trainable_tokens=', /--lora: trainable_tokens: empty/],
    ['trainable_tokens=5++6', /--lora: trainable_tokens: empty entry in "5\+\+6"/],
    ['trainable_tokens=5+6+5', /--lora: trainable_tokens: 5 is given twice/],
    ['trainable_tokens=<a>+<a>', /--lora: trainable_tokens: "<a>" is given twice/],
    ['trainable_tokens=5,trainable_tokens=6', /"trainable_tokens" is given twice/],
    ['trainable_tokens_lm_head=true', /trainable_tokens_lm_head=true needs trainable_tokens/],
    ['trainable_tokens=5,trainable_tokens_lm_head=yes', /trainable_tokens_lm_head must be true or false/],
  ];
  for (const [spec, re] of refusals) assert.throws(() => parseLoraSpec(spec), re, spec);
  const vocab = new Map([['<|reflect|>', 30], ['<|explore|>', 31]]);
  const lookup = (t: string) => vocab.get(t);
  assert.deepEqual(resolveTrainableTokens([30, '<|explore|>'], 32, lookup), [30, 31]);
  assert.throws(() => resolveTrainableTokens(['<|nope|>'], 32, lookup, 'lora'), /^AhaError: lora: trainable_tokens: "<\|nope\|>" is not a token of the model's tokenizer/);
  assert.throws(() => resolveTrainableTokens([32], 32, lookup), /trainable_tokens: id 32 is outside the model's vocabulary \[0, 32\)/);
  assert.throws(() => resolveTrainableTokens([30, '<|reflect|>'], 32, lookup), /"<\|reflect\|>" is token 30, which is already listed/);
  // trainable_tokens_lm_head=true: the lm_head rows are the same tokens'.
  const both = resolveLoraTokens(parseLoraSpec('r=2,trainable_tokens=<|explore|>+30,trainable_tokens_lm_head=true'), 32, lookup);
  assert.deepEqual([both.trainableTokens, both.lmHeadTokens], [[31, 30], [31, 30]]);
  assert.deepEqual(resolveLoraTokens(parseLoraSpec('r=2,trainable_tokens=30'), 32, lookup).lmHeadTokens, []);
  assert.throws(() => new LoraModel(new Transformer(config()), { ...parseLoraSpec('r=2,trainable_tokens=5,trainable_tokens_lm_head=true') }), /resolve the tokens first/);
  assert.throws(() => new LoraModel(new Transformer(config()), { ...parseLoraSpec('r=2'), trainableTokens: ['<x>'] }), /resolved to ids first/);
  assert.throws(() => new LoraModel(new Transformer(config()), { ...parseLoraSpec('r=2'), trainableTokens: [V] }), /ids must be distinct and in \[0, 29\)/);
});

test('the ops give the gradients of the product they stand for (embedding / lm_head with the rows written in)', () => {
  const rng = new Rng(5);
  const M = 6, H = 8, n = 2;
  const W = Float32Array.from({ length: V * H }, () => rng.normal());
  const rowsInit = Float32Array.from({ length: n * H }, () => rng.normal());
  const ids = Int32Array.of(4, 17);
  const hInit = Float32Array.from({ length: M * H }, () => rng.normal());
  const gOut = Float32Array.from({ length: M * V }, () => rng.normal());
  // Reference: W with rows ids replaced, as one trainable matrix; the gradients of those rows and of h.
  const Wref = W.slice();
  ids.forEach((id, j) => Wref.set(rowsInit.subarray(j * H, (j + 1) * H), id * H));
  const wRef = parameter(Wref, [V, H]), hRef = parameter(hInit.slice(), [M, H]);
  const yRef = linear(hRef, wRef);
  yRef.backward(gOut);
  const rows = parameter(rowsInit.slice(), [n, H]), h = parameter(hInit.slice(), [M, H]);
  const baseRows = [...ids].flatMap((id) => [...W.subarray(id * H, (id + 1) * H)]);
  const y = replaceColumnsInPlace(linear(h, tensor(W, [V, H])), h, ids, rows, Float32Array.from(baseRows));
  assert.ok(maxAbs(y.data, yRef.data) < 1e-5);
  y.backward(gOut.slice());
  assert.ok(maxAbs(h.grad!, hRef.grad!) < 1e-4, `dh ${maxAbs(h.grad!, hRef.grad!)}`);
  ids.forEach((id, j) => assert.ok(maxAbs(rows.grad!.subarray(j * H, (j + 1) * H), wRef.grad!.subarray(id * H, (id + 1) * H)) < 1e-4));
  // The input side: an embedding lookup of the replaced matrix.
  const tokens = Int32Array.of(17, 3, 4, 17, 0, 5);
  const gIn = Float32Array.from({ length: M * H }, () => rng.normal());
  const xRef = Float32Array.from({ length: M * H }, (_, k) => Wref[tokens[Math.floor(k / H)] * H + (k % H)]);
  const rows2 = parameter(rowsInit.slice(), [n, H]);
  const base = parameter(Float32Array.from({ length: M * H }, (_, k) => W[tokens[Math.floor(k / H)] * H + (k % H)]), [M, H]);
  const slots = Int32Array.from(tokens, (t) => [...ids].indexOf(t));
  const x = replaceRowsInPlace(base, slots, rows2);
  assert.deepEqual(x.data, xRef);
  x.backward(gIn);
  const want = new Float32Array(n * H);
  tokens.forEach((t, i) => {
    const j = slots[i];
    if (j >= 0) for (let k = 0; k < H; k++) want[j * H + k] += gIn[i * H + k];
  });
  assert.ok(maxAbs(rows2.grad!, want) < 1e-6);
  // The rows they replaced get no gradient, the others all of theirs.
  assert.deepEqual(base.grad, Float32Array.from(gIn, (v, k) => (slots[Math.floor(k / H)] >= 0 ? 0 : v)));
});

test('fresh token rows are copies of the base rows: the adapted model starts equal to its base (tied and untied, f32 and BF16)', () => {
  const ids = Int32Array.from([1, 26, 5, 27, 28, 2, 26]);
  for (const tied of [true, false]) {
    for (const bf16 of [false, true]) {
      const base = new Transformer(config({ tie_word_embeddings: tied }), { seed: 1, frozenBf16: bf16, initStd: 0.2 });
      const before = noGrad(() => base.forward(ids, 1, ids.length)).data.slice();
      const lora = new LoraModel(base, { ...parseLoraSpec('r=2,targets=q_proj'), trainableTokens: NEW });
      assert.deepEqual(noGrad(() => lora.forward(ids, 1, ids.length)).data, before);
      const rows = lora.parameters().get(TOKEN_ROWS_TENSOR)!;
      assert.deepEqual(rows.shape, [3, 32]);
      assert.deepEqual(rows.data, base.baseRows('embedding', Int32Array.from(NEW)));
    }
  }
});

test('token row gradients match finite differences (tied: embedding and lm_head uses; untied: embedding and lm_head rows apart); the base gets none', () => {
  for (const tied of [true, false]) {
    const { base, lora } = trained(tied);
    const ids = Int32Array.from([3, 26, 4, 27, 5, 26, 2, 6]);
    const rng = new Rng(4);
    const proj = new Float32Array(8 * V).map(() => rng.normal());
    const loss = (): number => {
      const y = noGrad(() => lora.forward(ids, 1, 8)).data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * proj[i];
      return s;
    };
    lora.forward(ids, 1, 8).backward(proj);
    for (const p of base.parameters().values()) assert.equal(p.grad, null);
    const rows = lora.parameters().get(TOKEN_ROWS_TENSOR)!;
    // Token 28 never occurs in the input: untied, its row gets no gradient at all; tied, its logit column gives one.
    const row28 = rows.grad!.subarray(2 * 32, 3 * 32);
    assert.equal(row28.some((v) => v !== 0), tied, `tied=${tied}`);
    const head = lora.parameters().get(LM_HEAD_ROWS_TENSOR);
    assert.equal(head === undefined, tied);
    for (const [name, p] of [[TOKEN_ROWS_TENSOR, rows], [LM_HEAD_ROWS_TENSOR, head]] as const) {
      if (!p) continue;
      for (const k of [0, 5, 32 + 7, p.size - 1]) {
        const fd = centralDifference(loss, p.data, k);
        assert.ok(Math.abs(fd - p.grad![k]) < 2e-2 * Math.max(1, Math.abs(fd)), `tied=${tied} ${name}[${k}]: analytic ${p.grad![k]}, numeric ${fd}`);
      }
    }
  }
});

test('sampling reads the trained rows: prefill, batched prefill and decode (packed and plain, f32 and BF16 bases) give the training forward\'s logits; adapters off is the base', () => {
  const ids = Int32Array.from([1, 26, 5, 27, 28, 2, 26, 9]);
  for (const tied of [true, false]) {
    for (const bf16 of [false, true]) {
      const { lora } = trained(tied, bf16);
      const full = noGrad(() => lora.forward(ids, 1, 8)).data;
      for (const packed of [true, false]) {
        (lora.base as Transformer).decodePacked = packed;
        const cache = lora.createCache(1, 8);
        const last = lora.prefill(cache, 0, ids.subarray(0, 7));
        assert.ok(maxAbs(last, full.subarray(6 * V, 7 * V)) < 2e-4, `tied=${tied} bf16=${bf16} packed=${packed}: ${maxAbs(last, full.subarray(6 * V, 7 * V))}`);
        const step = lora.decode(cache, Int32Array.of(ids[7]));
        assert.ok(maxAbs(step.subarray(0, V), full.subarray(7 * V, 8 * V)) < 2e-4);
        const batched = lora.prefillRows(lora.createCache(1, 8), [0], [ids]);
        assert.ok(maxAbs(batched.subarray(0, V), full.subarray(7 * V, 8 * V)) < 2e-4);
      }
      (lora.base as Transformer).decodePacked = true;
      // BF16 sampling: the snapshot's lm_head is the base's, the trained columns are written over it.
      (lora.base as Transformer).sampleInBf16 = true;
      const c16 = lora.createCache(1, 8);
      const s16 = lora.prefill(c16, 0, ids);
      (lora.base as Transformer).sampleInBf16 = false;
      assert.ok(maxAbs(s16, full.subarray(7 * V, 8 * V)) < 0.1, `bf16 sampling: ${maxAbs(s16, full.subarray(7 * V, 8 * V))}`);
      // The reference: exactly the base network, token rows off too.
      const plain = new Transformer(config({ tie_word_embeddings: tied }), { seed: 1, frozenBf16: bf16, initStd: 0.2 });
      const off = noGrad(() => adaptersOff(lora).forward(ids, 1, 8)).data;
      assert.deepEqual(off, noGrad(() => plain.forward(ids, 1, 8)).data);
      const offCache = lora.createCache(1, 8);
      assert.ok(maxAbs(adaptersOff(lora).prefill(offCache, 0, ids), off.slice(7 * V, 8 * V)) < 2e-4);
    }
  }
});

test('the trained columns of a tied lm_head are h · row; an untied lm_head keeps its own rows unless its rows train too', () => {
  // Only token rows change (no LoRA update: B stays zero), so the difference from the base is the rows alone.
  const ids = Int32Array.from([1, 2, 3, 4]);
  for (const [tied, headRows] of [[true, false], [false, false], [false, true]]) {
    const base = new Transformer(config({ tie_word_embeddings: tied }), { seed: 1, initStd: 0.2 });
    const before = noGrad(() => base.forward(ids, 1, 4)).data.slice();
    const lora = new LoraModel(base, { ...parseLoraSpec('r=2,targets=q_proj'), trainableTokens: [28], lmHeadTokens: headRows ? [28] : [] });
    lora.parameters().get(TOKEN_ROWS_TENSOR)!.data.fill(0.5);
    lora.parameters().get(LM_HEAD_ROWS_TENSOR)?.data.fill(0.5);
    const after = noGrad(() => lora.forward(ids, 1, 4)).data;
    for (let t = 0; t < 4; t++) {
      for (let v = 0; v < V; v++) {
        const changed = after[t * V + v] !== before[t * V + v];
        assert.equal(changed, (tied || headRows) && v === 28, `tied=${tied} head=${headRows} token ${t} column ${v}`);
      }
    }
    // h · row, row all 0.5: 0.5 · the sum of each final hidden state.
    if (tied || headRows) {
      const h = noGrad(() => base.hiddenStates(ids, 1, 4)).data;
      for (let t = 0; t < 4; t++) {
        const want = 0.5 * h.subarray(t * 32, (t + 1) * 32).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(after[t * V + 28] - want) < 1e-4);
      }
    }
  }
  // A tied lm_head has no rows of its own to train.
  assert.throws(() => new LoraModel(new Transformer(config()), { ...parseLoraSpec('r=2'), trainableTokens: [28], lmHeadTokens: [28] }), /lm_head is tied to its embedding/);
});

test('a few steps on text with two new tokens train only their rows (and the adapters) and tell them apart, as input and (tied, or untied with lm_head rows) as output; merging gives the same logits', () => {
  for (const [tied, headRows] of [[true, false], [false, false], [false, true]]) {
    const base = new Transformer(config({ tie_word_embeddings: tied }), { seed: 1, initStd: 0.2 });
    const embedBefore = base.parameters().get('model.embed_tokens.weight')!.data.slice();
    // Row 27 and 28 start equal (as `aha tokens add` leaves new tokens: the mean row).
    const H = 32;
    embedBefore.copyWithin(28 * H, 27 * H, 28 * H);
    base.parameters().get('model.embed_tokens.weight')!.data.set(embedBefore);
    if (!tied) {
      const head = base.parameters().get('lm_head.weight')!;
      head.data.copyWithin(28 * H, 27 * H, 28 * H);
    }
    const headBefore = base.parameters().get('lm_head.weight')?.data.slice();
    const lora = new LoraModel(base, { ...parseLoraSpec('r=2,alpha=4'), trainableTokens: [27, 28], lmHeadTokens: headRows ? [27, 28] : [] }, { seed: 2 });
    // Text: after 3 comes 27, after 27 comes 5; after 4 comes 28, after 28 comes 6.
    const ids = Int32Array.from([1, 3, 27, 5, 2, 4, 28, 6]);
    const targets = Int32Array.from([3, 27, 5, 2, 4, 28, 6, -100]);
    const logitOf = (pos: number, tok: number) => noGrad(() => lora.forward(ids, 1, 8)).data[pos * V + tok];
    const start27 = logitOf(1, 27), after27Start = noGrad(() => lora.forward(ids, 1, 8)).data.slice(2 * V, 3 * V);
    const opt = new AdamW([...lora.parameters().values()], { lr: 0.05, weightDecay: 0 });
    for (let step = 0; step < 8; step++) {
      opt.zeroGrad();
      crossEntropy(lora.forward(ids, 1, 8), targets, { ignoreIndex: -100 }).backward();
      opt.step();
    }
    assert.deepEqual(base.parameters().get('model.embed_tokens.weight')!.data, embedBefore, 'the base embedding is untouched');
    if (!tied) assert.deepEqual(base.parameters().get('lm_head.weight')!.data, headBefore, 'the base lm_head is untouched');
    // As output: after 3 the model now prefers 27 over 28 when their output rows train; with an
    // untied lm_head left alone the two rows stay equal, so their logits stay exactly equal.
    const gap = logitOf(1, 27) - logitOf(1, 28);
    if (tied || headRows) {
      assert.ok(logitOf(1, 27) > start27 + 0.5, `logit of 27 after 3: ${start27} -> ${logitOf(1, 27)}`);
      assert.ok(gap > 0.5, `tied=${tied} head=${headRows}: 27 over 28 by ${gap}`);
    } else assert.equal(gap, 0);
    // The two new tokens now differ as inputs: what follows them differs from the start.
    const after27 = noGrad(() => lora.forward(ids, 1, 8)).data.slice(2 * V, 3 * V);
    assert.ok(maxAbs(after27, after27Start) > 0.1);
    const rows = lora.parameters().get(TOKEN_ROWS_TENSOR)!.data;
    assert.ok(maxAbs(rows.subarray(0, H), rows.subarray(H, 2 * H)) > 0.01, 'rows 27 and 28 have moved apart');
    // Merged: the rows written into the embedding (a tied lm_head with it) and an untied lm_head, LoRA's B A added.
    const want = noGrad(() => lora.forward(ids, 1, 8)).data.slice();
    const merged = mergeInto(lora);
    assert.ok(maxAbs(noGrad(() => merged.forward(ids, 1, 8)).data, want) < 1e-4);
  }
});
