// How vLLM, SGLang, llama.cpp's server and Ollama really answer (docs/eval.md, "How servers
// answer"), played by the fake server: n > 1 refused with an HTTP error, choices out of order or
// ended by the server ("abort"), reasoning under either field name, errors in an HTTP 200 body,
// an unknown model name, a missing key, a full endpoint URL with a trailing slash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestSeed, runEval, type EvalRunOptions } from '../../src/eval/run.js';
import { RemoteGenerator, resolveEndpointUrl } from '../../src/eval/remote.js';
import { mathGrader } from '../../src/eval/grading.js';
import { resolveTemplate } from '../../src/eval/templates.js';
import type { Generator } from '../../src/eval/generator.js';
import type { EvalProblem } from '../../src/eval/problems.js';
import { startFakeServer, type FakeRequest, type FakeServerOptions } from './fake-openai-server.js';
import { numericVerifier, tempDir } from './helpers.js';

const sampling = { temperature: 0.6, topP: 0.95, maxTokens: 64 };
const fast = { timeoutMs: 2000, retries: 2, backoffBaseMs: 5, backoffMaxMs: 20 };
const problems: EvalProblem[] = [
  { id: 'A', line: 1, problem: 'A?', gold: '1' },
  { id: 'B', line: 2, problem: 'B?', gold: '1' },
];

/** Each reply names the seed it was drawn with and the choice, so a test can tell samples apart. */
const seeded = (_p: string, choice: number, req: FakeRequest) => `seed ${String(req.body.seed)} choice ${choice} \\boxed{1}`;

async function withServer<T>(o: Partial<FakeServerOptions>, fn: (url: string, requests: FakeRequest[]) => Promise<T>): Promise<T> {
  const server = await startFakeServer({ reply: seeded, ...o });
  try {
    return await fn(server.url, server.requests);
  } finally {
    await server.close();
  }
}

function evalOptions(generator: Generator, out: string, extra: Partial<EvalRunOptions> = {}): EvalRunOptions {
  return {
    problems, samples: 4, generator, sampling, template: resolveTemplate('math'), grader: mathGrader(numericVerifier),
    concurrency: 2, samplesPerRequest: 4, outFile: out, settings: { model: 'fake' }, seed: 0, quiet: true, ...extra,
  };
}

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; sample: number; completion: string; finish_reason: string | null; reasoning?: string });

/** llama.cpp's answer to n > 1 before it learnt n (late 2025): an exception turned into HTTP 500. */
const llamaCppRefusal = (req: FakeRequest) => (Number(req.body.n ?? 1) > 1 ? { status: 500, body: { error: { code: 500, message: 'Only one completion choice is allowed', type: 'server_error' } } } : null);

test('a server that refuses n > 1 (llama.cpp: HTTP 500) is asked one sample at a time, at once and without backoff, and every sample keeps its own seed', async () => {
  const out = join(tempDir(), 'refuses-n.jsonl');
  const notices: string[] = [];
  await withServer({ raw: llamaCppRefusal }, async (url, requests) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast, backoffBaseMs: 60_000, backoffMaxMs: 60_000, onNotice: (m) => notices.push(m) });
    const t0 = Date.now();
    const r = await runEval(evalOptions(gen, out));
    assert.ok(Date.now() - t0 < 10_000, 'no backoff spent on the refusal');
    assert.equal(r.samples, 4);
    assert.equal(r.metrics['pass@1'], 1);
    const recs = lines(out);
    assert.equal(recs.length, 8, 'K samples of every problem, none lost or doubled');
    for (const rec of recs) assert.match(rec.completion, new RegExp(`^seed ${requestSeed(0, rec.id, rec.sample)} choice 0 `), `${rec.id}#${rec.sample} was drawn with its own seed`);
    assert.ok(requests.filter((q) => Number(q.body.n) > 1).length <= 2, 'after the first refusals, n = 1 only');
    assert.equal(notices.length, 1);
    assert.match(notices[0], /refused n = 4 \(HTTP 500: Only one completion choice is allowed\) but answers n = 1/);
  });
});

test('a bad request is not mistaken for a refusal of n: the n = 1 retry fails the same way and the run stops with the server\'s message', async () => {
  const tooLong = { status: 400, body: { object: 'error', message: "This model's maximum context length is 2048 tokens.", type: 'BadRequestError', param: null, code: 400 } };
  await withServer({ raw: () => tooLong }, async (url, requests) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast, onNotice: () => assert.fail('no notice') });
    await assert.rejects(gen.generate({ prompt: 'x', n: 4 }, sampling), (err: Error & { retryable?: boolean }) => {
      assert.match(err.message, /\/v1\/chat\/completions answered HTTP 400: This model's maximum context length is 2048 tokens\./);
      assert.equal(err.retryable, false);
      return true;
    });
    assert.deepEqual(requests.map((q) => q.body.n), [4, 1]);
  });
});

test('choices come back in index order; choices the server aborted are asked for again, never graded', async () => {
  // vLLM and SGLang put "abort" in an HTTP 200 when the engine drops a request.
  let aborted = 0;
  const raw = (req: FakeRequest) => {
    const n = Number(req.body.n);
    const choices = Array.from({ length: n }, (_, i) => ({ index: i, message: { role: 'assistant', content: seeded('', i, req) }, finish_reason: i === 1 && aborted++ < 2 ? 'abort' : 'stop' }));
    return { status: 200, body: { choices: choices.reverse(), usage: { prompt_tokens: 3, completion_tokens: 5 * n } } };
  };
  const out = join(tempDir(), 'abort.jsonl');
  await withServer({ raw }, async (url) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast });
    const direct = await gen.generate({ prompt: 'x', n: 3, seed: 5 }, sampling);
    assert.deepEqual(direct.samples.map((s) => s.text), ['seed 5 choice 0 \\boxed{1}', 'seed 5 choice 2 \\boxed{1}']);
    const r = await runEval(evalOptions(gen, out, { concurrency: 1 }));
    assert.equal(r.metrics['pass@1'], 1);
    const recs = lines(out);
    assert.equal(recs.length, 8);
    assert.ok(recs.every((x) => x.finish_reason === 'stop'));
  });
  await withServer({ raw: () => ({ status: 200, body: { choices: [{ index: 0, text: 'cut', finish_reason: 'abort' }] } }) }, async (url, requests) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'completions', ...fast });
    await assert.rejects(gen.generate({ prompt: 'x', n: 1 }, sampling), /\/v1\/completions returned only choices it ended itself \(finish_reason "abort"\)/);
    assert.equal(requests.length, 3, 'retried like any server failure');
  });
});

test('reasoning under reasoning_content (SGLang, older vLLM) or reasoning (vLLM since late 2025, Ollama); a cut-off thought keeps "length"', async () => {
  const raw = (req: FakeRequest) => ({
    status: 200,
    body: {
      choices: [
        { index: 0, message: { content: 'So \\boxed{1}', reasoning_content: null, reasoning: 'think A' }, finish_reason: 'stop' },
        { index: 1, message: { content: '', reasoning_content: '', reasoning: 'think B \\boxed{2}' }, finish_reason: 'length' },
        { index: 2, message: { content: 'So \\boxed{3}', reasoning_content: 'think C' }, finish_reason: 'stop' },
      ].slice(0, Number(req.body.n)),
    },
  });
  await withServer({ raw }, async (url) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast });
    const r = await gen.generate({ prompt: 'x', n: 3 }, sampling);
    assert.deepEqual(r.samples, [
      { text: 'So \\boxed{1}', finishReason: 'stop', reasoning: 'think A' },
      { text: 'think B \\boxed{2}', finishReason: 'length', reasoning: 'think B \\boxed{2}' },
      { text: 'So \\boxed{3}', finishReason: 'stop', reasoning: 'think C' },
    ]);
  });
});

test('an error inside an HTTP 200 body is retried and named; vLLM\'s {"object":"error"} body reaches the user', async () => {
  await withServer({ raw: () => ({ status: 200, body: { error: { message: 'upstream model crashed', type: 'server_error' } } }) }, async (url, requests) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast });
    await assert.rejects(gen.generate({ prompt: 'x', n: 1 }, sampling), /127\.0\.0\.1:\d+\/v1\/chat\/completions answered without a "choices" array of objects: upstream model crashed/);
    assert.equal(requests.length, 3);
  });
  await withServer({ raw: () => ({ status: 400, body: { object: 'error', message: 'temperature must be non-negative', type: 'BadRequestError', code: 400 } }) }, async (url) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast });
    await assert.rejects(gen.generate({ prompt: 'x', n: 1 }, sampling), /answered HTTP 400: temperature must be non-negative$/);
  });
});

test('an unknown model name (404) lists the models the server serves; a 404 for a served model points at the URL; a 401 says whether a key was sent', async () => {
  const notFound = (req: FakeRequest) => (req.body.model !== 'Qwen/Qwen2.5-1.5B-Instruct' || req.path.includes('/api/') ? { status: 404, body: { error: { message: `The model \`${String(req.body.model)}\` does not exist.`, type: 'NotFoundError', code: 404 } } } : null);
  await withServer({ raw: notFound, models: ['Qwen/Qwen2.5-1.5B-Instruct'] }, async (url, requests) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'qwen2.5-1.5b', api: 'chat', ...fast });
    await assert.rejects(gen.generate({ prompt: 'x', n: 1 }, sampling), /HTTP 404: The model `qwen2\.5-1\.5b` does not exist\.; the server serves "Qwen\/Qwen2\.5-1\.5B-Instruct": pass one of them as the model name/);
    assert.equal(requests.length, 1, 'not retried');
    const wrongPath = new RemoteGenerator({ endpoint: `${url}/api/v1/chat/completions`, model: 'Qwen/Qwen2.5-1.5B-Instruct', api: 'chat', ...fast });
    await assert.rejects(wrongPath.generate({ prompt: 'x', n: 1 }, sampling), /the server lists no models at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/models either: check the URL/);
  });
  await withServer({ raw: () => ({ status: 404, body: { error: { message: 'model not found' } } }), models: ['m'] }, async (url) => {
    const gen = new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast });
    await assert.rejects(gen.generate({ prompt: 'x', n: 1 }, sampling), /the server does serve "m": check the URL path$/);
    const completions = new RemoteGenerator({ endpoint: url, model: 'm', api: 'completions', ...fast });
    await assert.rejects(completions.generate({ prompt: 'x', n: 1 }, sampling), /check the URL path, or whether it offers \/v1\/completions at all \(else use the chat API\)$/);
  });
  await withServer({ raw: () => ({ status: 401, body: { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } } }) }, async (url) => {
    await assert.rejects(new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', ...fast }).generate({ prompt: 'x', n: 1 }, sampling), /Invalid API Key; no API key was sent \(--api-key or \$OPENAI_API_KEY\)/);
    await assert.rejects(new RemoteGenerator({ endpoint: url, model: 'm', api: 'chat', apiKey: 'k', ...fast }).generate({ prompt: 'x', n: 1 }, sampling), /Invalid API Key; the server refused the API key/);
  });
});

test('a full endpoint URL with a trailing slash is sent without it (llama.cpp answers 404 to …/completions/)', () => {
  assert.equal(resolveEndpointUrl('http://h:8080/v1/completions/', 'completions'), 'http://h:8080/v1/completions');
  assert.equal(resolveEndpointUrl('http://h:8080/v1/chat/completions//?x=1', 'chat'), 'http://h:8080/v1/chat/completions?x=1');
});

test('a generator that answers with no sample stops the run instead of asking forever', { timeout: 10_000 }, async () => {
  // Each answer waits a turn of the event loop, so a regression trips the timeout instead of freezing the suite.
  const empty: Generator = {
    description: 'empty server',
    generate: () => new Promise((resolve) => setImmediate(() => resolve({ samples: [], usage: { promptTokens: 0, completionTokens: 0 } }))),
    close: async () => {},
  };
  await assert.rejects(runEval(evalOptions(empty, join(tempDir(), 'empty.jsonl'))), /empty server returned no sample for a request of 4 \(problem [AB]\)/);
});
