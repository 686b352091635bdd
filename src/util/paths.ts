// Where the package's own files are (bundled data, models, native build), whether running from
// src/ through tsx or from the compiled dist/src.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The folder holding aha's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'bin', 'aha.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('aha: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  root = dir;
  return dir;
}

/** The package's own folders that the docs, configs and recipes name by a relative path. */
const BUNDLED_FOLDERS = ['models', 'recipes', 'configs', 'data'];

/**
 * `p` as given when it exists (relative to the working folder), is absolute, or names nothing the
 * package ships; else the same path inside the aha package. So `--model models/aha-tiny-countdown`
 * or `--config recipes/countdown-model.json`, as the docs write them, work from any folder once
 * aha is installed, while a path the user made in the working folder always wins.
 */
export function bundledPath(p: string): string {
  if (isAbsolute(p) || existsSync(p)) return p;
  const parts = normalize(p).split(/[\\/]/);
  if (parts.length < 2 || !BUNDLED_FOLDERS.includes(parts[0])) return p;
  const inPackage = join(packageRoot(), ...parts);
  return existsSync(inPackage) ? inPackage : p;
}
