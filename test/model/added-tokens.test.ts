// Adding Satori's meta-action tokens: one id each, decoded back, saved and reloaded with the new
// vocab_size, and the old ids' logits untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { addTokens, addTokensToFolder, META_ACTIONS } from '../../src/model/added-tokens.js';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { logitsOf, tempDir, tinyModel } from './helpers.js';
import { TINY_TOKENIZER_SIZE, writeTinyHfFolder } from './hf-folder.js';

const TEXT = '<think>\n3+4: 7.<|reflect|>3-4 no<|explore|>done</think>';

test('char tokenizer: each meta-action is one new id after the old ones, decodes back, survives save and reload', () => {
  const model = tinyModel({ tie_word_embeddings: true });
  const tok = new CharTokenizer();
  const before = tok.vocabSize;
  const out = addTokens(model, tok);
  assert.deepEqual(out.ids, [before, before + 1, before + 2]);
  const ids = out.tokenizer.encode(TEXT);
  assert.equal(ids.filter((i) => out.ids.includes(i)).length, 2);
  assert.equal(out.tokenizer.decode(ids), TEXT);
  for (const [k, t] of META_ACTIONS.entries()) assert.deepEqual([...out.tokenizer.encode(t)], [out.ids[k]]);
  // Old text encodes to the very same ids.
  assert.deepEqual([...out.tokenizer.encode('Make 10 from 3, 7.')], [...tok.encode('Make 10 from 3, 7.')]);
  assert.equal(out.model.config.vocab_size, before + 3);

  const dir = join(tempDir('added-tokens'), 'm');
  saveModel(out.model, out.tokenizer, dir);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size: number };
  assert.equal(cfg.vocab_size, before + 3);
  const back = loadModel(dir);
  assert.deepEqual([...back.tokenizer.encode(TEXT)], [...ids]);
  assert.equal(back.tokenizer.decode(ids), TEXT);
  assert.deepEqual([...logitsOf(back.model, ids)], [...logitsOf(out.model, ids)]);
});

test('the grown model gives old ids the same logits; new rows are the mean of the old ones', () => {
  for (const tied of [true, false]) {
    const model = tinyModel({ tie_word_embeddings: tied }, 3);
    const tok = new CharTokenizer();
    const out = addTokens(model, tok);
    const ids = tok.encode('Make 12 from 5, 7.');
    const old = logitsOf(model, ids);
    const grown = logitsOf(out.model, ids);
    const V = tok.vocabSize;
    const Vn = V + 3;
    for (let p = 0; p < ids.length; p++) {
      for (let v = 0; v < V; v++) assert.ok(Math.abs(grown[p * Vn + v] - old[p * V + v]) < 1e-5, `tied=${tied} position ${p} id ${v}`);
    }
    const emb = out.model.parameters().get('model.embed_tokens.weight')!;
    const H = out.model.config.hidden_size;
    for (let j = 0; j < H; j++) {
      let mean = 0;
      for (let r = 0; r < V; r++) mean += emb.data[r * H + j];
      assert.ok(Math.abs(emb.data[V * H + j] - mean / V) < 1e-5);
    }
    // The output head (the embedding when tied) has a row for every new id.
    const head = out.model.parameters().get(tied ? 'model.embed_tokens.weight' : 'lm_head.weight')!;
    assert.equal(head.shape[0], Vn);
  }
});

test('HF tokenizer: the meta-actions become whole non-special added tokens that completions keep; an untied lm_head grows; the folder reloads', () => {
  const root = tempDir('added-tokens-hf');
  const src = join(root, 'src');
  writeTinyHfFolder(src, { arch: 'qwen2', vocabSize: TINY_TOKENIZER_SIZE, tieWordEmbeddings: false, chatTemplate: 'none' });
  const before = loadModel(src);
  const dst = join(root, 'dst');
  const out = addTokensToFolder(src, dst);
  assert.deepEqual(out.ids, [TINY_TOKENIZER_SIZE, TINY_TOKENIZER_SIZE + 1, TINY_TOKENIZER_SIZE + 2]);
  const back = loadModel(dst);
  assert.equal(back.config.vocab_size, TINY_TOKENIZER_SIZE + 3);
  const text = 'ab <|reflect|> cd<|explore|>';
  const ids = back.tokenizer.encode(text, { addSpecialTokens: false });
  assert.ok(ids.includes(out.ids[1]) && ids.includes(out.ids[2]));
  assert.equal(back.tokenizer.decode(ids, { skipSpecialTokens: false }), text);
  // A completion is decoded with special tokens skipped: the meta-actions must stay in its text
  // (the reflection bonus and the COAT metrics read them there), while the EOS still goes.
  const eos = back.tokenizer.eosId;
  assert.ok(eos !== null);
  assert.equal(back.tokenizer.decode([...ids, eos]), text);
  const tj = JSON.parse(readFileSync(join(dst, 'tokenizer.json'), 'utf8')) as { added_tokens: { content: string; special: boolean; id: number }[] };
  for (const t of META_ACTIONS) assert.equal(tj.added_tokens.find((a) => a.content === t)?.special, false);
  const old = before.tokenizer.encode('hello world', { addSpecialTokens: false });
  const a = logitsOf(before.model, old);
  const b = logitsOf(back.model, old);
  const V = TINY_TOKENIZER_SIZE;
  for (let p = 0; p < old.length; p++) for (let v = 0; v < V; v++) assert.ok(Math.abs(a[p * V + v] - b[p * (V + 3) + v]) < 1e-5);
});

test('refusals: a token already in the vocabulary, a repeat, white space', () => {
  const model = tinyModel();
  const tok = new CharTokenizer();
  assert.throws(() => addTokens(model, tok, ['<think>']), /already token/);
  assert.throws(() => addTokens(model, tok, ['<|a|>', '<|a|>']), /listed twice/);
  assert.throws(() => addTokens(model, tok, ['<|a b|>']), /white space/);
  assert.throws(() => addTokens(model, tok, []), /no tokens/);
});

test('aha tokens add writes the extended folder; a used --out or a known token is refused before writing', async () => {
  const { runCommand } = await import('../cli/in-process.js');
  const { register } = await import('../../src/cli/commands/tokens.js');
  const root = tempDir('tokens-cli');
  const src = join(root, 'src');
  saveModel(tinyModel(), new CharTokenizer(), src);
  const out = join(root, 'out');
  const text = await runCommand(register, 'tokens', ['add', '--model', src, '--out', out]);
  const V = new CharTokenizer().vocabSize;
  assert.match(text, new RegExp(`<\\|reflect\\|> = ${V + 1}`));
  assert.equal(loadModel(out).config.vocab_size, V + 3);
  await assert.rejects(runCommand(register, 'tokens', ['add', '--model', src, '--out', out]), /already exists/);
  await assert.rejects(runCommand(register, 'tokens', ['add', '--model', out, '--out', join(root, 'again')]), /already token/);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(join(root, 'again')), false);
});
