// Whether a folder already holds a training run (any trainer's layout, docs/run-folder.md), and the
// next free numbered folder for commands that pick their own output folder.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError } from './errors.js';

/** Files any trainer writes at the start of a run. */
const RUN_MARKERS = ['config.json', 'metrics.jsonl', 'checkpoints'];

export function holdsRun(dir: string): boolean {
  return RUN_MARKERS.some((f) => existsSync(join(dir, f)));
}

/**
 * Refuses a folder that already holds a run (checked before any slow work), so a fresh run never
 * appends to or overwrites another run's logs and checkpoints. `outFlag` names the flag to change.
 */
export function assertFreshRunDir(runDir: string, outFlag = '--out'): void {
  if (holdsRun(runDir)) throw new AhaError(`${runDir} already holds a run; pass --resume to continue it, or choose another ${outFlag}`);
  if (existsSync(runDir) && readdirSync(runDir).length > 0) throw new AhaError(`${runDir} is not empty; choose another ${outFlag}`);
}

/** `base` if it is free, else the first free `base-2`, `base-3`, ... */
export function nextFreeRunDir(base: string): string {
  const free = (d: string) => !existsSync(d) || readdirSync(d).length === 0;
  if (free(base)) return base;
  for (let i = 2; ; i++) if (free(`${base}-${i}`)) return `${base}-${i}`;
}
