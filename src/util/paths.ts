// Where the package's own files are (bundled data, models, native build), whether running from
// src/ through tsx or from the compiled dist/src.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
