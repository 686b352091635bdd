#!/usr/bin/env node
// Installs the Debian packages aha uses when they are missing and we run as root with apt-get.
//
// `node scripts/system-deps.mjs` (npm preinstall): what aha itself uses, all optional:
//   libopenblas-dev   - fast matrix products for the native kernels (a portable C++ fallback is
//                       compiled when it is absent, about 5-10x slower)
//   bubblewrap        - the OS sandbox for running model-written code (required only by code
//                       rewards; without it those rewards refuse to run, never fall back)
//   fonts-dejavu-core - a font for the axis labels of the PNG curves `aha train` writes
// Not root, no apt-get, or AHA_SKIP_SYSTEM_DEPS=1: print what is missing and carry on.
// Only `npm install` in aha's own folder (the Quick start) installs anything. When aha is a
// dependency of another project, npm hides its install scripts' output unless they fail, so an
// apt-get run there would change the system behind the user's back: it only lists what is missing
// (shown with `npm install --foreground-scripts`), and the library says at run time what it lacks.
//
// `node scripts/system-deps.mjs --test` (npm pretest): what only the test suite uses:
//   chromium          - the browser the report's browser tests drive (large, so not installed
//                       for people who only use aha)
// Here a package that cannot be installed is an error: one line saying how to get it, exit 1,
// before minutes of tests run. AHA_CHROMIUM (another browser) or AHA_SKIP_BROWSER_TESTS=1 skip it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const INSTALL_PACKAGES = [
  { pkg: 'libopenblas-dev', why: 'fast matrix products (else the portable fallback kernels are used)' },
  { pkg: 'bubblewrap', why: 'the sandbox for code rewards (else code rewards refuse to run)' },
  { pkg: 'fonts-dejavu-core', why: 'axis labels of the PNG training curves (else PNG export refuses)' },
];

export const TEST_PACKAGES = [{ pkg: 'chromium', file: '/usr/bin/chromium', why: "the report's browser tests" }];

function hasCommand(cmd, env) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', env }).status === 0;
}

/** Is the package there? dpkg knows on Debian; elsewhere only the file a package provides can tell. */
function present(want, env) {
  if (!hasCommand('dpkg-query', env)) return want.file === undefined || existsSync(want.file);
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', want.pkg], { encoding: 'utf8', env });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/**
 * Installs the missing packages of `wanted` with apt-get when allowed; returns the exit code.
 * Optional packages (required=false) only warn when they cannot be installed; required ones fail
 * with one line. `isRoot` and `env` are parameters so the logic can be tested without root or apt.
 */
export function ensurePackages(wanted, { required, env = process.env, isRoot, asDependency = false, log = console.log, warn = console.warn }) {
  const missing = wanted.filter((w) => !present(w, env));
  if (missing.length === 0) return 0;
  const names = missing.map((m) => m.pkg);
  const instruction = `apt-get update && apt-get install -y ${names.join(' ')}`;
  const canInstall = env.AHA_SKIP_SYSTEM_DEPS !== '1' && !asDependency && isRoot && hasCommand('apt-get', env);
  if (canInstall) {
    log(`aha: installing Debian packages ${names.join(', ')} (set AHA_SKIP_SYSTEM_DEPS=1 to skip)`);
    try {
      const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv });
      execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...names], { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv });
    } catch (err) {
      warn(`aha: could not install ${names.join(', ')}: ${err.message}`);
    }
    const still = missing.filter((w) => !present(w, env));
    if (still.length === 0) return 0;
    if (!required) return 0; // each optional package has a documented fallback
    warn(`aha: ${still.map((m) => m.pkg).join(', ')} did not install (needed for ${still.map((m) => m.why).join(', ')}); try: ${instruction}`);
    return 1;
  }
  if (required) {
    const what = missing.map((m) => `${m.pkg} (${m.why})`).join(', ');
    warn(`aha: npm test needs ${what}; as root run: ${instruction} (or set AHA_SKIP_BROWSER_TESTS=1 to skip the browser tests)`);
    return 1;
  }
  for (const m of missing) warn(`aha: Debian package ${m.pkg} is not installed: ${m.why}.`);
  warn(`aha: to install them: ${instruction}${asDependency ? ' (then `npm rebuild aha` for OpenBLAS)' : ''}`);
  return 0;
}

/** The test packages still wanted: none when the user brings a browser or skips the browser tests. */
export function testPackages(env = process.env) {
  if (env.AHA_SKIP_BROWSER_TESTS === '1' || env.AHA_CHROMIUM !== undefined) return [];
  return TEST_PACKAGES;
}

/**
 * Is npm installing aha as a dependency of another project? npm runs the script in the package's
 * folder and sets INIT_CWD to the folder `npm install` was typed in; they differ for a dependency.
 */
export function installedAsDependency(env = process.env, cwd = process.cwd()) {
  if (env.INIT_CWD === undefined) return false;
  const real = (p) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(env.INIT_CWD) !== real(cwd);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const test = process.argv.includes('--test');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  process.exit(ensurePackages(test ? testPackages() : INSTALL_PACKAGES, { required: test, isRoot, asDependency: !test && installedAsDependency() }));
}
