import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { progress } from '../../src/util/progress.js';

function capture(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }) as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

test('a resumed run estimates its ETA from the steps done since it resumed', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  const { stream, lines } = capture();
  const bar = progress({ label: 'train', total: 1000, start: 900, plain: true, stream }); // resumed at step 900
  bar.update(900);
  t.mock.timers.tick(10_000);
  bar.update(910); // 10 steps in 10 s: 90 steps left take 90 s, not 90 * 10/910 s
  assert.match(lines.at(-1)!, /^train 910\/1000 elapsed 10s ETA 1m30s/);
});

test('a fresh run counts from zero', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  const { stream, lines } = capture();
  const bar = progress({ label: 'train', total: 100, plain: true, stream });
  t.mock.timers.tick(6_000);
  bar.tick(3);
  assert.match(lines.at(-1)!, /^train 3\/100 elapsed 6s ETA 3m14s/);
});

test("on a terminal, a resumed run's bar starts at the saved step and its ETA counts from there", (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  const { stream, lines } = capture();
  Object.assign(stream, { isTTY: true, columns: 200, cursorTo() {}, moveCursor() {}, clearLine() {}, clearScreenDown() {} });
  const bar = progress({ label: 'train', total: 1000, start: 900, stream });
  try {
    assert.match(lines.join(''), /900\/1000/);
    t.mock.timers.tick(10_000);
    bar.update(910);
    const text = lines.join('');
    // 10 steps in 10 s: 90 steps left take 90 s; counted from step 0 it would say a few seconds
    assert.match(text.slice(text.lastIndexOf('910/1000')), /ETA 1m30s/);
  } finally {
    bar.stop();
  }
});
