// The hard time bound for math (worker threads killed on overrun) and `aha verify` end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { BoundedMathVerifier, verifyLines } from '../../src/rewards/index.js';
import { register } from '../../src/cli/commands/verify.js';
import { scratchDir } from '../scratch-dir.js';

/** Parses `aha verify ...` flags in this process (for the validation errors, raised before any output). */
async function verifyInProcess(args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  register(program);
  await program.parseAsync(['node', 'aha', 'verify', ...args]);
}

test('bounded verifier: answers in order, kills an overrunning worker, and keeps working', async () => {
  const v = new BoundedMathVerifier({ threads: 1, hardTimeoutMs: 150 });
  try {
    await v.warmUp();
    assert.equal((await v.verify('\\boxed{\\frac{1}{2}}', '0.5')).equal, true);
    // A power tower of eight variables takes the engine seconds to compare (4.4 s on our 2-core
    // machine; each extra level costs ~6x), so it overruns 150 ms even on a much faster machine.
    const slow = await v.verify('\\boxed{x^{x^{x^{x^{x^{x^{x^{x}}}}}}}}', 'x', { timeoutMs: 60_000 });
    assert.equal(slow.equal, false);
    // Killed at 150 ms (or given up at 90% of it, if the checker notices first).
    assert.match(slow.reason ?? '', /^timeout/);
    assert.equal(slow.pred_extracted, 'x^{x^{x^{x^{x^{x^{x^{x}}}}}}}');
    const after = await Promise.all([v.verify('3', '3'), v.verify('3', '4')]);
    assert.deepEqual(after.map((r) => r.equal), [true, false]);
  } finally {
    await v.close();
  }
});

/** The real command line, as a user runs it (slow: loads the whole CLI). */
function aha(args: string[], input?: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { input, encoding: 'utf8', timeout: 60_000 });
}

test('aha verify math: one result per line, in order, errors on their own line', () => {
  const dir = scratchDir('aha-verify-');
  try {
    const file = join(dir, 'in.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ pred: 'The answer is $\\frac{1}{2}$.', gold: '0.5' }),
        'this is not json',
        '',
        JSON.stringify({ pred: '<answer>7</answer>', gold: 'Natalia sold 48/2 = 24 clips.\n#### 8' }),
        JSON.stringify({ gold: '1' }),
        JSON.stringify({ pred: 'x = 3', gold: '\\boxed{3}' }),
      ].join('\n') + '\n',
    );
    const r = aha(['verify', 'math', '--input', file]);
    // Exit 1: every line has its result, but two could not be checked.
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^aha: 2 of 5 input lines could not be checked/);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(out.length, 5);
    assert.deepEqual(out[0], { equal: true, pred_extracted: '\\frac{1}{2}', gold_extracted: '0.5' });
    assert.match(String(out[1].error), /in\.jsonl:2: not valid JSON/);
    assert.deepEqual(out[2], { equal: false, pred_extracted: '7', gold_extracted: '8' });
    assert.match(String(out[3].error), /in\.jsonl:5, field "pred": missing/);
    assert.equal(out[4].equal, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verify code (the batch behind `aha verify code`): statuses and reward per line', async () => {
  const out: Record<string, unknown>[] = [];
  await verifyLines(
    'code',
    [
      JSON.stringify({ language: "python", code: "print(input()[::-1])", tests: { inputs: ["abc", "xy"], outputs: ["cba", "xy"] } }),
        JSON.stringify({ language: 'cobol', code: 'x', tests: { inputs: [], outputs: [] } }),
        JSON.stringify({ language: 'javascript', code: 'console.log(42)', tests: { inputs: [''], outputs: ['42'] } }),
    ],
    (r) => out.push(r),
    { file: 'code.jsonl', timeoutMs: 3000 },
  );
  assert.deepEqual(out[0], { statuses: ['pass', 'wrong_answer'], reward: 0.5, passed: 1, total: 2, error: 'test 2: line 1 of the output: expected "xy", got "yx"' });
  assert.match(String(out[1].error), /code\.jsonl:2, field "language": must be one of python, javascript/);
  assert.deepEqual(out[2], { statuses: ['pass'], reward: 1, passed: 1, total: 1 });
});

test('aha verify validates its flags before doing any work', async () => {
  await assert.rejects(verifyInProcess(['physics', '--input', 'x']), /unknown kind "physics"/);
  await assert.rejects(verifyInProcess(['math']), /--input is required/);
  await assert.rejects(verifyInProcess(['math', '--input', '/nonexistent.jsonl']), /file not found/);
  await assert.rejects(verifyInProcess(['code', '--input', '-', '--timeout-ms', 'soon']), /--timeout-ms must be an integer/);
  await assert.rejects(verifyInProcess(['math', '--input', '-', '--memory-mb', '5']), /--memory-mb applies to "verify code" only/);
});

test('aha verify reads its input as bytes: a BOM and CRLF are fine, a Latin-1 line is an error result of its own', async () => {
  const { Readable } = await import('node:stream');
  const { byteLines } = await import('../../src/util/text-file.js');
  const input = Buffer.concat([
    Buffer.from('\ufeff{"pred": "1", "gold": "1"}\r\n', 'utf8'),
    Buffer.from('{"pred": "caf\xe9 2", "gold": "2"}\n\n', 'latin1'),
    Buffer.from('{"pred": "3", "gold": "3"}', 'utf8'),
  ]);
  const out: Record<string, unknown>[] = [];
  // Chunks of 7 bytes: lines and multi-byte characters cross chunk boundaries.
  const chunks = Array.from({ length: Math.ceil(input.length / 7) }, (_, i) => input.subarray(i * 7, i * 7 + 7));
  const { count, errors } = await verifyLines('math', byteLines(Readable.from(chunks)), (r) => out.push(r), { file: 'in.jsonl' });
  assert.deepEqual([count, errors], [3, 1]);
  assert.equal(out[0].equal, true);
  assert.match(String(out[1].error), /in\.jsonl:2: not UTF-8 text/);
  assert.equal(out[2].equal, true);
});
