// Pretraining: a small run from a corpus gives a model folder that loads, and the same seed and
// thread count give the same weights byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { createTransformer } from '../../src/model/transformer.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { demoModelConfig, documentExamples, PRETRAIN_TRAINER_DEFAULTS, runPretrain, type PretrainOptions } from '../../src/sft/pretrain-run.js';
import { CHARSET } from '../../src/tasks/charset.js';
import { generateCorpus } from '../../src/tasks/arithmetic-corpus.js';
import { evaluateLoss } from '../../src/sft/loss.js';
import { tempDir } from './helpers.js';

const tok = new CharTokenizer({ chars: CHARSET });

function options(out: string, over: Partial<PretrainOptions> = {}): PretrainOptions {
  return {
    ...PRETRAIN_TRAINER_DEFAULTS,
    command: 'pretrain',
    out,
    steps: 8,
    documents: 48,
    heldOutDocuments: 8,
    chars: CHARSET,
    // A smaller model than the demo's so the test stays fast; same family and tokenizer.
    model: demoModelConfig(tok.vocabSize, { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 2 }),
    threads: null,
    batchSize: 8,
    lr: 1e-2,
    warmupSteps: 2,
    evalSteps: 4,
    saveSteps: 0,
    ...over,
  };
}

const corpus = ({ seed, documents }: { seed: number; documents: number }) => generateCorpus({ seed, documents });

test('the run config names its corpus; an unknown one is refused before training, a Countdown one trains', async () => {
  const root = tempDir();
  await assert.rejects(
    runPretrain({ runDir: join(root, 'bad'), options: options(join(root, 'bad-model'), { corpus: 'poetry' }), quiet: true, log: () => {} }),
    /unknown corpus "poetry" \(corpora: arithmetic, countdown, countdown-retry, countdown-retry-check, world\)/,
  );
  const r = await runPretrain({ runDir: join(root, 'run'), options: options(join(root, 'model'), { corpus: 'countdown', steps: 2 }), quiet: true, log: () => {} });
  assert.equal(r.modelDir, join(root, 'model'));
  // A second run aimed at the same model folder is refused before it trains, not written over it.
  await assert.rejects(
    runPretrain({ runDir: join(root, 'run2'), options: options(join(root, 'model'), { corpus: 'countdown', steps: 2 }), quiet: true, log: () => {} }),
    /--out .*model already exists and is not empty/,
  );
  assert.equal(existsSync(join(root, 'run2', 'config.json')), false);
  assert.equal((JSON.parse(readFileSync(join(root, 'run', 'config.json'), 'utf8')) as { corpus: string }).corpus, 'countdown');
});

test('pretraining writes a loadable model folder with the character tokenizer and lowers the loss', async () => {
  const root = tempDir();
  const out = join(root, 'model');
  const docs = corpus({ seed: 5, documents: 20 });
  const r = await runPretrain({ runDir: join(root, 'run'), options: options(out, { seed: 5 }), quiet: true, log: () => {} });
  assert.equal(r.interrupted, false);
  assert.equal(r.modelDir, out);
  const loaded = loadModel(out);
  assert.equal(loaded.tokenizer.kind, 'char');
  assert.equal(loaded.config.max_position_embeddings, 384);
  assert.equal(loaded.tokenizer.decode(loaded.tokenizer.encode(docs[0])), docs[0]);
  const rows = readFileSync(join(root, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.equal(rows.length, 8);
  assert.ok(rows[7].loss < rows[0].loss - 0.5, `loss ${rows[0].loss} -> ${rows[7].loss}`);
  assert.ok(Number.isFinite(rows[3].eval_loss) && Number.isFinite(rows[7].eval_loss));
  // The saved weights are the trained ones.
  const ex = documentExamples(tok, docs);
  assert.ok(Math.abs(evaluateLoss(loaded.model, ex, 8, 384, 0) - evaluateLoss(loaded.model, ex, 3, 384, 0)) < 1e-4, 'eval loss does not depend on batching');
});

test('the same seed rebuilds the same weights byte for byte; another seed does not', async () => {
  const build = async (seed: number) => {
    const root = tempDir();
    await runPretrain({ runDir: join(root, 'run'), options: options(join(root, 'model'), { steps: 3, seed }), quiet: true, log: () => {} });
    return readFileSync(join(root, 'model', 'model.safetensors'));
  };
  const a = await build(11);
  const b = await build(11);
  const c = await build(12);
  assert.ok(a.equals(b), 'same seed, same bytes');
  assert.ok(!a.equals(c), 'different seed, different weights');
});

test('--init-from continues from a model folder: its weights, a longer context, and shape or tokenizer changes refused', async () => {
  const root = tempDir();
  const first = join(root, 'first');
  await runPretrain({ runDir: join(root, 'run1'), options: options(first, { seed: 3 }), quiet: true, log: () => {} });
  const start = loadModel(first);
  const longer = { ...start.config, max_position_embeddings: 768 };
  // A learning rate of ~0: the continued model is the first one, now with a 768-character context.
  const out = join(root, 'longer');
  const continued = (runDir: string, dir: string, initFrom?: string) =>
    runPretrain({ runDir, options: options(dir, { steps: 1, seed: 4, ...(initFrom ? { initFrom } : {}), model: longer, seqLen: 768, batching: 'packed', lr: 1e-12, warmupSteps: 0 }), quiet: true, log: () => {} });
  const r = await continued(join(root, 'run2'), out, first);
  await continued(join(root, 'random'), join(root, 'random-model'));
  const cont = loadModel(out);
  assert.equal(cont.config.max_position_embeddings, 768);
  const before = start.model.parameters();
  for (const [name, p] of cont.model.parameters()) {
    const q = before.get(name)!;
    let worst = 0;
    for (let i = 0; i < p.data.length; i++) worst = Math.max(worst, Math.abs(p.data[i] - q.data[i]));
    assert.ok(worst < 1e-6, `${name} moved by ${worst}`);
  }
  // The first step's loss (same rows) is the trained model's, well below a random start's.
  const firstLoss = (runDir: string) => (JSON.parse(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n')[0]) as { loss: number }).loss;
  assert.equal(r.state.step, 1);
  assert.ok(firstLoss(join(root, 'run2')) < firstLoss(join(root, 'random')) - 0.3, `${firstLoss(join(root, 'run2'))} vs random ${firstLoss(join(root, 'random'))}`);
  assert.equal((JSON.parse(readFileSync(join(root, 'run2', 'config.json'), 'utf8')) as { initFrom: string }).initFrom, first);

  await assert.rejects(
    runPretrain({ runDir: join(root, 'run3'), options: options(join(root, 'wider'), { initFrom: first, model: { ...start.config, hidden_size: 48 } }), quiet: true, log: () => {} }),
    /--init-from .*first: hidden_size is 32 there and 48 in the settings given; only settings without weights \(max_position_embeddings, rope_theta, rms_norm_eps\) may differ/,
  );
  // Same shapes, other meaning (two heads of 16 read as one of 32): refused as well.
  await assert.rejects(
    runPretrain({ runDir: join(root, 'run3b'), options: options(join(root, 'heads'), { initFrom: first, model: { ...start.config, num_attention_heads: 1, num_key_value_heads: 1, head_dim: 32 } }), quiet: true, log: () => {} }),
    /--init-from .*first: (num_attention_heads|head_dim|num_key_value_heads) is \d+ there and \d+ in the settings given/,
  );
  // A folder whose character tokenizer has other characters: its embedding rows mean other things.
  const digits = join(root, 'digits');
  const small = new CharTokenizer({ chars: '0123456789' });
  saveModel(createTransformer({ ...start.config, vocab_size: small.vocabSize }, { seed: 1 }), small, digits);
  await assert.rejects(
    runPretrain({ runDir: join(root, 'run5'), options: options(join(root, 'x'), { steps: 1, initFrom: digits }), quiet: true, log: () => {} }),
    /--init-from .*digits: its tokenizer is not aha's character-level tokenizer over the corpus's characters/,
  );
});
