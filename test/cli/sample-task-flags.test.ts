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

test('aha sample: a task-only flag with a benchmark is refused, naming it and limit', async () => {
  await assert.rejects(
    runCommand(register, 'sample', ['--data', 'gsm8k', '--model', 'models/aha-tiny-base', '--count', '3', '--data-seed', '2', '--out', join(scratchDir('aha-sample-flags-'), 'never-written.jsonl')]),
    (e: unknown) => e instanceof AhaError && /^--count: applies to task data \(arithmetic, countdown, world\) only; "gsm8k" is a file or benchmark, of which limit takes the first n/.test(e.message),
  );
});

test('pipeline: a sample or eval stage giving count to a benchmark is refused at validation, naming the line and field', async () => {
  const { parseRecipe } = await import('../../src/pipeline/recipe.js');
  const recipe = ['name: r', 'stages:', '  - name: ev', '    kind: eval', '    config: { model: models/aha-tiny-base, data: gsm8k, count: 5 }', ''].join('\n');
  assert.throws(() => parseRecipe(recipe, 'r.yaml'), (e: unknown) => e instanceof AhaError && /r\.yaml:5: stage "ev", field "count": applies to task data/.test(e.message));
  const task = recipe.replace('data: gsm8k', 'data: arithmetic');
  assert.equal(parseRecipe(task, 'r.yaml').stages.length, 1, 'count with a task stays valid');
});
