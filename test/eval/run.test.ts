// Whole evaluations against the fake server over real HTTP: metrics from scripted answers, a
// server that fails some requests, resumption after a failed run, a crash-cut last line,
// growing K, refusing mixed settings, bounded concurrency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EvalStopped, requestSeed, runEval, type EvalRunOptions } from '../../src/eval/run.js';
import { RemoteGenerator } from '../../src/eval/remote.js';
import { mathGrader } from '../../src/eval/grading.js';
import { resolveTemplate } from '../../src/eval/templates.js';
import type { EvalProblem } from '../../src/eval/problems.js';
import { AhaError } from '../../src/util/errors.js';
import { startFakeServer, type FakeRequest, type FakeServerOptions } from './fake-openai-server.js';
import { numericVerifier, tempDir } from './helpers.js';
import { graderFor } from '../../src/eval/verifiers.js';
import { captureStderr } from '../stderr-capture.js';

const K = 4;
const problems: EvalProblem[] = [
  { id: 'A', line: 1, problem: 'A?', gold: '1' },
  { id: 'B', line: 2, problem: 'B?', gold: '2' },
  { id: 'C', line: 3, problem: 'C?', gold: '3' },
];
// The answer of sample s of each problem (null: no boxed answer).
const script: Record<string, (string | null)[]> = {
  A: ['1', '1', '9', '9'],
  B: ['7', '2', '7', null],
  C: ['3', '3.0', '3', '3'],
};
// Request seed (base 0) -> sample index, so the server knows which sample it is drawing.
const seedToSample = new Map<number, number>();
for (const id of Object.keys(script)) for (let s = 0; s < K; s++) seedToSample.set(requestSeed(0, id, s), s);

/** Replies by problem and sample index, recovered from the request seed. */
function scriptedReply(prompt: string, choice: number, req: FakeRequest): string {
  const id = prompt[0];
  const sample = seedToSample.get(Number(req.body.seed))! + choice;
  const a = script[id][sample];
  return a === null ? 'I am not sure.' : `Reasoning about ${id}. So \\boxed{${a}}`;
}

const expected = {
  'pass@1': (0.5 + 0.25 + 1) / 3,
  'pass@2': (5 / 6 + 0.5 + 1) / 3,
  'pass@4': 1,
  'maj@4': 2 / 3,
};

function assertMetrics(m: Record<string, number>) {
  assert.deepEqual(Object.keys(m).sort(), Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(m[k] - v) < 1e-12, `${k}: ${m[k]} != ${v}`);
}

function options(url: string, outFile: string, extra: Partial<EvalRunOptions> = {}, retries = 3): EvalRunOptions {
  return {
    problems,
    samples: K,
    generator: new RemoteGenerator({ endpoint: url, model: 'fake', api: 'chat', timeoutMs: 5000, retries, backoffBaseMs: 2, backoffMaxMs: 20 }),
    sampling: { temperature: 0.6, topP: 0.95, maxTokens: 100 },
    template: resolveTemplate('math'),
    grader: mathGrader(numericVerifier),
    concurrency: 4,
    samplesPerRequest: 1,
    outFile,
    settings: { model: 'fake', temperature: 0.6 },
    seed: 0,
    quiet: true,
    ...extra,
  };
}

async function withServer<T>(opts: Partial<FakeServerOptions>, fn: (url: string, server: Awaited<ReturnType<typeof startFakeServer>>) => Promise<T>): Promise<T> {
  const server = await startFakeServer({ reply: scriptedReply, ...opts });
  try {
    return await fn(server.url, server);
  } finally {
    await server.close();
  }
}

test('metrics, sample lines and per-problem summary from scripted answers', async () => {
  const out = join(tempDir(), 'run.jsonl');
  const r = await withServer({}, (url) => runEval(options(url, out)));
  assertMetrics(r.metrics);
  assert.equal(r.generated, 12);
  assert.equal(r.resumed, 0);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 12);
  const b3 = lines.find((l) => l.id === 'B' && l.sample === 3);
  assert.equal(b3.extracted, null);
  assert.equal(b3.correct, false);
  assert.equal(b3.reason, 'no answer found');
  assert.equal(b3.finish_reason, 'stop');
  assert.ok(b3.usage.completion_tokens > 0);
  const summary = readFileSync(r.paths.problems, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(summary.map((s) => [s.id, s.correct, s['maj@4'], s.majority_answer]), [
    ['A', 2, true, '1'],
    ['B', 1, false, '7'],
    ['C', 4, true, '3'],
  ]);
  assert.equal(r.usage.completionTokens, lines.reduce((s, l) => s + l.usage.completion_tokens, 0));
});

test('n samples per request, also from a server that ignores n', async () => {
  const dir = tempDir();
  const full = await withServer({}, async (url, server) => {
    const r = await runEval(options(url, join(dir, 'n4.jsonl'), { samplesPerRequest: 4 }));
    assert.equal(server.requests.length, 3);
    return r;
  });
  assertMetrics(full.metrics);
  const partial = await withServer({ maxChoices: 1 }, async (url, server) => {
    const r = await runEval(options(url, join(dir, 'n1.jsonl'), { samplesPerRequest: 4 }));
    assert.equal(server.requests.length, 12);
    return r;
  });
  assertMetrics(partial.metrics);
});

test('a server failing every third request still gives the same metrics', async () => {
  const out = join(tempDir(), 'flaky.jsonl');
  await withServer({ fail: (req) => (req.number % 3 === 0 ? { status: req.number % 2 ? 503 : 429, retryAfter: '0' } : null) }, async (url, server) => {
    const r = await runEval(options(url, out));
    assertMetrics(r.metrics);
    assert.ok(r.retries >= 4, `retries ${r.retries}`);
    assert.ok(server.requests.length >= 16);
  });
});

test('a failed run keeps its samples and the re-run asks only for the missing ones', async () => {
  const out = join(tempDir(), 'resume.jsonl');
  const failC = (req: FakeRequest) => ((req.body.messages as { content: string }[])[0].content.startsWith('C') ? { status: 500 } : null);
  await withServer({ fail: failC }, async (url) => {
    await assert.rejects(runEval(options(url, out, { maxFailures: 100 }, 1)), (err: Error) => {
      assert.ok(err instanceof AhaError);
      assert.match(err.message, /4 requests failed after retries .*HTTP 500.* 8 new samples were saved to .*resume\.jsonl; re-run the same command to resume/);
      return true;
    });
  });
  // A crash in the middle of an append leaves half a line: it is dropped with a warning, not an error.
  appendFileSync(out, '{"id":"C","sample":0,"compl');
  const { value: r, stderr } = await captureStderr(() => withServer({}, async (url, server) => {
    const res = await runEval(options(url, out));
    assert.deepEqual(
      server.requests.map((q) => (q.body.messages as { content: string }[])[0].content[0]),
      ['C', 'C', 'C', 'C'],
    );
    return res;
  }));
  assert.match(stderr, /warning: .*resume\.jsonl:9: dropped an incomplete last line/);
  assertMetrics(r.metrics);
  assert.equal(r.resumed, 8);
  assert.equal(r.generated, 4);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 12);
});

test('an aborted run starts no new request, saves the ones in flight, says it stopped, and the re-run draws the rest', async () => {
  const out = join(tempDir(), 'stopped.jsonl');
  const stop = new AbortController();
  // The pipeline's Ctrl-C or SIGTERM arrives while the third request is being answered.
  const reply = (prompt: string, choice: number, req: FakeRequest) => {
    if (req.number === 3) stop.abort();
    return scriptedReply(prompt, choice, req);
  };
  await withServer({ reply }, async (url, server) => {
    await assert.rejects(runEval(options(url, out, { concurrency: 1, signal: stop.signal })), (err: Error) => {
      assert.ok(err instanceof EvalStopped);
      assert.match(err.message, /stopped before every sample was drawn\. 3 new samples were saved to .*stopped\.jsonl; re-run the same command to resume/);
      return true;
    });
    assert.equal(server.requests.length, 3, 'no request after the abort');
  });
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 3);
  const r = await withServer({}, (url) => runEval(options(url, out)));
  assert.deepEqual([r.resumed, r.generated], [3, 9]);
  assertMetrics(r.metrics);
});

test('growing K reuses the samples already drawn; other settings are refused', async () => {
  const out = join(tempDir(), 'grow.jsonl');
  await withServer({}, async (url, server) => {
    const r2 = await runEval(options(url, out, { samples: 2 }));
    assert.deepEqual(Object.keys(r2.metrics), ['pass@1', 'pass@2', 'maj@2']);
    assert.equal(server.requests.length, 6);
    const r4 = await runEval(options(url, out));
    assert.equal(server.requests.length, 12);
    assertMetrics(r4.metrics);
    // Fewer samples than the file has: metrics over the first K, nothing generated.
    const r1 = await runEval(options(url, out, { samples: 1 }));
    assert.equal(server.requests.length, 12);
    assert.ok(Math.abs(r1.metrics['pass@1'] - 2 / 3) < 1e-12);
    await assert.rejects(runEval(options(url, out, { settings: { model: 'fake', temperature: 1 } })), /other settings \(temperature: 0.6 then, 1 now\)/);
  });
});

test('no more requests in flight than the concurrency', async () => {
  const out = join(tempDir(), 'conc.jsonl');
  await withServer({ delayMs: 20 }, async (url, server) => {
    await runEval(options(url, out, { concurrency: 3 }));
    assert.equal(server.inFlight.max, 3);
  });
});

test('a request the server refuses stops the run at once', async () => {
  const out = join(tempDir(), 'auth.jsonl');
  await withServer({ fail: () => ({ status: 401, message: 'bad key' }) }, async (url, server) => {
    await assert.rejects(runEval(options(url, out, { concurrency: 1 })), /HTTP 401: bad key; no API key was sent \(--api-key or \$OPENAI_API_KEY\)\. 0 new samples were saved/);
    assert.equal(server.requests.length, 1);
  });
});

test('--regrade grades the stored samples again without generating', async () => {
  const out = join(tempDir(), 'regrade.jsonl');
  await withServer({}, async (url, server) => {
    await runEval(options(url, out));
    const lenient = mathGrader({ ...numericVerifier, isEqual: () => ({ equal: true }) });
    const lenientSettings = { gradingSettings: { lenient: true } };
    await assert.rejects(runEval(options(url, out, { grader: lenient, ...lenientSettings })), /was graded with other settings \(lenient: null then, true now\)\. Add --regrade/);
    const r = await runEval(options(url, out, { grader: lenient, regrade: true, ...lenientSettings }));
    assert.equal(server.requests.length, 12);
    // Every extracted answer now counts; B's sample 3 has none and stays wrong.
    assert.ok(Math.abs(r.metrics['pass@1'] - 11 / 12) < 1e-12);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').filter((l) => JSON.parse(l).correct).length, 11);
  });
});

test('an edited data file does not reuse samples of the old problem: a new text is refused, a new gold needs --regrade', async () => {
  const out = join(tempDir(), 'edited.jsonl');
  await withServer({}, async (url, server) => {
    await runEval(options(url, out));
    // A corrected gold for A: the stored grades were against '1'; counting them would be silently wrong.
    const regolded = problems.map((p) => (p.id === 'A' ? { ...p, gold: '9' } : p));
    await assert.rejects(runEval(options(url, out, { problems: regolded })), /problem "A" \(line 1\) graded against another gold answer.*--regrade/);
    const r = await runEval(options(url, out, { problems: regolded, regrade: true }));
    assert.equal(server.requests.length, 12);
    assert.equal(r.perProblem.find((p) => p.id === 'A')!.correct, 2);
    // After the regrade the file is consistent with the new gold: a plain re-run resumes.
    assert.equal((await runEval(options(url, out, { problems: regolded }))).perProblem[0].correct, 2);
    const reworded = regolded.map((p) => (p.id === 'B' ? { ...p, problem: 'B, reworded?' } : p));
    await assert.rejects(runEval(options(url, out, { problems: reworded, regrade: true })), /problem "B" \(line 2\) made for another problem text/);
  });
});

test('a reply cut off at the token limit states no answer: no last-number guess from where the cut fell, also on --regrade', async () => {
  // Seen with the bundled tiny model at 16 tokens: "78+91: 8" cut mid-number, graded right against a gold of 8.
  const cut = '<think>\n78+91\n78+91: 8';
  const twoProblems: EvalProblem[] = [
    { id: 'T', line: 1, problem: 'T?', gold: '8' },
    { id: 'U', line: 2, problem: 'U?', gold: '5' },
  ];
  const turn = (req: FakeRequest, choice: number) => {
    const prompt = String((req.body.messages as { content: string }[]).at(-1)!.content);
    // T: the same text cut off (choice 0) and ended by the model (choice 1); U: cut off after an explicit answer.
    if (prompt.startsWith('T')) return { content: cut, finish_reason: choice === 0 ? 'length' : 'stop' };
    return { content: 'So \\boxed{5}. Let me double-check th', finish_reason: 'length' };
  };
  const out = join(tempDir(), 'cut.jsonl');
  await withServer({ turn }, async (url) => {
    const grader = graderFor('math', { lastNumberFallback: true, codeTimeoutMs: 1000 });
    const run = (regrade: boolean) => runEval(options(url, out, { problems: twoProblems, samples: 2, samplesPerRequest: 2, grader, regrade }));
    for (const regrade of [false, true]) {
      const r = await run(regrade);
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; sample: number; correct: boolean; extracted: string | null; reason?: string });
      const t0 = lines.find((l) => l.id === 'T' && l.sample === 0)!;
      assert.equal(t0.correct, false, 'cut off: no answer');
      assert.equal(t0.extracted, null);
      assert.match(t0.reason ?? '', /cut off at the token limit/);
      assert.equal(lines.find((l) => l.id === 'T' && l.sample === 1)!.correct, true, 'the same text ended by the model: its last number is its answer');
      assert.ok(lines.filter((l) => l.id === 'U').every((l) => l.correct), 'cut off after an explicit answer: that answer counts');
      assert.deepEqual(r.perProblem.map((p) => p.correct), [1, 2]);
    }
  });
});
