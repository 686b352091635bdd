// Atomic writes: write to a temporary sibling, fsync, then rename over the target, so a crash
// leaves either the old file or the new one, never a half-written one.
import { openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { diskFullError } from './errors.js';

let counter = 0;

/** Temporaries are named `.aha-tmp-<pid>-<n>-<target name>[.old]`, so leftovers can be told apart. */
const TEMP_NAME = /^\.aha-tmp-(\d+)-\d+-/;

function tempSibling(target: string): string {
  counter += 1;
  return join(dirname(target), `.aha-tmp-${process.pid}-${counter}-${basename(target)}`);
}

/** The id of the process that made temporary `name`, or null when `name` is not one of ours. */
export function tempOwner(name: string): number | null {
  const m = TEMP_NAME.exec(name);
  return m ? Number(m[1]) : null;
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse to fsync a directory; the rename is still atomic there.
  }
}

/** Writes `data` to `target` atomically. Parent folders are created. */
export function atomicWriteFile(target: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (err) {
    throw diskFullError(err, target);
  }
  try {
    const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw diskFullError(err, target);
  }
  closeSync(fd);
  renameSync(tmp, target);
  fsyncDir(dirname(target));
}

/**
 * Writes a whole folder atomically: `fill` writes into a fresh temporary folder, which then
 * replaces `target` (the old folder is removed only after the new one is in place).
 */
export function atomicWriteDir(target: string, fill: (tmpDir: string) => void): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = tempSibling(target);
  mkdirSync(tmp);
  try {
    fill(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(tmp);
  const old = existsSync(target) ? tempSibling(target) + '.old' : null;
  if (old) renameSync(target, old);
  renameSync(tmp, target);
  fsyncDir(parent);
  if (old) rmSync(old, { recursive: true, force: true });
}
