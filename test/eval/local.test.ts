// The local backend: a tiny real transformer saved as a model folder, evaluated through the same
// harness (chat template, batched sampling, token usage, resumption).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createTransformer } from '../../src/model/transformer.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { saveModel } from '../../src/model/load-model.js';
import { encodeChat } from '../../src/model/tokenizer.js';
import { LocalGenerator } from '../../src/eval/local.js';
import { runEval } from '../../src/eval/run.js';
import { mathGrader } from '../../src/eval/grading.js';
import { resolveTemplate, renderPrompt } from '../../src/eval/templates.js';
import type { EvalProblem } from '../../src/eval/problems.js';
import { numericVerifier, tempDir } from './helpers.js';

/** The tiny model's shape; vocab_size comes from its tokenizer. */
const TINY = {
  model_type: 'qwen2' as const,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 512,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: true,
  bos_token_id: 1,
  eos_token_id: 2,
};

function tinyModelFolder(): string {
  const tok = new CharTokenizer();
  const model = createTransformer({ ...TINY, vocab_size: tok.vocabSize }, { seed: 3 });
  const dir = join(tempDir(), 'tiny');
  saveModel(model, tok, dir);
  return dir;
}

const problems: EvalProblem[] = [
  { id: 'a', line: 1, problem: '1+1?', gold: '2' },
  { id: 'b', line: 2, problem: '2+3?', gold: '5' },
  { id: 'c', line: 3, problem: '7-4?', gold: '3' },
];

test('a local model folder evaluates through the harness, batched and resumable', async () => {
  const dir = tinyModelFolder();
  const template = resolveTemplate('math');
  const run = (out: string, samples: number) =>
    runEval({
      problems,
      samples,
      generator: LocalGenerator.open(dir, { api: 'chat' }),
      sampling: { temperature: 1, topP: 1, maxTokens: 6 },
      template,
      grader: mathGrader(numericVerifier),
      concurrency: 8,
      samplesPerRequest: 1,
      outFile: out,
      settings: { model: dir },
      seed: 5,
      quiet: true,
    });
  const out = join(tempDir(), 'local.jsonl');
  const r = await run(out, 2);
  assert.equal(r.generated, 6);
  assert.deepEqual(Object.keys(r.metrics), ['pass@1', 'pass@2', 'maj@2']);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const tok = new CharTokenizer();
  const promptLen = encodeChat(tok, [{ role: 'user', content: renderPrompt(template, '1+1?') }]).length;
  const a0 = lines.find((l) => l.id === 'a' && l.sample === 0);
  assert.equal(a0.usage.prompt_tokens, promptLen);
  assert.ok(a0.usage.completion_tokens >= 1 && a0.usage.completion_tokens <= 6);
  assert.ok(['stop', 'length'].includes(a0.finish_reason));
  const more = await run(out, 3);
  assert.equal(more.resumed, 6);
  assert.equal(more.generated, 3);
});

test('chat-template variables reach the local model\'s template (as enable_thinking reaches Qwen3\'s)', async () => {
  // A template that writes one more character when the variable is set: the prompt grows by one token.
  const tok = new CharTokenizer({ chatTemplate: "{% if think is defined and think %}T{% endif %}{{ messages[0]['content'] }}" });
  const model = createTransformer({ ...TINY, vocab_size: tok.vocabSize }, { seed: 3 });
  const dir = join(tempDir(), 'templated');
  saveModel(model, tok, dir);
  const promptTokens = async (chatTemplateArgs?: { think: boolean }) => {
    const gen = LocalGenerator.open(dir, { api: 'chat', ...(chatTemplateArgs ? { chatTemplateArgs } : {}) });
    const r = await gen.generate({ prompt: '1+1?', n: 1, seed: 1 }, { temperature: 0, topP: 1, maxTokens: 2 });
    return r.usage.promptTokens;
  };
  const plain = await promptTokens();
  assert.equal(await promptTokens({ think: true }), plain + 1);
  assert.equal(await promptTokens({ think: false }), plain);
});

test('completions mode loads a folder; a missing folder is refused clearly', () => {
  const dir = tinyModelFolder();
  const gen = LocalGenerator.open(dir, { api: 'completions' });
  assert.match(gen.description, /local model/);
  assert.throws(() => LocalGenerator.open(join(dir, 'nope'), { api: 'chat' }), /no such model folder/);
});

test('a local sample is the same however it is batched, and when a run grows or resumes', async () => {
  const dir = tinyModelFolder();
  const run = (out: string, samples: number, concurrency: number, samplesPerRequest: number) =>
    runEval({
      problems,
      samples,
      generator: LocalGenerator.open(dir, { api: 'chat' }),
      sampling: { temperature: 1, topP: 1, maxTokens: 12 },
      template: resolveTemplate('math'),
      grader: mathGrader(numericVerifier),
      concurrency,
      samplesPerRequest,
      outFile: out,
      settings: { model: dir },
      seed: 5,
      quiet: true,
    });
  const texts = (out: string) =>
    Object.fromEntries(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((l) => [`${l.id}/${l.sample}`, l.completion]),
    );
  const allAtOnce = join(tempDir(), 'batched.jsonl');
  await run(allAtOnce, 3, 8, 1);
  const oneByOne = join(tempDir(), 'single.jsonl');
  await run(oneByOne, 3, 1, 3);
  const grown = join(tempDir(), 'grown.jsonl');
  await run(grown, 1, 2, 1);
  await run(grown, 3, 8, 3);
  const expected = texts(allAtOnce);
  assert.equal(Object.keys(expected).length, 9);
  assert.ok(new Set(Object.values(expected)).size > 3, 'samples differ from each other');
  assert.deepEqual(texts(oneByOne), expected);
  assert.deepEqual(texts(grown), expected);
});

test('requests with different sampling options in one turn each keep their own options', async () => {
  const gen = LocalGenerator.open(tinyModelFolder(), { api: 'completions' });
  const base = { temperature: 1, topP: 1 };
  // Issued together, so they land in one flush; each must get its own token limit.
  const [short, long] = await Promise.all([
    gen.generate({ prompt: 'ab', n: 2, sampleSeeds: [1, 2] }, { ...base, maxTokens: 3 }),
    gen.generate({ prompt: 'ab', n: 1, sampleSeeds: [3] }, { ...base, maxTokens: 40 }),
  ]);
  assert.ok(short.usage.completionTokens <= 6, `two samples of at most 3 tokens, got ${short.usage.completionTokens}`);
  const alone = await gen.generate({ prompt: 'ab', n: 1, sampleSeeds: [3] }, { ...base, maxTokens: 40 });
  assert.equal(long.samples[0].text, alone.samples[0].text, 'the 40-token request is not cut to the other request\'s 3');
  assert.equal(long.usage.completionTokens, alone.usage.completionTokens);
});
