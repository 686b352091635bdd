// Pretraining: a small run from a corpus gives a model folder that loads, and the same seed and
// thread count give the same weights byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load-model.js';
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
    /unknown corpus "poetry" \(corpora: arithmetic, countdown, world\)/,
  );
  const r = await runPretrain({ runDir: join(root, 'run'), options: options(join(root, 'model'), { corpus: 'countdown', steps: 2 }), quiet: true, log: () => {} });
  assert.equal(r.modelDir, join(root, 'model'));
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
