// The exit code of a command that Ctrl-C or SIGTERM stopped: the shell's code for the signal
// (130, 143), also when the stopped work ends in an error, so a script or scheduler never reads
// a stopped run as finished. Its own process: the signal, once received, is remembered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/program.js';
import { onStopSignals } from '../../src/util/stop-signals.js';
import { scratchDir } from '../scratch-dir.js';
import { captureStderr } from '../stderr-capture.js';

test('after SIGTERM, main exits 143 whether the command returned or failed with an error', async () => {
  const input = join(scratchDir('aha-stop-'), 'answers.jsonl');
  writeFileSync(input, '{"pred": "2", "gold": "2"}\n');
  const ok = ['node', 'aha', 'verify', 'math', '--input', input];
  const bad = ['node', 'aha', 'verify', 'math', '--input', join(input, 'missing')];
  const run = async (argv: string[]) => (await captureStderr(async () => {
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? true : write(chunk, ...rest))) as typeof process.stdout.write;
    try {
      return await main(argv);
    } finally {
      process.stdout.write = write;
    }
  })).value;
  assert.deepEqual([await run(ok), await run(bad)], [0, 2]);
  // What a trainer's handler sees on SIGTERM (process.emit runs the listeners without the signal's default action).
  const off = onStopSignals(() => {});
  process.emit('SIGTERM', 'SIGTERM');
  off();
  assert.deepEqual([await run(ok), await run(bad)], [143, 143]);
});
