// The reward model: the HF sequence-classification folder layout round trip, refusals naming file
// and field, batched scoring equal to one-by-one scoring, and the losses' values and head gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/core/index.js';
import { readSafetensorsHeader } from '../../src/model/safetensors.js';
import {
  createRewardModel, loadRewardModel, loadRewardModelSync, rewardInput, saveRewardModel, stepInput, type ScalarRewardModel,
} from '../../src/model/reward-model.js';
import { padBatch, rewardLoss, type ScoreBatch } from '../../src/rm/loss.js';
import { encodeRecord } from '../../src/rm/train.js';
import { tempDir, tinyLmDir, tok } from './helpers.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

test('a reward model saves as an HF …ForSequenceClassification folder and loads back with the same scores', async () => {
  for (const over of [{}, { model_type: 'llama' as const, tie_word_embeddings: false, num_key_value_heads: 4 }]) {
    const rm = createRewardModel(tinyLmDir(over), { kind: 'preference', seed: 3 });
    const dir = join(tempDir('rm-save'), 'rm');
    saveRewardModel(rm, dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg.architectures, [over.model_type === 'llama' ? 'LlamaForSequenceClassification' : 'Qwen2ForSequenceClassification']);
    assert.equal(cfg.num_labels, 1);
    assert.deepEqual(cfg.id2label, { '0': 'LABEL_0' });
    assert.equal(cfg.pad_token_id, tok.padId);
    const tensors = readSafetensorsHeader(join(dir, 'model.safetensors')).tensors;
    assert.deepEqual(tensors.get('score.weight')!.shape, [1, 32]);
    assert.ok(!tensors.has('lm_head.weight'), 'no lm_head in a reward model');
    assert.ok(tensors.has('model.embed_tokens.weight'));
    const back = await loadRewardModel(dir);
    assert.equal(back.kind, 'preference');
    const seqs = ['12+30=', '12+30=42', '7'].map((s) => tok.encode(s));
    assert.deepEqual(back.scoreSequences(seqs), rm.scoreSequences(seqs));
  }
});

test('a causal LM folder, a two-label config and a process model without its separator are refused naming file and field', () => {
  const lm = tinyLmDir();
  assert.throws(() => loadRewardModelSync(lm), (e: Error) => e.message.includes(join(lm, 'config.json')) && e.message.includes('architectures') && /not a reward model/.test(e.message));
  const rm = createRewardModel(lm, { kind: 'outcome' });
  const dir = join(tempDir('rm-bad'), 'rm');
  saveRewardModel(rm, dir);
  const cfgFile = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, num_labels: 2 }));
  assert.throws(() => loadRewardModelSync(dir), /num_labels.*one label/);
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, aha_reward_model: { kind: 'process', step_separator: null } }));
  assert.throws(() => loadRewardModelSync(dir), /aha_reward_model\.step_separator/);
  writeFileSync(cfgFile, JSON.stringify(cfg));
  assert.equal(loadRewardModelSync(dir).kind, 'outcome');
});

test('batched scoring equals scoring one sequence at a time, and scoreSteps reads every separator', () => {
  const rm = createRewardModel(tinyLmDir(), { kind: 'process', stepSeparator: '\n', seed: 2 });
  const seqs = ['1+1=', '12+30=42 and more', '3'].map((s) => tok.encode(s));
  const batched = rm.scoreSequences(seqs);
  seqs.forEach((s, i) => assert.ok(Math.abs(rm.scoreSequences([s])[0] - batched[i]) < 1e-5));
  const { ids, positions } = stepInput(tok, '\n', rm.stepSeparatorId!, 'Q: 2+2?', ['2+2', '=4']);
  assert.equal(positions.length, 2);
  const steps = rm.scoreSteps([ids])[0];
  assert.equal(steps.length, 2);
  assert.deepEqual(steps, rm.scoreAt([ids], [positions])[0]);
  assert.throws(() => stepInput(tok, '\n', rm.stepSeparatorId!, 'Q', ['a\nb']), /contains the step separator/);
  const pref = createRewardModel(tinyLmDir(), { kind: 'preference' });
  assert.throws(() => pref.scoreSteps([ids]), /process reward model/);
});

function pairBatch(rm: ScalarRewardModel, pairs: [string, string][]): ScoreBatch {
  const seqs = pairs.flatMap(([c, r]) => [rewardInput(tok, 'Q:', c), rewardInput(tok, 'Q:', r)]);
  const { ids, batch, seqLen, start } = padBatch(seqs, tok.padId);
  const terms = pairs.map((_, k) => [{ at: start(2 * k) + seqs[2 * k].length - 1, sign: 1 }, { at: start(2 * k + 1) + seqs[2 * k + 1].length - 1, sign: -1 }]);
  return { ids, batch, seqLen, terms, classes: new Int32Array(pairs.length).fill(1) };
}

test('the Bradley-Terry loss is −log σ(r_c − r_r) and the binary CE −log σ(±s), averaged', () => {
  const rm = createRewardModel(tinyLmDir(), { kind: 'preference', seed: 5 });
  rm.head.data.forEach((_, k) => (rm.head.data[k] = Math.sin(k + 1)));
  const pairs: [string, string][] = [['42', '41'], ['7', '1234']];
  const r = pairs.map(([c, j]) => rm.scoreSequences([rewardInput(tok, 'Q:', c), rewardInput(tok, 'Q:', j)]));
  const expected = r.reduce((a, [c, j]) => a - Math.log(sigmoid(c - j)), 0) / pairs.length;
  const got = noGrad(() => rewardLoss(rm, pairBatch(rm, pairs)).data[0]);
  assert.ok(Math.abs(got - expected) < 1e-4, `${got} vs ${expected}`);

  const seqs = [rewardInput(tok, 'Q:', '42'), rewardInput(tok, 'Q:', '9')];
  const s = rm.scoreSequences(seqs);
  const { ids, batch, seqLen, start } = padBatch(seqs, tok.padId);
  const b: ScoreBatch = { ids, batch, seqLen, terms: seqs.map((q, i) => [{ at: start(i) + q.length - 1, sign: 1 }]), classes: Int32Array.of(1, 0) };
  const bce = (-Math.log(sigmoid(s[0])) - Math.log(1 - sigmoid(s[1]))) / 2;
  assert.ok(Math.abs(noGrad(() => rewardLoss(rm, b).data[0]) - bce) < 1e-4);
});

test('the head gradient of the Bradley-Terry loss matches central finite differences', () => {
  const rm = createRewardModel(tinyLmDir(), { kind: 'preference', seed: 7 });
  rm.head.data.forEach((_, k) => (rm.head.data[k] = 0.3 * Math.cos(k)));
  const batch = pairBatch(rm, [['42', '41'], ['7', '1234'], ['0', '00']]);
  rm.head.zeroGrad();
  rewardLoss(rm, batch).backward();
  const grad = Float32Array.from(rm.head.grad!);
  const h = 1e-2;
  for (let k = 0; k < rm.head.size; k += 3) {
    const was = rm.head.data[k];
    rm.head.data[k] = was + h;
    const plus = noGrad(() => rewardLoss(rm, batch).data[0]);
    rm.head.data[k] = was - h;
    const minus = noGrad(() => rewardLoss(rm, batch).data[0]);
    rm.head.data[k] = was;
    const fd = (plus - minus) / (2 * h);
    assert.ok(Math.abs(fd - grad[k]) < 2e-3 + 2e-2 * Math.abs(fd), `k=${k}: fd ${fd} vs analytic ${grad[k]}`);
  }
});

test('a sequence score is read at the last token that is not pad_token_id, as transformers reads it; without one, at the last token', () => {
  const dir = join(tempDir('rm-pad'), 'rm');
  const rm = createRewardModel(tinyLmDir(), { kind: 'outcome', seed: 5 });
  // "<pad>" in the text is the pad token (id 0): transformers skips it when it looks for the row's last token.
  const ids = rewardInput(tok, 'Q:', 'ab<pad>');
  assert.equal(ids[ids.length - 1], tok.padId);
  assert.equal(rm.lastPosition(ids), ids.length - 2);
  const atB = rm.scoreAt([ids], [[ids.length - 2]])[0][0];
  assert.equal(rm.scoreSequences([ids])[0], atB);
  assert.notEqual(rm.scoreAt([ids], [[ids.length - 1]])[0][0], atB);
  // Training reads the same position.
  const enc = encodeRecord(rm, { kind: 'outcome', line: 1, prompt: 'Q:', completion: 'ab<pad>', label: 1 }, 'data.jsonl');
  assert.deepEqual(enc.targets[0].terms, [[0, ids.length - 2, 1]]);
  assert.throws(() => rm.lastPosition(Int32Array.of(tok.padId, tok.padId)), /only the pad token/);
  // The folder's pad_token_id is what counts: null (none) reads the last token, as transformers does.
  saveRewardModel(rm, dir);
  const cfgFile = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  assert.equal(cfg.pad_token_id, tok.padId);
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, pad_token_id: null }));
  const none = loadRewardModelSync(dir);
  assert.equal(none.padTokenId, null);
  assert.equal(none.lastPosition(ids), ids.length - 1);
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, pad_token_id: -1 }));
  assert.equal(loadRewardModelSync(dir).lastPosition(ids), ids.length - 1, 'a negative id matches no token');
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, pad_token_id: 'x' }));
  assert.throws(() => loadRewardModelSync(dir), /pad_token_id/);
});
