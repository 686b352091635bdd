// The docs write the package's own files as relative paths (`--model models/aha-tiny-countdown`,
// `aha pipeline recipes/r1-arithmetic.yaml`, `loadModel('models/aha-tiny-base')`). A user runs
// them from their own project folder, where those paths do not exist: they must still find the
// files aha ships, while a folder of the same name the user made always wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/program.js';
import { loadModel } from '../../src/index.js';
import { bundledPath, packageRoot } from '../../src/util/paths.js';
import { AhaError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';

/** Runs `fn` with the working folder set to a fresh folder outside the package. */
async function outside<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = scratchDir('aha-outside-');
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn(dir);
  } finally {
    process.chdir(before);
  }
}

/** `aha <argv>` in this process: exit code and stdout text. */
async function aha(argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? ((stdout += chunk), true) : write(chunk, ...rest))) as typeof process.stdout.write;
  try {
    return { code: await main(['node', 'aha', ...argv]), stdout };
  } finally {
    process.stdout.write = write;
  }
}

test('bundledPath: a shipped path resolves into the package only when the working folder lacks it', () =>
  outside((dir) => {
    assert.equal(bundledPath('models/aha-tiny-base'), join(packageRoot(), 'models', 'aha-tiny-base'));
    assert.equal(bundledPath('recipes/r1-arithmetic.yaml'), join(packageRoot(), 'recipes', 'r1-arithmetic.yaml'));
    assert.equal(bundledPath('models/no-such-model'), 'models/no-such-model', 'nothing shipped by that name: left as given');
    assert.equal(bundledPath('package.json'), 'package.json', 'only the shipped folders, not any file of the package');
    mkdirSync(join(dir, 'models', 'aha-tiny-base'), { recursive: true });
    assert.equal(bundledPath('models/aha-tiny-base'), 'models/aha-tiny-base', "the user's own folder wins");
  }));

test('CLI: doc commands naming models/ and recipes/ run from another folder', () =>
  outside(async (dir) => {
    const checked = await aha(['pipeline', 'recipes/r1-arithmetic.yaml', '--check']);
    assert.equal(checked.code, 0);
    assert.match(checked.stdout, /valid; 7 stages/);
    const out = join(dir, 'coat-base');
    assert.equal((await aha(['tokens', 'add', '--model', 'models/aha-tiny-countdown', '--out', out])).code, 0);
    assert.ok(existsSync(join(out, 'config.json')));
  }));

test('library: loadModel of a bundled model by its documented path works from another folder', () =>
  outside(() => {
    const { config } = loadModel('models/aha-tiny-base');
    assert.equal(config.hidden_size, 128);
    mkdirSync('models/aha-tiny-base', { recursive: true });
    assert.throws(() => loadModel('models/aha-tiny-base'), (e: unknown) => e instanceof AhaError && /not a model folder/.test(e.message), "an empty folder of the user's is not replaced by the bundled one");
  }));
