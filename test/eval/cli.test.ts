// `aha eval` as a user runs it: a real child process against the fake server, the --json last
// line, resuming by re-running, and clear errors before any request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from '../../src/cli/commands/eval.js';
import { runCommand } from '../cli/in-process.js';
import { startFakeServer } from './fake-openai-server.js';
import { tempDir, writeLines } from './helpers.js';
import { sandboxStatus } from '../../src/rewards/index.js';

function aha(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `aha eval` in this process (fast), capturing stdout. */
const ahaInProcess = (args: string[]) => runCommand(register, 'eval', args);

test('aha eval --json against an OpenAI-compatible server, then resumes', async () => {
  const dir = tempDir();
  const data = writeLines(join(dir, 'mini.jsonl'), [
    { question: 'Two plus two?', answer: 'It is 4.\n#### 4' },
    { question: 'Half of 3?', answer: '#### 1.5' },
  ]);
  // Right on "Two plus two" (as 4 and as 4.0, grouped in the vote), wrong on the other.
  const server = await startFakeServer({ reply: (p, i) => (p.startsWith('Two') ? `so \\boxed{${i % 2 ? '4.0' : '4'}}` : 'so \\boxed{2}') });
  try {
    const out = join(dir, 'out.jsonl');
    const args = ['--data', data, '--samples', '2', '--endpoint', server.url, '--model', 'fake', '--samples-per-request', '2', '--out', out, '--json', '--quiet'];
    const r = await aha(args);
    assert.equal(r.code, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(last.n, 2);
    assert.equal(last.samples, 2);
    assert.equal(last['pass@1'], 0.5);
    assert.equal(last['pass@2'], 0.5);
    assert.equal(last['maj@2'], 0.5);
    // Per-problem pass@1 of 1 and 0: sqrt(((1 - 0.5)^2 + (0 - 0.5)^2) / (2 * 1)) = 0.5.
    assert.equal(last['pass@1_stderr'], 0.5);
    assert.equal(last.generated, 4);
    assert.match(r.stderr, /pass@1 +50\.0% ± 50\.0%/);
    assert.equal(server.requests.length, 2);
    assert.match(String((server.requests[0].body.messages as { content: string }[])[0].content), /Please reason step by step, and put your final answer within \\boxed\{\}\.$/);
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 4);
    const again = await ahaInProcess(args);
    assert.equal(JSON.parse(again.trim().split('\n').at(-1)!).resumed, 4);
    assert.equal(server.requests.length, 2, 'nothing regenerated');
  } finally {
    await server.close();
  }
});

test('SIGTERM stops aha eval at once, saying so with exit code 143; re-running resumes from the saved samples', async () => {
  const dir = tempDir();
  const data = writeLines(join(dir, 'three.jsonl'), ['One', 'Two', 'Three'].map((w, i) => ({ question: `${w}?`, answer: `#### ${i + 1}` })));
  // Slow answers, one at a time: the signal comes while a request is in flight.
  const server = await startFakeServer({ reply: () => 'so \\boxed{1}', delayMs: 300 });
  try {
    const out = join(dir, 'out.jsonl');
    const args = ['--data', data, '--endpoint', server.url, '--model', 'fake', '--concurrency', '1', '--out', out, '--json', '--quiet'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
    while (lines().length === 0) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 143, stderr);
    assert.match(stderr, /aha: SIGTERM: stopped; every sample finished so far is saved; re-run the same command to resume/);
    const saved = lines().length;
    assert.ok(saved >= 1 && saved < 3, `${saved} samples saved`);
    const again = JSON.parse((await ahaInProcess(args)).trim().split('\n').at(-1)!) as { resumed: number; generated: number };
    assert.deepEqual([again.resumed, again.generated], [saved, 3 - saved]);
  } finally {
    await server.close();
  }
});

test('aha eval names bad data lines and bad flags before any request', async () => {
  const dir = tempDir();
  const data = writeLines(join(dir, 'bad.jsonl'), [{ problem: 'ok', answer: '1' }, { problem: 'no answer here' }]);
  // Port 9 (discard) has no server: any request would fail, so these errors come first.
  const bad = await aha(['--data', data, '--endpoint', 'http://127.0.0.1:9', '--model', 'm']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^aha: .*bad\.jsonl:2, field "answer": no gold answer/);
  const run = (args: string[]) => ahaInProcess(['--endpoint', 'http://127.0.0.1:9', ...args]);
  await assert.rejects(run(['--data', 'gsm8k', '--model', 'm', '--samples', '0']), /--samples must be an integer from 1 to 1024, got "0"/);
  await assert.rejects(run(['--data', 'gsm8k', '--model', 'm', '--temperature', 'hot']), /--temperature must be a number from 0 to 5, got "hot"/);
  // An open lower end is worded as such, not as "from 5e-324".
  await assert.rejects(run(['--data', 'gsm8k', '--model', 'm', '--top-p', '0']), /--top-p must be a number above 0 and at most 1, got "0"/);
  await assert.rejects(run(['--data', 'gsm9k', '--model', 'm']), /--data gsm9k: no such file, and not a bundled benchmark \(gsm8k, math500/);
  await assert.rejects(run(['--data', 'gsm8k']), /--model NAME is required with --endpoint/);
  await assert.rejects(run(['--data', 'gsm8k', '--model', 'm', '--prompt-template', 'nope']), /--prompt-template "nope" is neither a file nor a named template/);
  await assert.rejects(ahaInProcess(['--data', 'gsm8k', '--model', join(dir, 'missing')]), /--model .*missing: no such model folder/);
});

test('aha eval on HumanEval sends the stop strings on --api completions only, and --stop replaces them', { skip: sandboxStatus().ok ? false : 'code sandbox unavailable' }, async () => {
  const dir = tempDir();
  const server = await startFakeServer({ reply: () => '    return 0.0\n' });
  try {
    const stopOf = async (api: string, extra: string[] = []) => {
      const before = server.requests.length;
      await ahaInProcess(['--data', 'humaneval', '--limit', '1', '--endpoint', server.url, '--model', 'fake', '--api', api, '--out', join(dir, `${api}-${extra.length}.jsonl`), '--quiet', ...extra]);
      return server.requests.slice(before).map((r) => r.body.stop);
    };
    const [completions] = await stopOf('completions');
    assert.ok(Array.isArray(completions) && completions.includes('\ndef ') && completions.includes('\nclass '), JSON.stringify(completions));
    assert.deepEqual(await stopOf('chat'), [undefined]);
    assert.deepEqual(await stopOf('completions', ['--stop', '<end>']), [['<end>']]);
  } finally {
    await server.close();
  }
});
