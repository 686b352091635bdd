// JsonlTail: reads only appended lines, copes with a line being written, restarts on truncation,
// and names the file and line of a bad record.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlTail } from '../../src/report/tail.js';
import { InputError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';

const raw = (v: Record<string, unknown>) => v;

function tmpFile(): string {
  return join(scratchDir('aha-tail-'), 'metrics.jsonl');
}

describe('JsonlTail', () => {
  it('returns nothing for a missing file and picks it up once it appears', () => {
    const file = tmpFile();
    const tail = new JsonlTail(file, raw);
    assert.deepEqual(tail.poll(), { added: 0, reset: false });
    writeFileSync(file, '{"step":1}\n');
    assert.deepEqual(tail.poll(), { added: 1, reset: false });
    assert.deepEqual(tail.rows, [{ step: 1 }]);
  });

  it('reads a long run\'s 200,000 lines in one poll (no argument-limit overflow)', () => {
    const file = tmpFile();
    writeFileSync(file, '{"step":1}\n'.repeat(200_000));
    const tail = new JsonlTail(file, raw);
    assert.equal(tail.poll().added, 200_000);
    assert.equal(tail.rows.length, 200_000);
  });

  it('reads only what was appended since the last poll', () => {
    const file = tmpFile();
    writeFileSync(file, '{"step":1}\n{"step":2}\n');
    const tail = new JsonlTail(file, raw);
    assert.equal(tail.poll().added, 2);
    assert.equal(tail.poll().added, 0);
    appendFileSync(file, '{"step":3}\n\n{"step":4}\n');
    assert.equal(tail.poll().added, 2);
    assert.deepEqual(tail.rows.map((r) => r.step), [1, 2, 3, 4]);
  });

  it('waits for a half-written line, and takes a final line without newline once it parses', () => {
    const file = tmpFile();
    writeFileSync(file, '{"step":1}\n{"step":2, "kl"');
    const tail = new JsonlTail(file, raw);
    assert.equal(tail.poll().added, 1);
    appendFileSync(file, ': 0.5}');
    assert.equal(tail.poll().added, 1, 'complete object without newline is taken');
    appendFileSync(file, '\n{"step":3}\n');
    assert.equal(tail.poll().added, 1, 'the owed newline does not create a row or shift lines');
    appendFileSync(file, '{"step":4} oops\n');
    assert.throws(() => tail.poll(), (e: unknown) => e instanceof InputError && e.message.startsWith(`${file}:4:`));
    assert.deepEqual(tail.rows, [{ step: 1 }, { step: 2, kl: 0.5 }, { step: 3 }]);
  });

  it('keeps multi-byte characters split across polls intact', () => {
    const file = tmpFile();
    const line = Buffer.from('{"completion":"wait… 答案"}\n', 'utf8');
    const cut = line.indexOf(0xe2) + 1; // inside the three bytes of "…"
    writeFileSync(file, line.subarray(0, cut));
    const tail = new JsonlTail(file, raw);
    assert.equal(tail.poll().added, 0);
    appendFileSync(file, line.subarray(cut));
    tail.poll();
    assert.deepEqual(tail.rows, [{ completion: 'wait… 答案' }]);
  });

  it('starts over when the file shrinks or disappears (the run was restarted)', () => {
    const file = tmpFile();
    writeFileSync(file, '{"step":1}\n{"step":2}\n');
    const tail = new JsonlTail(file, raw);
    tail.poll();
    writeFileSync(file, '{"step":9}\n');
    assert.deepEqual(tail.poll(), { added: 1, reset: true });
    assert.deepEqual(tail.rows, [{ step: 9 }]);
    rmSync(file);
    assert.deepEqual(tail.poll(), { added: 0, reset: true });
    assert.deepEqual(tail.rows, []);
  });

  it('starts over when the file is replaced by a rewritten one, even if it grew (resume truncates atomically)', () => {
    const file = tmpFile();
    writeFileSync(file, '{"step":1}\n{"step":2}\n');
    const tail = new JsonlTail(file, raw);
    tail.poll();
    const replacement = file + '.new';
    writeFileSync(replacement, '{"step":1}\n{"step":2}\n{"step":3}\n');
    renameSync(replacement, file);
    assert.deepEqual(tail.poll(), { added: 3, reset: true });
    assert.deepEqual(tail.rows.map((r) => r.step), [1, 2, 3]);
  });

  it('rejects lines that are not JSON objects, naming the line', () => {
    const file = tmpFile();
    writeFileSync(file, '{"step":1}\n[1,2]\n');
    assert.throws(() => new JsonlTail(file, raw).poll(), /metrics\.jsonl:2: expected a JSON object/);
  });
});
