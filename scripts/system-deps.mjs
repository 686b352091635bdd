#!/usr/bin/env node
// Installs the Debian packages aha uses when they are missing and we run as root:
//   libopenblas-dev  - fast matrix products for the native kernels (optional: a portable
//                      C++ fallback is compiled when it is absent, about 5-10x slower)
//   bubblewrap       - the OS sandbox for running model-written code (required only by
//                      code rewards; without it those rewards refuse to run, never fall back)
// Not root, no apt-get, or AHA_SKIP_SYSTEM_DEPS=1: print what is missing and carry on.
import { execFileSync, spawnSync } from 'node:child_process';

const WANTED = [
  { pkg: 'libopenblas-dev', why: 'fast matrix products (else the portable fallback kernels are used)' },
  { pkg: 'bubblewrap', why: 'the sandbox for code rewards (else code rewards refuse to run)' },
];

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = hasCommand('dpkg-query') ? WANTED.filter((w) => !installed(w.pkg)) : [];
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const names = missing.map((m) => m.pkg);
if (process.env.AHA_SKIP_SYSTEM_DEPS === '1' || !isRoot || !hasCommand('apt-get')) {
  for (const m of missing) console.warn(`aha: Debian package ${m.pkg} is not installed: ${m.why}.`);
  console.warn(`aha: to install them: apt-get update && apt-get install -y ${names.join(' ')}`);
  process.exit(0);
}

console.log(`aha: installing Debian packages ${names.join(', ')} (set AHA_SKIP_SYSTEM_DEPS=1 to skip)`);
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...names], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch (err) {
  // An apt failure must not break `npm install`: both packages have a documented fallback.
  console.warn(`aha: could not install ${names.join(', ')}: ${err.message}`);
}
