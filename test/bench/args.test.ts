// The benchmarks' flag parser: a misspelt flag or a malformed number stops a bench before it
// spends minutes on defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchArgs } from '../../bench/lib/args.js';

test('benchArgs reads options, switches and number lists, with the defaults when absent', () => {
  const cli = benchArgs('bench:x', ['--seed', '--steps', '--beta'], ['--json'], ['--seed', '1,2,3', '--json', '--beta', '-0.5']);
  assert.deepEqual(cli.ints('--seed', [0]), [1, 2, 3]);
  assert.equal(cli.int('--steps', 60), 60);
  assert.equal(cli.num('--beta', 0), -0.5);
  assert.equal(cli.has('--json'), true);
  assert.equal(cli.has('--steps'), false);
  assert.equal(cli.value('--seed'), '1,2,3');
});

test('benchArgs refuses unknown flags, missing values and malformed numbers, naming them', () => {
  assert.throws(() => benchArgs('bench:x', ['--seed'], ['--json'], ['--sed', '1']), /bench:x: unknown argument --sed; flags are --seed --json/);
  assert.throws(() => benchArgs('bench:x', ['--seed'], [], ['--seed']), /bench:x: --seed needs a value/);
  const cli = benchArgs('bench:x', ['--steps', '--seed'], [], ['--steps', '2.5', '--seed', '1,x']);
  assert.throws(() => cli.int('--steps', 1), /--steps expects whole numbers/);
  assert.throws(() => cli.numbers('--seed', [0]), /--seed expects numbers separated by commas, got "1,x"/);
  assert.throws(() => benchArgs('bench:x', ['--steps'], [], ['--steps', '1,2']).int('--steps', 1), /--steps expects one number/);
});

test('benchArgs integers: seeds of either sign, and nothing that is not an integer', () => {
  assert.deepEqual(benchArgs('bench:x', ['--seed'], [], ['--seed', '-3,0,7']).integers('--seed', [1]), [-3, 0, 7]);
  assert.deepEqual(benchArgs('bench:x', ['--seed'], [], []).integers('--seed', [1, 2]), [1, 2]);
  assert.throws(() => benchArgs('bench:x', ['--seed'], [], ['--seed', '1,2.5']).integers('--seed', [1]), /--seed expects integers separated by commas, got "1,2.5"/);
  assert.throws(() => benchArgs('bench:x', ['--seed'], [], ['--seed', '1,x']).integers('--seed', [1]), /--seed expects integers/);
});
