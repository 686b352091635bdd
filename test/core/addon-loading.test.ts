// How the library meets its native addon as a user installs it: an addon built without OpenBLAS
// is said once (a warning code a program can filter), never silently slow; a missing addon is an
// error saying how to build it where the user is (their project, or aha's own checkout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { addonMissingMessage } from '../../src/core/backend.js';
import { scratchDir } from '../scratch-dir.js';

const BACKEND = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'core', 'backend.ts')).href;

/** Loads the backend in a new process over a stand-in addon reporting `blas`; returns stderr and the gemm it reports. */
function loadWith(blas: boolean): { stderr: string; stdout: string } {
  const addon = join(scratchDir('aha-addon-'), 'fake-addon.cjs');
  writeFileSync(addon, `module.exports = { buildInfo: () => ({ blas: ${blas}, openmp: 0, maxThreads: 1 }), setNumThreads() {}, getNumThreads: () => 1,
    bf16Kernels: () => ({ amx: false, amxWhy: '', vector: false, mode: 0 }) };\n`);
  const script = `const b = await import(${JSON.stringify(BACKEND)}); b.backend(); b.backend(); console.log(b.buildInfo().gemm);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, AHA_NATIVE_ADDON: addon, AHA_THREADS: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  return { stderr: r.stderr, stdout: r.stdout.trim() };
}

test('an addon built without OpenBLAS is said once per process, with how to get the fast kernels', () => {
  const r = loadWith(false);
  assert.equal(r.stdout, 'fallback');
  const lines = r.stderr.split('\n').filter((l) => l.includes('AHA_PORTABLE_GEMM'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /portable C\+\+ kernels .*built without OpenBLAS.*libopenblas-dev.*npm rebuild aha/);
});

test('an addon with OpenBLAS loads without a word', () => {
  const r = loadWith(true);
  assert.equal(r.stdout, 'openblas');
  assert.doesNotMatch(r.stderr, /AHA_PORTABLE_GEMM|portable/);
});

test('a missing addon says how to build it: `npm rebuild aha` in a project that installed aha, `npm install` in a checkout', () => {
  const dep = addonMissingMessage('/home/u/app/node_modules/aha', '/home/u/app/node_modules/aha/build/Release/aha_native.node');
  assert.match(dep, /aha_native\.node is missing\): `npm rebuild aha` in your project builds it/);
  assert.match(dep, /C\+\+ compiler, make and python3/);
  assert.match(dep, /npm install-scripts approve aha/);
  const checkout = addonMissingMessage('/src/aha', '/src/aha/build/Release/aha_native.node');
  assert.match(checkout, /`npm install` \(or `npx node-gyp rebuild`\) in \/src\/aha builds it/);
  assert.doesNotMatch(checkout, /npm rebuild aha/);
});
