// Guards of a training run's folder (any trainer's layout, docs/run-folder.md): whether it already
// holds a run, the next free numbered folder for commands that pick their own, and the removal of
// temporaries an interrupted atomic write left behind.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempOwner } from './atomic.js';
import { AhaError } from './errors.js';

/** Files any trainer writes at the start of a run. */
const RUN_MARKERS = ['config.json', 'metrics.jsonl', 'checkpoints'];

export function holdsRun(dir: string): boolean {
  return RUN_MARKERS.some((f) => existsSync(join(dir, f)));
}

/**
 * Refuses a folder that already holds a run (checked before any slow work), so a fresh run never
 * appends to or overwrites another run's logs and checkpoints. `outFlag` names the flag to change;
 * `prepared` lists entries the same run wrote before this stage (they do not make it unfresh).
 */
export function assertFreshRunDir(runDir: string, outFlag = '--out', prepared: readonly string[] = []): void {
  if (holdsRun(runDir)) throw new AhaError(`${runDir} already holds a run; pass --resume to continue it, or choose another ${outFlag}`);
  if (existsSync(runDir) && readdirSync(runDir).some((f) => !prepared.includes(f))) throw new AhaError(`${runDir} is not empty; choose another ${outFlag}`);
}

/** `base` if it is free, else the first free `base-2`, `base-3`, ... */
export function nextFreeRunDir(base: string): string {
  const free = (d: string) => !existsSync(d) || readdirSync(d).length === 0;
  if (free(base)) return base;
  for (let i = 2; ; i++) if (free(`${base}-${i}`)) return `${base}-${i}`;
}

/** True when process `pid` is running (a process of another user counts as running). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries of atomic writes in `dir` (not below it) that no write is still filling:
 * those of this process (none is in flight when a run starts) and of processes no longer running,
 * e.g. a checkpoint folder half-written when a run was killed. Other files are never touched.
 * Returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const pid = tempOwner(name);
    if (pid === null || (pid !== process.pid && running(pid))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
