// The OpenAI-compatible client against a fake server over real HTTP: request shape, endpoint
// URLs, retries on 429/5xx/dropped connections with Retry-After, and no retry on a 4xx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteGenerator, resolveEndpointUrl } from '../../src/eval/remote.js';
import { backoffDelayMs, parseRetryAfter } from '../../src/eval/retry.js';
import { startFakeServer } from './fake-openai-server.js';

const sampling = { temperature: 0.6, topP: 0.95, maxTokens: 64 };
const fast = { timeoutMs: 2000, retries: 3, backoffBaseMs: 5, backoffMaxMs: 50 };

test('endpoint URLs: base, /v1, or the full path', () => {
  assert.equal(resolveEndpointUrl('http://h:8000', 'chat'), 'http://h:8000/v1/chat/completions');
  assert.equal(resolveEndpointUrl('http://h:8000/v1/', 'completions'), 'http://h:8000/v1/completions');
  assert.equal(resolveEndpointUrl('http://h/api/v1/chat/completions', 'chat'), 'http://h/api/v1/chat/completions');
  assert.throws(() => resolveEndpointUrl('http://h/v1/completions', 'chat'), /completions endpoint but --api is chat/);
  assert.throws(() => resolveEndpointUrl('localhost:8000', 'chat'), /must be an http/);
  assert.throws(() => resolveEndpointUrl('not a url', 'chat'), /not a URL/);
});

test('Retry-After parsing and backoff growth', () => {
  assert.equal(parseRetryAfter('3'), 3);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6);
  assert.equal(parseRetryAfter(null), null);
  const opts = { baseMs: 100, maxMs: 1000 };
  for (let attempt = 0; attempt < 6; attempt++) {
    const cap = Math.min(1000, 100 * 2 ** attempt);
    assert.equal(backoffDelayMs(attempt, opts, null, () => 0), cap / 2);
    assert.equal(backoffDelayMs(attempt, opts, null, () => 0.999999) <= cap, true);
  }
  assert.equal(backoffDelayMs(0, opts, 0.25), 250);
  assert.equal(backoffDelayMs(0, opts, 60), 1000, 'Retry-After is capped');
});

test('chat and completions requests carry the sampling options and return usage', async () => {
  const server = await startFakeServer({ reply: (prompt, i) => `echo ${prompt} #${i}` });
  try {
    const chat = new RemoteGenerator({ endpoint: server.url, model: 'm1', api: 'chat', system: 'be brief', apiKey: 'k', ...fast });
    const r = await chat.generate({ prompt: 'hello there', n: 2, seed: 7 }, { ...sampling, topK: 20, minP: 0.05, repetitionPenalty: 1.1, stop: ['</answer>'] });
    assert.deepEqual(
      r.samples.map((s) => s.text),
      ['echo hello there #0', 'echo hello there #1'],
    );
    assert.deepEqual(r.usage, { promptTokens: 2, completionTokens: 8 });
    const body = server.requests[0].body;
    assert.equal(server.requests[0].path, '/v1/chat/completions');
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello there' },
    ]);
    assert.equal(body.model, 'm1');
    assert.equal(body.n, 2);
    assert.equal(body.temperature, 0.6);
    assert.equal(body.top_p, 0.95);
    assert.equal(body.top_k, 20);
    assert.equal(body.min_p, 0.05);
    assert.equal(body.repetition_penalty, 1.1);
    assert.equal(body.max_tokens, 64);
    assert.equal(body.seed, 7);
    assert.deepEqual(body.stop, ['</answer>']);
    assert.equal('chat_template_kwargs' in body, false, 'no template variables given, none sent');
    // Template variables reach the server as vLLM / SGLang read them (chat requests only).
    const thinkingOff = new RemoteGenerator({ endpoint: server.url, model: 'm1', api: 'chat', chatTemplateArgs: { enable_thinking: false }, ...fast });
    await thinkingOff.generate({ prompt: 'hi', n: 1 }, sampling);
    assert.deepEqual(server.requests.at(-1)!.body.chat_template_kwargs, { enable_thinking: false });
    const comp = new RemoteGenerator({ endpoint: server.url + '/v1', model: 'm1', api: 'completions', ...fast });
    const c = await comp.generate({ prompt: 'def f():', n: 1 }, sampling);
    assert.equal(c.samples[0].text, 'echo def f(): #0');
    const last = server.requests.at(-1)!;
    assert.equal(last.path, '/v1/completions');
    assert.equal(last.body.prompt, 'def f():');
    assert.equal('top_k' in last.body, false);
    assert.equal('min_p' in last.body, false);
    assert.equal('repetition_penalty' in last.body, false);
  } finally {
    await server.close();
  }
});

test('429, 503 and dropped connections are retried; Retry-After is honoured', async () => {
  const server = await startFakeServer({
    reply: () => 'ok',
    fail: (req) => (req.number === 1 ? { status: 429, retryAfter: '0.2' } : req.number === 2 ? { status: 503 } : req.number === 3 ? 'drop' : null),
  });
  try {
    const gen = new RemoteGenerator({ endpoint: server.url, model: 'm', api: 'chat', ...fast, backoffMaxMs: 1000 });
    const t0 = Date.now();
    const r = await gen.generate({ prompt: 'x', n: 1 }, sampling);
    assert.equal(r.samples[0].text, 'ok');
    assert.equal(server.requests.length, 4);
    assert.equal(gen.retries(), 3);
    assert.ok(Date.now() - t0 >= 190, 'waited for Retry-After');
  } finally {
    await server.close();
  }
});

test('a 4xx is not retried and its message reaches the user; retries run out', async () => {
  const server = await startFakeServer({
    reply: () => 'ok',
    fail: (req) => (req.body.model === 'nope' ? { status: 404, message: 'The model `nope` does not exist.' } : { status: 500 }),
  });
  try {
    const bad = new RemoteGenerator({ endpoint: server.url, model: 'nope', api: 'chat', ...fast });
    await assert.rejects(bad.generate({ prompt: 'x', n: 1 }, sampling), (err: Error & { retryable?: boolean }) => {
      assert.match(err.message, /HTTP 404: The model `nope` does not exist\./);
      assert.equal(err.retryable, false);
      return true;
    });
    assert.equal(server.requests.length, 1);
    const down = new RemoteGenerator({ endpoint: server.url, model: 'm', api: 'chat', ...fast, retries: 2 });
    await assert.rejects(down.generate({ prompt: 'x', n: 1 }, sampling), /HTTP 500/);
    assert.equal(server.requests.length, 1 + 3);
  } finally {
    await server.close();
  }
});

test('a request that outlives its timeout is retried', async () => {
  const server = await startFakeServer({ reply: () => 'late', delayMs: 300 });
  try {
    const gen = new RemoteGenerator({ endpoint: server.url, model: 'm', api: 'chat', ...fast, timeoutMs: 50, retries: 1 });
    await assert.rejects(gen.generate({ prompt: 'x', n: 1 }, sampling), /: http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions gave no answer within 0.05 s$/);
    assert.equal(gen.retries(), 1);
  } finally {
    await server.close();
  }
});

test('separate reasoning text is kept, and graded when the content is empty', async () => {
  const server = await startFakeServer({ reply: (_p, i) => (i === 0 ? 'The answer is \\boxed{4}.' : ''), reasoning: (_p, i) => `thinking ${i}... \\boxed{${i}}` });
  try {
    const gen = new RemoteGenerator({ endpoint: server.url, model: 'm', api: 'chat', ...fast });
    const r = await gen.generate({ prompt: 'x', n: 2 }, sampling);
    assert.equal(r.samples[0].text, 'The answer is \\boxed{4}.');
    assert.equal(r.samples[0].reasoning, 'thinking 0... \\boxed{0}');
    assert.equal(r.samples[1].text, 'thinking 1... \\boxed{1}');
  } finally {
    await server.close();
  }
});

test('an address where nobody listens fails at once, without backoff', async () => {
  const server = await startFakeServer({ reply: () => 'ok' });
  const url = server.url;
  await server.close();
  const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast, backoffBaseMs: 10_000 });
  const t0 = Date.now();
  await assert.rejects(gen.generate({ prompt: 'x', n: 1 }, sampling), /cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: ECONNREFUSED/);
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(gen.retries(), 0);
});
