// Temporary folders for tests, removed when the test process exits.
import { scratchDir } from '../scratch-dir.js';

/** A fresh temporary folder named aha-<prefix>-…, removed at exit. */
export function tempDir(prefix: string): string {
  return scratchDir(`aha-${prefix}-`);
}
