import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonl, readJsonl, writeJsonl, appendJsonl, truncateJsonlAfterStep } from '../../src/util/jsonl.js';
import { AhaError, InputError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';
import { captureStderr } from '../stderr-capture.js';

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

test('truncateJsonlAfterStep keeps steps up to N and drops a line a crash cut short, saying so', async () => {
  const dir = scratchDir('aha-jsonl-');
  const f = join(dir, 'metrics.jsonl');
  writeFileSync(f, '{"step":1,"x":1}\n{"step":2,"x":2}\n{"step":3,"x":3}\n{"step":4,"x"');
  const { stderr } = await captureStderr(() => truncateJsonlAfterStep(f, 2));
  assert.deepEqual(readJsonl(f).map((r) => r.value.step), [1, 2]);
  assert.match(stderr, /warning: .*metrics\.jsonl:4: dropped an incomplete last line/);
  truncateJsonlAfterStep(join(dir, 'absent.jsonl'), 2);
});

test('truncateJsonlAfterStep refuses a damaged line that is not a cut last line, naming it', () => {
  const dir = scratchDir('aha-jsonl-');
  const f = join(dir, 'metrics.jsonl');
  // Damage inside the log (or a whole last line that is not JSON) is not an interrupted append: dropping it would lose a step silently.
  for (const text of ['{"step":1}\n{"step":2,"x\n{"step":3}\n', '{"step":1}\n{"step":2}\noops\n']) {
    writeFileSync(f, text);
    assert.throws(() => truncateJsonlAfterStep(f, 3), (e: unknown) => e instanceof InputError && /metrics\.jsonl:\d: not a JSON object; the log is damaged/.test(e.message));
    assert.equal(readFileSync(f, 'utf8'), text, 'the file is left as it was');
  }
});

test('readJsonl: not UTF-8 is an error at its line; a byte-order mark and CRLF are not', () => {
  const dir = scratchDir('aha-jsonl-');
  const f = join(dir, 'd.jsonl');
  // A Latin-1 export would otherwise reach the prompts as U+FFFD, silently.
  writeFileSync(f, Buffer.concat([Buffer.from('{"problem": "1+1", "answer": "2"}\n'), Buffer.from('{"problem": "café", "answer": "3"}\n', 'latin1')]));
  assert.throws(() => readJsonl(f), /d\.jsonl:2: not UTF-8 text/);
  writeFileSync(f, '\ufeff{"a": 1}\r\n{"a": 2}\r\n\r\n');
  assert.deepEqual(readJsonl(f).map((r) => r.value.a), [1, 2]);
});

test('parseJsonl: a key given twice in a record is an error, a JSON array file is named as one', () => {
  assert.throws(() => parseJsonl('{"a": 1}\n{"answer": "1", "x": {"answer": 0}, "answer": "2"}\n', 'd.jsonl'), /d\.jsonl:2, field "answer": given twice/);
  // The same key in different objects, and keys that only look alike inside strings, are fine.
  assert.equal(parseJsonl('{"a": {"a": 1}, "b": "\\"a\\": 2", "c": [{"a": 1}, {"a": 2}]}\n').length, 1);
  assert.throws(() => parseJsonl('[\n{"a": 1}\n]\n', 'd.jsonl'), /d\.jsonl:1: .*looks like a JSON array/);
  assert.throws(() => parseJsonl('{"a": 1, "b" 2}\n', 'd.jsonl'), /d\.jsonl:1: not valid JSON \(.* at column 14\)/);
});

test('appendJsonl on a full disk is one clear error naming the file, not a stack trace', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, () => {
  // /dev/full answers every write with ENOSPC, as a full disk does.
  assert.throws(() => appendJsonl('/dev/full', { step: 1 }), (e: unknown) => e instanceof AhaError && /no space left on the device while writing \/dev\/full; free some space, then re-run \(a training run with --resume\)/.test(e.message));
});
