// scripts/build-native.mjs is npm's install script: it runs node-gyp and, when the build fails,
// says which build tool is missing instead of leaving the user with node-gyp's stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { scratchDir } from '../scratch-dir.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'build-native.mjs');

/** A folder of stand-in executables (each exits 0) to use as the whole PATH. */
function toolDir(tools: string[]): string {
  const dir = scratchDir('aha-tools-');
  for (const t of tools) writeFileSync(join(dir, t), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return dir;
}

/** Runs the install script with node-gyp replaced by a script that exits with `gypStatus`. */
function install(path: string, gypStatus: number, env: Record<string, string> = {}) {
  const gyp = join(scratchDir('aha-gyp-'), 'node-gyp.js');
  writeFileSync(gyp, `process.exit(${gypStatus});\n`);
  return spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { PATH: path, npm_config_node_gyp: gyp, ...env } });
}

test("npm's install script is scripts/build-native.mjs", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.install, 'node scripts/build-native.mjs');
});

test('a failed native build without a C++ compiler names the compiler and how to retry, and fails the install', () => {
  const r = install(toolDir(['make', 'python3']), 1);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^aha: building the native kernels failed: a C\+\+ compiler \(g\+\+\) is not on PATH \(Debian\/Ubuntu: apt-get install -y g\+\+ make python3\)/);
  assert.match(r.stderr, /npm rebuild aha/);
  const noMake = install(toolDir(['g++', 'python3']), 1);
  assert.match(noMake.stderr, /failed: make is not on PATH/);
  const badCxx = install(toolDir(['g++', 'make', 'python3']), 1, { CXX: 'clang++-99 -O2' });
  assert.match(badCxx.stderr, /failed: the C\+\+ compiler CXX=clang\+\+-99 is not on PATH/);
});

test('a failed build with every tool present points at the compiler messages; a good build says nothing', () => {
  const tools = toolDir(['g++', 'make', 'python3']);
  const failed = install(tools, 1);
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /failed: see the compiler messages above/);
  const ok = install(tools, 0);
  assert.equal(ok.status, 0);
  assert.equal(ok.stderr, '');
});
