// Temporary folders for tests, removed when the test process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder named aha-<prefix>-…, removed at exit. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `aha-${prefix}-`));
  made.push(d);
  return d;
}
