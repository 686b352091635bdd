// `aha sample --count` (and --split, --difficulty, --data-seed) drive a task's problem generator.
// With a file or a benchmark they would change nothing, so a user asking for 3 problems of GSM8K
// must hear that (and of --limit) before 1,319 problems are sampled, not get all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from '../../src/cli/commands/sample.js';
import { AhaError } from '../../src/util/errors.js';
import { join } from 'node:path';
import { runCommand } from './in-process.js';
import { scratchDir } from '../scratch-dir.js';

test('aha sample: task-only flags with a benchmark are refused, naming them and --limit', async () => {
  await assert.rejects(
    runCommand(register, 'sample', ['--data', 'gsm8k', '--model', 'models/aha-tiny-base', '--count', '3', '--data-seed', '2', '--out', join(scratchDir('aha-sample-flags-'), 'never-written.jsonl')]),
    (e: unknown) => e instanceof AhaError && /^--count, --data-seed: task data only; --data gsm8k is a benchmark \(use --limit/.test(e.message),
  );
});
