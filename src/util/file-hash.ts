// SHA-256 of files, read in chunks: a model's weights file can be larger than one read may be
// in Node (2 GiB), and hashing it whole would hold all of it in memory besides.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 16 * 1024 * 1024;

/** Feeds the bytes of `file` into `hash`, chunk by chunk. */
export function hashFileInto(hash: Hash, file: string): Hash {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) return hash;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 (hex) of a file's bytes. */
export function fileSha256(file: string): string {
  return hashFileInto(createHash('sha256'), file).digest('hex');
}
