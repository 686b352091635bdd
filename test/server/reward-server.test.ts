// The reward server over real HTTP on 127.0.0.1 (ephemeral port): OpenRLHF's shape, /score,
// /verify/*, /health, errors, body-size and concurrency limits, slow clients, and graceful shutdown.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { startRewardServer, type RunningRewardServer } from '../../src/server/index.js';
import { openRlhfResponse } from '../../src/server/reward-server.js';
import { parseRewardSpec } from '../../src/rewards/index.js';

let srv: RunningRewardServer;

before(async () => {
  srv = await startRewardServer({ port: 0, rewards: parseRewardSpec('accuracy,format=0.5'), maxBodyBytes: 64 * 1024, mathThreads: 1 });
});
after(async () => {
  await srv.close();
});

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const GOOD = '<think>\n1+1 is 2\n</think>\n<answer>\n2\n</answer>';

test('GET /health reports the reward functions and load', async () => {
  const res = await fetch(`${srv.url}/health`);
  assert.equal(res.status, 200);
  const h = (await res.json()) as Record<string, unknown>;
  assert.equal(h.status, 'ok');
  assert.deepEqual(h.rewards, [
    { name: 'accuracy', weight: 1 },
    { name: 'format', weight: 0.5 },
  ]);
});

test('POST /get_reward: OpenRLHF query/prompts/labels -> rewards, scoring only the response', async () => {
  const prompts = ['Q: 1+1? ', 'Q: 2+2? ', 'Q: what is 3? '];
  const responses = [GOOD, '<answer>5</answer>', 'The answer is \\boxed{3}'];
  const r = await post(`${srv.url}/get_reward`, { query: prompts.map((p, i) => p + responses[i]), prompts, labels: ['2', '4', '3'] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.rewards, [1.5, 0, 1]);
  assert.deepEqual((r.json.extra_logs as Record<string, unknown>).format, [1, 0, 0]);
  // The prompt is not part of what is scored: a gold-looking number in the prompt does not count.
  const trick = await post(`${srv.url}/get_reward`, { query: ['\\boxed{7} So?'], prompts: ['\\boxed{7}'], labels: ['7'] });
  assert.deepEqual(trick.json.rewards, [0]);
});

test('POST /get_reward reads OpenRLHF queries as it decodes them: left padding, a doubled BOS, EOS and right padding are not the response', async () => {
  const prompt = '<|im_start|>user\nQ: 1+1?<|im_end|>\n<|im_start|>assistant\n';
  const query = [
    `<|endoftext|><|endoftext|>${prompt}${GOOD}<|im_end|><|endoftext|>`, // Qwen, padded both sides
    `<|begin_of_text|>${prompt}${GOOD}<|eot_id|>`, // a BOS the tokenizer added before the template's own
    `<｜begin▁of▁sentence｜>${prompt}${GOOD}<｜end▁of▁sentence｜>`, // DeepSeek's markers
    `${prompt}${GOOD} </s>`,
  ];
  const r = await post(`${srv.url}/get_reward`, { query, prompts: query.map(() => prompt), labels: query.map(() => '2') });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual((r.json.extra_logs as Record<string, unknown>).format, [1, 1, 1, 1]);
  assert.deepEqual(r.json.rewards, [1.5, 1.5, 1.5, 1.5]);
  // Text before the prompt that is not special tokens: the prompt is not where OpenRLHF puts it, so the query is scored whole.
  assert.equal(openRlhfResponse(`Note: ${prompt}${GOOD}`, prompt), `Note: ${prompt}${GOOD}`);
  assert.equal(openRlhfResponse(`${GOOD}<|im_end|>`, undefined), GOOD);
});

test('POST /score: one completion or a batch, with per-function parts', async () => {
  const one = await post(`${srv.url}/score`, { completion: GOOD, example: { gold: '2' } });
  assert.deepEqual(one.json, { scores: [{ reward: 1.5, parts: { accuracy: 1, format: 1 } }] });
  const batch = await post(`${srv.url}/score`, { items: [{ completion: '\\boxed{3}', example: { gold: '3' } }, { completion: 'no gold here' }] });
  assert.deepEqual(batch.json, {
    scores: [
      { reward: 1, parts: { accuracy: 1, format: 0 } },
      { reward: 0, parts: { accuracy: null, format: 0 } },
    ],
  });
});

test('OpenRLHF labels may be numbers or null; no labels with the accuracy reward is a 400, not a batch of zeros', async () => {
  const r = await post(`${srv.url}/get_reward`, { query: ['Q? \\boxed{42}', 'Q? \\boxed{7}', 'Q? \\boxed{1}'], prompts: ['Q? ', 'Q? ', 'Q? '], labels: [42, '7', null] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual((r.json.extra_logs as Record<string, unknown>).accuracy, [1, 1, null]);
  const none = await post(`${srv.url}/get_reward`, { query: ['Q? \\boxed{42}'] });
  assert.equal(none.status, 400);
  assert.match(String(none.json.error), /"labels" is required/);
  const bad = await post(`${srv.url}/get_reward`, { query: ['a', 5], labels: ['1', '2'] });
  assert.match(String(bad.json.error), /"query"\[1\] must be a string, got 5/);
  assert.match(String((await post(`${srv.url}/get_reward`, { query: ['a'], labels: [{ x: 1 }] })).json.error), /"labels"\[0\] must be a string, a number or null/);
});

test('POST /score takes verl\'s compute_score arguments and TRL\'s reward-function batch', async () => {
  const verl = await post(`${srv.url}/score`, { items: [{ data_source: 'gsm8k', solution_str: GOOD, ground_truth: 2, extra_info: { split: 'test' } }, { solution_str: '\\boxed{5}', ground_truth: '4' }] });
  assert.equal(verl.status, 200, JSON.stringify(verl.json));
  assert.deepEqual((verl.json.scores as { reward: number }[]).map((x) => x.reward), [1.5, 0]);
  // TRL calls reward functions with completions (text or messages) and the data set's columns.
  const trl = await post(`${srv.url}/score`, { prompts: ['1+1?', '2+2?', '3?'], completions: [GOOD, [{ role: 'assistant', content: '\\boxed{4}' }], 'no answer'], solution: ['2', '4', '3'] });
  assert.equal(trl.status, 200, JSON.stringify(trl.json));
  assert.deepEqual(trl.json.rewards, [1.5, 1, 0]);
  const uneven = await post(`${srv.url}/score`, { completions: ['a', 'b'], answer: ['1'] });
  assert.match(String(uneven.json.error), /"answer" has 1 items but "completions" has 2/);
  const badItem = await post(`${srv.url}/score`, { items: [{ completion: 'x' }, { completion: 'y' }, { solution_str: 3 }] });
  assert.equal(badItem.status, 400);
  assert.match(String(badItem.json.error), /item 2: "solution_str" must be a string/);
});

test('a body that is not UTF-8 is a 400, a form says it is one; a byte-order mark before the JSON is fine', async () => {
  const send = async (bytes: Buffer) => {
    const res = await fetch(`${srv.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(bytes) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const latin1 = await send(Buffer.from('{"completion": "\\boxed{2} caf\xe9", "example": {"gold": "2"}}', 'latin1'));
  assert.equal(latin1.status, 400);
  assert.match(String(latin1.json.error), /not UTF-8/);
  const bom = await send(Buffer.from('\ufeff{"completion": "\\boxed{2}", "example": {"gold": "2"}}', 'utf8'));
  assert.equal(bom.status, 200, JSON.stringify(bom.json));
  // requests.post(url, data={...}) sends a form, not JSON: the answer says which.
  const form = await fetch(`${srv.url}/get_reward`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=a&labels=1' });
  assert.equal(form.status, 400);
  assert.match(String(((await form.json()) as { error: string }).error), /sent as application\/x-www-form-urlencoded: send JSON \(Python: requests\.post\(url, json=\.\.\.\)\)/);
});

test('POST /verify/math and /verify/code answer like `aha verify`', async () => {
  const m = await post(`${srv.url}/verify/math`, { pred: 'so \\boxed{\\frac12}', gold: '0.5' });
  assert.deepEqual(m.json, { equal: true, pred_extracted: '\\frac12', gold_extracted: '0.5' });
  const c = await post(`${srv.url}/verify/code`, { items: [{ language: 'python', code: 'print(input())', tests: { inputs: ['a'], outputs: ['a'] } }, { code: 'print(2)', tests: { inputs: [''], outputs: ['2'] } }] });
  assert.equal(c.status, 200);
  assert.deepEqual(c.json.results, [
    { statuses: ['pass'], reward: 1, passed: 1, total: 1 },
    { statuses: ['pass'], reward: 1, passed: 1, total: 1 },
  ]);
});

test('/verify/* input errors are 400 naming the item and field (no "line"), before any program runs', async () => {
  const math = await post(`${srv.url}/verify/math`, { pred: '2' });
  assert.equal(math.status, 400);
  assert.equal(math.json.error, 'field "gold": missing');
  const batch = await post(`${srv.url}/verify/code`, {
    items: [
      { language: 'python', code: "open('/tmp/ran', 'w'); import time; time.sleep(30)", tests: { inputs: [''], outputs: [''] } },
      { language: 'cobol', code: 'x', tests: { inputs: [], outputs: [] } },
    ],
  });
  assert.equal(batch.status, 400);
  assert.match(String(batch.json.error), /^items\[1\], field "language": must be one of python, javascript/);
  const deep = await post(`${srv.url}/verify/code`, { code: 'print(1)', tests: { inputs: ['', ''], outputs: ['1'] } });
  assert.equal(deep.status, 400);
  assert.match(String(deep.json.error), /field "tests": tests.inputs has 2 items but tests.outputs has 1/);
  for (const r of [math, batch, deep]) assert.doesNotMatch(String(r.json.error), /line/);
});

test('a program cannot send aha\'s environment back through /verify/code', async () => {
  process.env.MY_SECRET = 'hunter2-server-secret';
  try {
    const r = await post(`${srv.url}/verify/code`, {
      code: "import os, sys\nfor p in ['/proc/1/environ', '/proc/self/environ']:\n    sys.stderr.write(open(p).read())\nsys.stderr.write(repr(dict(os.environ)))\nsys.exit(1)",
      tests: { inputs: [''], outputs: [''] },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.statuses, ['runtime_error']);
    assert.match(String(r.json.error), /PATH/);
    assert.doesNotMatch(String(r.json.error), /hunter2/);
  } finally {
    delete process.env.MY_SECRET;
  }
});

test('too-large bodies get 413, chunked ones too (not a reset), and the server stays healthy', async () => {
  const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 8) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const res = await fetch(`${srv.url}/score`, { method: 'POST', body, duplex: 'half' } as RequestInit & { duplex: 'half' });
  assert.equal(res.status, 413);
  assert.match(String(((await res.json()) as Record<string, unknown>).error), /larger than 65536 bytes/);
  assert.equal((await fetch(`${srv.url}/health`)).status, 200);
});

test('bad requests get 4xx with a message, never a crash', async () => {
  const badJson = await post(`${srv.url}/get_reward`, '{"query": [');
  assert.equal(badJson.status, 400);
  assert.match(String(badJson.json.error), /not valid JSON/);
  assert.equal((await post(`${srv.url}/get_reward`, { prompts: [] })).status, 400);
  const mismatch = await post(`${srv.url}/get_reward`, { query: ['a', 'b'], labels: ['1'] });
  assert.match(String(mismatch.json.error), /"labels" has 1 items but "query" has 2/);
  assert.equal((await post(`${srv.url}/score`, { completion: 5 })).status, 400);
  assert.equal((await post(`${srv.url}/nowhere`, {})).status, 404);
  assert.equal((await fetch(`${srv.url}/score`)).status, 404);
  const huge = await post(`${srv.url}/score`, { completion: 'x'.repeat(100 * 1024) });
  assert.equal(huge.status, 413);
  // Still healthy afterwards.
  assert.equal((await fetch(`${srv.url}/health`)).status, 200);
});

test('unknown reward names fail at start-up, listing the known ones', async () => {
  await assert.rejects(startRewardServer({ port: 0, rewards: [{ name: 'acc', weight: 1 }] }), /unknown reward "acc".*accuracy/);
  assert.throws(() => parseRewardSpec('accuracy=heavy'), /"accuracy=heavy": the weight after the name must be a number/);
  assert.deepEqual(parseRewardSpec(['accuracy', 'format:0.5,tag_count=0.25']), [
    { name: 'accuracy', weight: 1 },
    { name: 'format', weight: 0.5 },
    { name: 'tag_count', weight: 0.25 },
  ]);
});

const SLOW = { language: 'python', code: 'import time\ntime.sleep(0.8)\nprint(1)', tests: { inputs: [''], outputs: ['1'] } };

test('bounded concurrency: excess requests queue, and beyond the queue get 503', async () => {
  const small = await startRewardServer({ port: 0, concurrency: 1, maxQueue: 1, mathThreads: 1 });
  try {
    const results = await Promise.all([1, 2, 3, 4].map(() => post(`${small.url}/verify/code`, SLOW)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 503, 503]);
  } finally {
    await small.close();
  }
});

/** A raw connection that sends request headers announcing a body, then dribbles it. */
function slowClient(url: string, path: string, everyMs: number): { socket: Socket; closed: Promise<string>; stop(): void } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString()));
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
  socket.write(`POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`);
  const timer = setInterval(() => socket.write(' '), everyMs);
  socket.on('close', () => clearInterval(timer));
  return { socket, closed, stop: () => (clearInterval(timer), socket.destroy()) };
}

test('slow-loris: 8 slow senders hold no processing slot, are cut off by the body deadline, and scoring goes on', async () => {
  const s = await startRewardServer({ port: 0, mathThreads: 1, concurrency: 8, bodyTimeoutMs: 6000, headersTimeoutMs: 1000 });
  const score = (timeoutMs: number) =>
    fetch(`${s.url}/score`, { method: 'POST', body: JSON.stringify({ completion: GOOD, example: { gold: '2' } }), signal: AbortSignal.timeout(timeoutMs) });
  // Everything that holds a socket or the server is made inside the try, so a failure anywhere
  // (a loaded machine's slow warm-up included) still closes them and the test process can exit.
  let slow: ReturnType<typeof slowClient>[] = [];
  let halfHeaders: ReturnType<typeof connect> | null = null;
  try {
    // Warm-up: the math worker starts (not timed: on a loaded machine it takes a while).
    assert.equal((await score(60_000)).status, 200);
    slow = Array.from({ length: 8 }, () => slowClient(s.url, '/verify/code', 2000));
    let slowClosed = 0;
    slow.forEach((c) => void c.closed.then(() => slowClosed++));
    // One more that never finishes its headers.
    const { hostname, port } = new URL(s.url);
    const half = connect(Number(port), hostname);
    halfHeaders = half;
    half.on('error', () => {});
    half.write('POST /score HTTP/1.1\r\nhost: x\r\n');
    const headersClosed = new Promise<number>((resolve) => half.on('close', () => resolve(performance.now())));
    const t = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Before the fix the 8 slow senders held all 8 slots, so this waited for them (aborted at 5.5 s).
    const r = await score(5500);
    assert.equal(r.status, 200);
    assert.equal(slowClosed, 0, 'scored only once the slow senders were gone');
    const answers = await Promise.all(slow.map((c) => c.closed));
    for (const a of answers) assert.match(a, /^HTTP\/1\.1 408 .*request body not received within 6000 ms/s);
    assert.ok((await headersClosed) - t < 5000, 'a connection that never finished its headers stayed open');
  } finally {
    slow.forEach((c) => c.stop());
    halfHeaders?.destroy();
    await s.close(1000);
  }
});

test('one address may hold only so many connections: 429 beyond', async () => {
  const s = await startRewardServer({ port: 0, mathThreads: 1, maxConnectionsPerAddress: 2 });
  const held = [slowClient(s.url, '/score', 500), slowClient(s.url, '/score', 500)];
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await fetch(`${s.url}/health`);
    assert.equal(third.status, 429);
    assert.match(String(((await third.json()) as Record<string, unknown>).error), /too many connections from .* \(limit 2\)/);
    held.forEach((c) => c.stop());
    await Promise.all(held.map((c) => c.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
  } finally {
    held.forEach((c) => c.stop());
    await s.close(1000);
  }
});

test('graceful shutdown finishes in-flight requests and refuses new ones', async () => {
  const s = await startRewardServer({ port: 0, mathThreads: 1 });
  const inflight = post(`${s.url}/verify/code`, SLOW);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const closing = s.close();
  const done = await inflight;
  assert.equal(done.status, 200);
  assert.deepEqual(done.json.statuses, ['pass']);
  await closing;
  await assert.rejects(fetch(`${s.url}/health`));
});

test('`aha serve rewards` starts, answers /health, and exits cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', 'rewards', '--port', '0', '--rewards', 'format'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
  assert.deepEqual(health.rewards, [{ name: 'format', weight: 1 }]);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stderr, /SIGTERM: finishing in-flight requests/);
});
