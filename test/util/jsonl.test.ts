import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonl, readJsonl, writeJsonl, appendJsonl, truncateJsonlAfterStep } from '../../src/util/jsonl.js';
import { InputError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';

test('parseJsonl skips blank lines and keeps 1-based line numbers', () => {
  const recs = parseJsonl('{"a":1}\n\n  \n{"a":2}\n');
  assert.deepEqual(
    recs.map((r) => [r.line, r.value.a]),
    [
      [1, 1],
      [4, 2],
    ],
  );
});

test('a bad line is reported with its file and line number', () => {
  assert.throws(
    () => parseJsonl('{"a":1}\n{"a":\n', 'data.jsonl'),
    (err: unknown) => err instanceof InputError && /^data\.jsonl:2: not valid JSON/.test(err.message),
  );
  assert.throws(() => parseJsonl('[1,2]\n', 'x.jsonl'), /x\.jsonl:1: expected a JSON object/);
});

test('readJsonl names a missing file', () => {
  assert.throws(() => readJsonl('/nonexistent/aha.jsonl'), /\/nonexistent\/aha\.jsonl: file not found/);
});

test('writeJsonl and appendJsonl round-trip', () => {
  const dir = scratchDir('aha-jsonl-');
  const f = join(dir, 'out.jsonl');
  writeJsonl(f, [{ x: 1 }, { x: 'two' }]);
  appendJsonl(f, { x: [3] });
  assert.deepEqual(
    readJsonl(f).map((r) => r.value.x),
    [1, 'two', [3]],
  );
  writeFileSync(f, readFileSync(f, 'utf8') + '\n');
  assert.equal(readJsonl(f).length, 3);
});

test('truncateJsonlAfterStep keeps steps up to N and drops a line a crash cut short', () => {
  const dir = scratchDir('aha-jsonl-');
  const f = join(dir, 'metrics.jsonl');
  writeFileSync(f, '{"step":1,"x":1}\n{"step":2,"x":2}\n{"step":3,"x":3}\n{"step":4,"x"');
  truncateJsonlAfterStep(f, 2);
  assert.deepEqual(readJsonl(f).map((r) => r.value.step), [1, 2]);
  truncateJsonlAfterStep(join(dir, 'absent.jsonl'), 2);
});
