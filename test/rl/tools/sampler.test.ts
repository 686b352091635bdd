// Multi-turn sampling with tools: stops at a closing call tag, appends the tool's result by a
// prefill of that row only (the cache is kept), marks which tokens the model wrote, lets other
// rows go on while a tool runs, and turns over-cap, malformed and slow calls into error results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharTokenizer } from '../../../src/model/char-tokenizer.js';
import { sample } from '../../../src/model/sampling.js';
import { Rng } from '../../../src/util/rng.js';
import { sampleWithTools, type ToolSampleOptions } from '../../../src/rl/tools/sampler.js';
import { defineTool, type Tool } from '../../../src/tools/tool.js';
import { toolResultText } from '../../../src/tasks/tool-text.js';
import { FakeLM } from '../../model/fake-lm.js';
import { ScriptedLM } from './scripted-lm.js';

const tok = new CharTokenizer();
const greedy = { temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1 };
const enc = (s: string) => tok.encode(s, { addSpecialTokens: false });
const INFO = 'doc 1: Tiko is from Cardo.';

function options(tools: Tool[], over: Partial<ToolSampleOptions> = {}): ToolSampleOptions {
  return { maxNewTokens: 200, sampling: greedy, eosIds: [tok.eosId!], tokenizer: tok, rng: new Rng(1), tools, maxToolCalls: 4, toolTimeoutMs: 5000, ...over };
}

test('a call stops generation, its result is appended by a prefill of that row only, and only model tokens are in the mask', { timeout: 20000 }, async () => {
  const call = '<search>Tiko</search>';
  const env = toolResultText('information', INFO);
  const after = '<answer>Cardo</answer>';
  const other = '<answer>x</answer>';
  const model = new ScriptedLM(tok, { 'Q1:': call + env + after, 'Q2:': other });
  const queries: string[] = [];
  // The tool answers only once the other row has finished decoding: a sampler that waited for
  // the tool before decoding other rows would never get there.
  const search = defineTool({
    name: 'search', resultTag: 'information',
    call: async (q) => {
      queries.push(q);
      while (model.decodeCalls < enc(other).length + 1) await new Promise((r) => setImmediate(r));
      return INFO;
    },
  });
  const [a, b] = await sampleWithTools(model, [enc('Q1:'), enc('Q2:')], options([search]));
  assert.deepEqual(queries, ['Tiko']);
  assert.equal(a.text, call + env + after);
  assert.equal(a.finishReason, 'eos');
  assert.equal(b.text, other);
  assert.deepEqual(a.segments.map((s) => [s.kind, s.text]), [['model', call], ['tool', env], ['model', after]]);
  assert.equal(a.segments[1].invalid, false);
  const [n1, n2, n3] = [enc(call).length, enc(env).length, enc(after).length + 1];
  assert.deepEqual(Array.from(a.modelMask), [...Array(n1).fill(1), ...Array(n2).fill(0), ...Array(n3).fill(1)]);
  assert.equal(a.tokens.length, n1 + n2 + n3);
  for (let j = n1; j < n1 + n2; j++) assert.equal(a.logprobs[j], 0);
  assert.deepEqual(Array.from(b.modelMask), Array(enc(other).length + 1).fill(1));
  // Row 0's prefills: its prompt, then the closing token plus the result; nothing re-encoded.
  assert.deepEqual(model.prefills.filter((p) => p.row === 0).map((p) => p.tokens), [enc('Q1:').length, 1 + n2]);
});

test('a call past max_tool_calls and a call without an opening tag get error results and count as invalid', async () => {
  const first = '<search>a</search>';
  const r1 = toolResultText('information', 'found a');
  const second = '<search>b</search>';
  const r2 = toolResultText('information', 'error: at most 1 tool calls per answer');
  const bad = 'oops</search>';
  const r3 = toolResultText('information', 'error: write <search>input</search>');
  const model = new ScriptedLM(tok, { 'Q:': first + r1 + second + r2 + '<answer>1</answer>', 'R:': bad + r3 + '<answer>2</answer>' });
  let calls = 0;
  const search = defineTool({ name: 'search', resultTag: 'information', call: (q) => (calls++, `found ${q}`) });
  const [a, b] = await sampleWithTools(model, [enc('Q:'), enc('R:')], options([search], { maxToolCalls: 1 }));
  assert.equal(calls, 1);
  assert.deepEqual(a.segments.filter((s) => s.kind === 'tool').map((s) => s.invalid), [false, true]);
  assert.deepEqual(b.segments.filter((s) => s.kind === 'tool').map((s) => [s.text, s.invalid]), [[r3, true]]);
});

test('an empty or blank call is malformed: the tool is not run and the call counts as invalid', async () => {
  const refusal = toolResultText('information', 'error: write <search>input</search>');
  const script = '<search></search>' + refusal + '<search> \n </search>' + refusal + '<answer>1</answer>';
  const model = new ScriptedLM(tok, { 'Q:': script });
  const queries: string[] = [];
  const search = defineTool({ name: 'search', resultTag: 'information', call: (q) => (queries.push(q), 'no results.') });
  const [a] = await sampleWithTools(model, [enc('Q:')], options([search]));
  assert.equal(a.text, script);
  assert.deepEqual(queries, []);
  assert.deepEqual(a.segments.filter((s) => s.kind === 'tool').map((s) => s.invalid), [true, true]);
});

test('a result holding a special token\'s text: the token is context (masked, not the end of the answer), and the segment shows it', async () => {
  const call = '<search>q</search>';
  const passage = 'a <eos> b';
  // The model reads the result as decoded without special tokens.
  const model = new ScriptedLM(tok, { 'Q:': call + toolResultText('information', 'a  b') + 'x' });
  const search = defineTool({ name: 'search', resultTag: 'information', call: () => passage });
  const [a] = await sampleWithTools(model, [enc('Q:')], options([search]));
  assert.equal(a.finishReason, 'eos');
  assert.equal(a.text, call + toolResultText('information', passage) + 'x');
  const n1 = enc(call).length;
  const eosAt = Array.from(a.tokens).indexOf(tok.eosId!);
  assert.ok(eosAt > n1 && eosAt < a.tokens.length - 1 && a.modelMask[eosAt] === 0, 'the passage\'s <eos> is a masked context token');
});

test('a tool that outlives tool_timeout, or throws, gives an error result', { timeout: 20000 }, async () => {
  const call = '<slow>x</slow>';
  const res = toolResultText('out', 'error: slow failed: timed out after 0.05 s');
  const call2 = '<boom>y</boom>';
  const res2 = toolResultText('out', 'error: boom failed: no');
  const model = new ScriptedLM(tok, { 'Q:': call + res + call2 + res2 + 'end' });
  const slow = defineTool({ name: 'slow', resultTag: 'out', call: (_, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => setTimeout(() => resolve('late'), 10))) });
  const boom = defineTool({ name: 'boom', resultTag: 'out', call: () => { throw new Error('no'); } });
  const t0 = Date.now();
  const [a] = await sampleWithTools(model, [enc('Q:')], options([slow, boom], { toolTimeoutMs: 50 }));
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(a.text, call + res + call2 + res2 + 'end');
  assert.deepEqual(a.segments.filter((s) => s.kind === 'tool').map((s) => s.invalid), [true, true]);
});

test('a result longer than the budget is cut, and the completion ends as truncated', async () => {
  const call = '<search>q</search>';
  const long = 'z'.repeat(100);
  const model = new ScriptedLM(tok, { 'Q:': call + toolResultText('information', long) });
  const search = defineTool({ name: 'search', resultTag: 'information', call: () => long });
  const max = enc(call).length + 20;
  const [a] = await sampleWithTools(model, [enc('Q:')], options([search], { maxNewTokens: max }));
  assert.equal(a.finishReason, 'length');
  assert.equal(a.tokens.length, max);
  assert.equal(a.segments[1].tokens, 20);
  assert.equal(a.modelMask.reduce((n, m) => n + m, 0), enc(call).length);
});

test('with no call made, the samples are those of the plain sampler for the same seed', async () => {
  const model = new FakeLM(40);
  const prompts = [Int32Array.from([5, 6, 7]), Int32Array.from([9]), Int32Array.from([11, 12])];
  const never = defineTool({ name: 'never', resultTag: 'out', call: () => 'x' });
  const plain = sample(model, prompts, { maxNewTokens: 12, temperature: 0.8, topK: 10, eosIds: [2], rng: new Rng(5) });
  const withTools = await sampleWithTools(model, prompts, {
    maxNewTokens: 12, sampling: { ...greedy, temperature: 0.8, topK: 10 }, eosIds: [2], tokenizer: new CharTokenizer({ chars: 'abcdefghijklmnopqrstuvwxyz<>/0123' }), rng: new Rng(5), tools: [never], maxToolCalls: 2, toolTimeoutMs: 1000, batchSize: 2,
  });
  assert.deepEqual(withTools.map((s) => Array.from(s.tokens)), plain.map((s) => Array.from(s.tokens)));
  assert.deepEqual(withTools.map((s) => Array.from(s.logprobs)), plain.map((s) => Array.from(s.logprobs)));
  for (const s of withTools) assert.ok(s.modelMask.every((m) => m === 1));
});

test('defineTool refuses a name the model could not write as a tag', () => {
  assert.throws(() => defineTool({ name: 'my tool', resultTag: 'out', call: () => '' }), /letters, digits/);
  assert.throws(() => defineTool({ name: 'x', resultTag: 'x', call: () => '' }), /must differ/);
});

test('prompts are checked as sample checks them: empty, outside the vocabulary, or too long for the context', async () => {
  const model = new ScriptedLM(tok, { 'Q:': 'a' });
  const search = defineTool({ name: 'search', resultTag: 'information', call: () => INFO });
  await assert.rejects(sampleWithTools(model, [new Int32Array(0)], options([search])), /prompt 0 is empty/);
  await assert.rejects(sampleWithTools(model, [Int32Array.of(model.config.vocab_size)], options([search])), /prompt 0 holds token id \d+, outside the vocabulary/);
  await assert.rejects(sampleWithTools(model, [enc('Q:')], options([search], { maxNewTokens: model.config.max_position_embeddings })), /exceeds the model's context/);
});
