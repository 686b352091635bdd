// Scratch folders for tests: this module owns every temporary folder the tests make under
// os.tmpdir(), and removes them all when the test process exits (never throwing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

function removeAll(): void {
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort: a folder that cannot be removed must not fail the test run.
    }
  }
}

/** A fresh folder os.tmpdir()/<prefix>XXXXXX, removed when the process exits. */
export function scratchDir(prefix: string): string {
  if (!hooked) {
    process.on('exit', removeAll);
    hooked = true;
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
