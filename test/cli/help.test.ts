import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function aha(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

const COMMANDS = ['train', 'pretrain', 'generate', 'eval', 'verify', 'serve', 'sft', 'sample', 'pipeline', 'report', 'dashboard'];

test('aha --help lists every command', () => {
  const r = aha('--help');
  assert.equal(r.status, 0, r.stderr);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), `missing ${c}`);
});

test('every command has its own --help', () => {
  for (const c of COMMANDS) {
    const r = aha(c, '--help');
    assert.equal(r.status, 0, `${c}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Usage: aha ${c}`));
  }
});

test('an unknown command is an error, not silence', () => {
  const r = aha('nosuchcommand');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown command 'nosuchcommand'/);
});

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = aha('--version');
  assert.equal(r.stdout.trim(), pkg.version);
});
