// Batching: every counted token is a target exactly once per epoch, predicted from its own
// predecessor, masks stay aligned, and the order is a pure function of (seed, epoch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochBatches, padRows, splitHeldOut, splitHeldOutGroups, type BatchingOptions } from '../../src/sft/batching.js';
import { IGNORE_INDEX, type TokenExample } from '../../src/sft/examples.js';
import { Rng } from '../../src/util/rng.js';

// Token ids encode (example, position) so a target tells where it came from: id = 1000*k + i + 1.
function makeExamples(n: number, seed: number, maxLen = 30): TokenExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, k) => {
    const len = rng.range(2, maxLen);
    const ids = Int32Array.from({ length: len }, (_, i) => 1000 * k + i + 1);
    const mask = Uint8Array.from({ length: len }, () => (rng.next() < 0.7 ? 1 : 0));
    return { ids, mask };
  });
}

/** Every (example, position) that must be a target: position >= 1 with mask 1. */
function expectedTargets(examples: TokenExample[], seqLen = Infinity): Set<number> {
  const s = new Set<number>();
  examples.forEach((ex) => {
    for (let i = 1; i < ex.ids.length && i <= seqLen; i++) if (ex.mask[i]) s.add(ex.ids[i]);
  });
  return s;
}

function checkBatches(examples: TokenExample[], opts: BatchingOptions, epoch = 0, seqLenCap = Infinity) {
  const batches = epochBatches(examples, opts, epoch);
  const seen = new Map<number, number>();
  for (const b of batches) {
    assert.equal(b.inputs.length, b.batch * b.seqLen);
    assert.equal(b.targets.length, b.batch * b.seqLen);
    assert.ok(b.batch <= opts.batchSize && b.seqLen <= opts.seqLen);
    let counted = 0;
    for (let p = 0; p < b.targets.length; p++) {
      const tgt = b.targets[p];
      if (tgt === IGNORE_INDEX) continue;
      counted++;
      seen.set(tgt, (seen.get(tgt) ?? 0) + 1);
      // The input at this position is the target's predecessor in its own example.
      assert.equal(b.inputs[p], tgt - 1, `target ${tgt} is predicted from ${b.inputs[p]}`);
    }
    assert.equal(b.lossTokens, counted);
  }
  const want = expectedTargets(examples, seqLenCap);
  assert.equal(seen.size, want.size);
  for (const id of want) assert.equal(seen.get(id), 1, `target ${id} appears once`);
  return batches;
}

test('packed batching: each counted token is a target exactly once, from its predecessor', () => {
  const examples = makeExamples(57, 1);
  const batches = checkBatches(examples, { mode: 'packed', batchSize: 4, seqLen: 16, padId: 0, seed: 3 });
  // No padding except at the very end of the stream.
  const total = examples.reduce((n, e) => n + e.ids.length, 0);
  const realTokens = batches.reduce((n, b) => n + b.tokens, 0);
  assert.equal(realTokens, total - 1);
  for (const b of batches.slice(0, -1)) assert.equal(b.tokens, b.batch * b.seqLen);
});

test('packed batching never makes the first token of an example a target', () => {
  const examples = makeExamples(20, 2).map((e) => ({ ids: e.ids, mask: new Uint8Array(e.ids.length).fill(1) }));
  const batches = checkBatches(examples, { mode: 'packed', batchSize: 3, seqLen: 7, padId: 0, seed: 1 });
  for (const b of batches) for (const t of b.targets) if (t !== IGNORE_INDEX) assert.notEqual((t - 1) % 1000, 0);
});

test('packed-examples batching (SFT --packing): whole examples side by side, each at positions 0.. of its own, every target once', () => {
  const examples = makeExamples(40, 6);
  const batches = checkBatches(examples, { mode: 'packed-examples', batchSize: 3, seqLen: 40, padId: 0, seed: 2 });
  let rows = 0;
  for (const b of batches) {
    rows += b.batch;
    assert.ok(b.positions !== undefined);
    for (let p = 0; p < b.inputs.length; p++) {
      const id = b.inputs[p];
      if (id !== 0) assert.equal(b.positions![p], (id - 1) % 1000, `input ${id} sits at its position in its own example`);
    }
  }
  // Fewer rows than examples: the rows are shared (each example is at most 29 positions of 40).
  assert.ok(rows < examples.length, `${rows} rows for ${examples.length} examples`);
});

test('bucketed batching: one example per row, right-padded, masks aligned, every example once', () => {
  const examples = makeExamples(45, 4);
  const batches = checkBatches(examples, { mode: 'bucketed', batchSize: 4, seqLen: 64, padId: 0, seed: 9 });
  for (const b of batches) {
    let longest = 0;
    for (let r = 0; r < b.batch; r++) {
      const k = Math.floor((b.inputs[r * b.seqLen] - 1) / 1000);
      const ex = examples[k];
      assert.equal(b.inputs[r * b.seqLen], ex.ids[0], 'each row starts at its example start');
      longest = Math.max(longest, ex.ids.length - 1);
      for (let t = ex.ids.length - 1; t < b.seqLen; t++) {
        assert.equal(b.inputs[r * b.seqLen + t], 0, 'padding');
        assert.equal(b.targets[r * b.seqLen + t], IGNORE_INDEX, 'padding is not a target');
      }
    }
    assert.equal(b.seqLen, longest, 'a batch is as long as its longest row');
  }
  assert.equal(batches.reduce((n, b) => n + b.batch, 0), examples.length);
});

test('bucketed batching groups similar lengths (less padding than a random order)', () => {
  const examples = makeExamples(256, 5, 200);
  const padding = (span: number) =>
    epochBatches(examples, { mode: 'bucketed', batchSize: 8, seqLen: 256, padId: 0, seed: 2, lengthWindow: span }, 0).reduce((n, b) => n + b.batch * b.seqLen - b.tokens, 0);
  assert.ok(padding(16) < padding(1) / 3, `bucketed ${padding(16)} vs unsorted ${padding(1)}`);
});

test('bucketed batching truncates examples longer than the context', () => {
  const examples = makeExamples(10, 6, 40);
  checkBatches(examples, { mode: 'bucketed', batchSize: 3, seqLen: 12, padId: 0, seed: 0 }, 0, 12);
});

test('the order depends only on seed and epoch', () => {
  const examples = makeExamples(30, 7);
  const o: BatchingOptions = { mode: 'bucketed', batchSize: 4, seqLen: 64, padId: 0, seed: 11 };
  const first = (e: number, opts = o) => Array.from(epochBatches(examples, opts, e)[0].inputs);
  assert.deepEqual(first(0), first(0));
  assert.notDeepEqual(first(0), first(1));
  assert.notDeepEqual(first(0), first(0, { ...o, seed: 12 }));
});

test('padRows keeps a hand-written case exact', () => {
  const b = padRows([{ ids: Int32Array.from([5, 6, 7, 8]), mask: Uint8Array.from([0, 0, 1, 1]) }, { ids: Int32Array.from([9, 10]), mask: Uint8Array.from([1, 1]) }], 10, 0);
  assert.equal(b.seqLen, 3);
  assert.deepEqual(Array.from(b.inputs), [5, 6, 7, 9, 0, 0]);
  assert.deepEqual(Array.from(b.targets), [IGNORE_INDEX, 7, 8, 10, IGNORE_INDEX, IGNORE_INDEX]);
  assert.equal(b.lossTokens, 3);
  assert.equal(b.tokens, 4);
});

test('splitHeldOut is seeded and partitions the items', () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const a = splitHeldOut(items, 5, 1);
  assert.equal(a.heldOut.length, 5);
  assert.deepEqual([...a.train, ...a.heldOut].sort((x, y) => x - y), items);
  assert.deepEqual(splitHeldOut(items, 5, 1), a);
  assert.notDeepEqual(splitHeldOut(items, 5, 2).heldOut, a.heldOut);
});

test('held out by record: a conversation trained turn by turn stays whole on one side; one example per record splits as before', () => {
  const items = ['a0', 'a1', 'b0', 'b1', 'b2'];
  const groups = [7, 7, 9, 9, 9];
  const sizes = new Set<number>();
  for (let seed = 1; seed <= 8; seed++) {
    const { train, heldOut } = splitHeldOutGroups(items, groups, 0.3, seed);
    assert.equal(train.length + heldOut.length, 5);
    const heldGroups = new Set(heldOut.map((x) => x[0]));
    assert.equal(heldGroups.size, 1, `seed ${seed}: ${heldOut.join()}`);
    assert.ok(!train.some((x) => heldGroups.has(x[0])), `seed ${seed}: a record on both sides`);
    sizes.add(heldOut.length);
  }
  assert.deepEqual([...sizes].sort(), [2, 3], 'either record can be the held-out one');
  const one = Array.from({ length: 20 }, (_, i) => i);
  for (const seed of [1, 5]) {
    const byRecord = splitHeldOutGroups(one, one, 0.25, seed);
    const plain = splitHeldOut(one, 5, seed);
    assert.deepEqual(byRecord, plain);
  }
});
