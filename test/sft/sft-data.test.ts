// SFT data files: both formats accepted, and every kind of bad line is reported with its file,
// line number and field before anything else happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSftFile } from '../../src/sft/sft-data.js';
import { InputError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';

function writeData(lines: string[]): string {
  const file = join(scratchDir('aha-sft-data-'), 'data.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const good = [
  JSON.stringify({ prompt: 'User: 2+2? Assistant:', completion: ' <answer>4</answer>' }),
  '',
  JSON.stringify({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }),
];

test('reads both formats and keeps line numbers', () => {
  const records = readSftFile(writeData(good));
  assert.equal(records.length, 2);
  assert.deepEqual(records[0], { kind: 'completion', line: 1, prompt: 'User: 2+2? Assistant:', completion: ' <answer>4</answer>' });
  assert.equal(records[1].kind, 'chat');
  assert.equal(records[1].line, 3);
});

const bad: [string, string, RegExp][] = [
  ['missing completion', JSON.stringify({ prompt: 'x' }), /:4, field "completion": missing/],
  ['non-string prompt', JSON.stringify({ prompt: 3, completion: 'y' }), /:4, field "prompt": must be a string/],
  ['empty completion', JSON.stringify({ prompt: 'x', completion: '' }), /:4, field "completion": is empty/],
  ['both formats', JSON.stringify({ prompt: 'x', completion: 'y', messages: [] }), /:4: has both/],
  ['neither format', JSON.stringify({ text: 'x' }), /:4: expected \{"prompt", "completion"\} or \{"messages"/],
  ['messages not an array', JSON.stringify({ messages: 'hi' }), /:4, field "messages": must be an array/],
  ['bad role', JSON.stringify({ messages: [{ role: 'user', content: 'a' }, { role: 'bot', content: 'b' }] }), /:4, field "messages\[1\]\.role": must be one of/],
  ['missing content', JSON.stringify({ messages: [{ role: 'assistant' }] }), /:4, field "messages\[0\]\.content": missing/],
  ['no assistant turn', JSON.stringify({ messages: [{ role: 'user', content: 'a' }] }), /:4, field "messages": has no assistant message/],
  ['not JSON', '{"prompt": "x", ', /:4: not valid JSON/],
];

for (const [name, line, message] of bad) {
  test(`rejects a bad line (${name}) with file:line and field`, () => {
    const file = writeData([...good, line, ...good]);
    assert.throws(
      () => readSftFile(file),
      (err: unknown) => {
        assert.ok(err instanceof InputError, 'an InputError');
        assert.ok(err.message.startsWith(file), err.message);
        assert.match(err.message, message);
        assert.equal(err.location.line, 4);
        return true;
      },
    );
  });
}

test('rejects an empty file and a missing file', () => {
  assert.throws(() => readSftFile(writeData([''])), /no examples/);
  assert.throws(() => readSftFile('/nonexistent/aha-data.jsonl'), /file not found/);
});
