// scripts/system-deps.mjs decides what `npm install` (preinstall) and `npm test` (pretest) install
// with apt-get. Run here against a fake dpkg-query and apt-get on PATH, as root and as nobody, so
// no real package is touched: what it asks apt for, and whether it fails, is what users meet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { scratchDir } from '../scratch-dir.js';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'system-deps.mjs');
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

interface Outcome {
  code: number | null;
  stderr: string;
  stdout: string;
  apt: string[];
  installed: string[];
}

/** Runs the script with fake Debian tools; `installed` seeds the fake dpkg database. */
function run(args: string[], opts: { installed?: string[]; uid?: number; env?: Record<string, string>; aptFails?: boolean } = {}): Outcome {
  const dir = scratchDir('aha-sysdeps-');
  chmodSync(dir, 0o755);
  const db = join(dir, 'dpkg-db');
  const log = join(dir, 'apt-log');
  writeFileSync(db, (opts.installed ?? []).map((p) => p + '\n').join(''), { mode: 0o666 });
  writeFileSync(log, '', { mode: 0o666 });
  writeFileSync(join(dir, 'dpkg-query'), `#!/bin/sh\nfor last; do :; done\ngrep -qx "$last" "${db}" || exit 1\nprintf 'install ok installed'\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'apt-get'), [
    '#!/bin/sh',
    `echo "$*" >> "${log}"`,
    opts.aptFails ? 'exit 100' : '',
    'if [ "$1" = install ]; then for a; do case "$a" in -*|install) ;; *) echo "$a" >> "' + db + '";; esac; done; fi',
  ].join('\n') + '\n', { mode: 0o755 });
  // A copy of the script in the scratch folder: the checkout may sit where nobody cannot read it
  // (CI clones into a mode-0700 mktemp folder), and the script needs only Node's own modules.
  const script = join(dir, 'system-deps.mjs');
  copyFileSync(SCRIPT, script);
  chmodSync(script, 0o644);
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, ...opts.env },
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, apt: lines(log), installed: lines(db) };
}

const rootOnly = isRoot ? false : 'needs root to run the script as root and as nobody';

test('npm install as root installs the missing optional packages, including the font the PNG curves need', { skip: rootOnly }, () => {
  const r = run([], { installed: ['bubblewrap'] });
  assert.equal(r.code, 0);
  assert.deepEqual(r.apt, ['update -q', 'install -y -q --no-install-recommends libopenblas-dev fonts-dejavu-core']);
  assert.ok(!r.apt.join(' ').includes('chromium'), 'chromium is a test-only package, not installed for users');
});

test('npm install without root only says what is missing and how to install it, and succeeds', { skip: rootOnly }, () => {
  const r = run([], { uid: NOBODY });
  assert.equal(r.code, 0);
  assert.deepEqual(r.apt, []);
  assert.match(r.stderr, /apt-get update && apt-get install -y libopenblas-dev bubblewrap fonts-dejavu-core/);
});

test('installed as root as a dependency of another project, it asks apt for nothing: it lists what is missing and succeeds', { skip: rootOnly }, () => {
  // npm runs the script in aha's folder with INIT_CWD the folder `npm install` was typed in.
  const r = run([], { installed: ['bubblewrap'], env: { INIT_CWD: scratchDir('aha-consumer-') } });
  assert.equal(r.code, 0);
  assert.deepEqual(r.apt, []);
  assert.match(r.stderr, /libopenblas-dev is not installed/);
  assert.match(r.stderr, /apt-get update && apt-get install -y libopenblas-dev fonts-dejavu-core/);
  // `npm install` in aha's own folder (INIT_CWD is where it runs) still installs them.
  const own = run([], { installed: ['bubblewrap'], env: { INIT_CWD: process.cwd() } });
  assert.deepEqual(own.apt, ['update -q', 'install -y -q --no-install-recommends libopenblas-dev fonts-dejavu-core']);
});

test('npm test as root installs chromium when it is missing', { skip: rootOnly }, () => {
  const r = run(['--test'], { installed: ['libopenblas-dev'] });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.apt, ['update -q', 'install -y -q --no-install-recommends chromium']);
  assert.ok(r.installed.includes('chromium'));
});

test('npm test with chromium installed asks apt for nothing', { skip: rootOnly }, () => {
  const r = run(['--test'], { installed: ['chromium'] });
  assert.equal(r.code, 0);
  assert.deepEqual(r.apt, []);
});

test('npm test without root fails at once with one line saying how to get chromium', { skip: rootOnly }, () => {
  const r = run(['--test'], { uid: NOBODY });
  assert.equal(r.code, 1);
  assert.deepEqual(r.apt, []);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^aha: npm test needs chromium .*apt-get install -y chromium.*AHA_SKIP_BROWSER_TESTS=1/);
});

test('npm test fails with that line when apt-get cannot install chromium, or installing is switched off', { skip: rootOnly }, () => {
  const failed = run(['--test'], { aptFails: true });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /chromium did not install.*apt-get install -y chromium/);
  const skipped = run(['--test'], { env: { AHA_SKIP_SYSTEM_DEPS: '1' } });
  assert.equal(skipped.code, 1);
  assert.deepEqual(skipped.apt, []);
});

test('npm test wants no chromium when the browser tests are skipped or another browser is given', () => {
  const envs: Record<string, string>[] = [{ AHA_SKIP_BROWSER_TESTS: '1' }, { AHA_CHROMIUM: '/opt/chrome/chrome' }];
  for (const env of envs) {
    const r = run(['--test'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.apt, []);
  }
});
