#!/usr/bin/env node
// Builds the native kernels (npm's install script): `node-gyp rebuild`. aha cannot train, sample
// or evaluate a local model without them, so a failed build fails the install; but node-gyp's
// own failure ends in a stack of "gyp ERR!" lines that name no cause. When it fails this says
// which build tool is missing (a C++ compiler, make, python3) and how to retry.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Is `cmd` an executable on PATH (or a path that exists)? */
function onPath(cmd, env) {
  if (cmd.includes('/')) return existsSync(cmd);
  return (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, cmd)));
}

/**
 * The build tools node-gyp needs on Linux that are not on PATH: the C++ compiler make will call
 * ($CXX, else g++ as gyp's Makefiles default to), make, and python3 (or $PYTHON).
 */
export function missingBuildTools(env = process.env) {
  const missing = [];
  const cxx = env.CXX?.trim().split(/\s+/)[0];
  if (cxx ? !onPath(cxx, env) : !onPath('g++', env)) missing.push(cxx ? `the C++ compiler CXX=${cxx}` : 'a C++ compiler (g++)');
  if (!onPath('make', env)) missing.push('make');
  const python = env.PYTHON ?? env.npm_config_python;
  if (python ? !onPath(python, env) : !onPath('python3', env)) missing.push(python ? `python (${python})` : 'python3');
  return missing;
}

/** What to tell the user after node-gyp failed. */
export function buildFailureMessage(env = process.env) {
  const missing = missingBuildTools(env);
  const cause = missing.length > 0
    ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not on PATH (Debian/Ubuntu: apt-get install -y g++ make python3)`
    : 'see the compiler messages above';
  return `aha: building the native kernels failed: ${cause}. aha trains and runs models only with ` +
    'these kernels. Fix that, then run `npm rebuild aha` in your project (or `npm install` in the aha ' +
    'folder). Only the verifiers and the reward server work without them: `npm install --ignore-scripts` skips the build.';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // npm puts its own node-gyp on PATH for install scripts and names it in npm_config_node_gyp.
  const gyp = process.env.npm_config_node_gyp;
  const r = gyp
    ? spawnSync(process.execPath, [gyp, 'rebuild'], { stdio: 'inherit' })
    : spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    console.error(r.error ? `aha: could not start node-gyp: ${r.error.message}` : buildFailureMessage());
    process.exit(1);
  }
}
