// Finished benchmark runs kept on disk, so a comparison of many long runs (bench:family's 16-24
// runs of several minutes each) can be stopped and continued, in another session if need be,
// without redoing what is done. One JSON file per run holds the run's settings beside its result;
// a stored run is reused only when its settings equal the current ones, and a file made with other
// settings is an error naming the file and the first field that differs (never silently mixed in).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../../src/util/atomic.js';

export interface RunStore<T> {
  /** The stored result of run `key` made with `settings`, or undefined when it has not finished yet (or no store). */
  get(key: string, settings: unknown): T | undefined;
  /** Keeps the result of run `key` made with `settings` (written whole: a stop mid-write leaves no partial file). */
  put(key: string, settings: unknown, result: T): void;
  /** Where run `key` is kept, or undefined without a store. */
  file(key: string): string | undefined;
}

/** The first path at which two JSON values differ ("" when equal). */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return path || '(top level)';
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
    if (d !== null) return d;
  }
  return null;
}

/**
 * A store in `dir` (undefined: nothing kept, every run is made). Settings are compared as JSON,
 * so they must be plain data.
 */
export function runStore<T>(dir: string | undefined): RunStore<T> {
  const fileOf = (key: string) => (dir === undefined ? undefined : join(dir, `${key.replace(/[^a-z0-9_+.-]/gi, '_')}.json`));
  return {
    file: fileOf,
    get(key, settings) {
      const file = fileOf(key);
      if (file === undefined || !existsSync(file)) return undefined;
      let stored: { settings?: unknown; result?: T };
      try {
        stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
      } catch (e) {
        throw new Error(`${file}: not a stored run (${(e as Error).message}); delete it to run again`);
      }
      if (stored.result === undefined) throw new Error(`${file}: no "result" field; delete it to run again`);
      // Round-trip the current settings through JSON so undefined fields compare as the file has them.
      const want = JSON.parse(JSON.stringify(settings)) as unknown;
      const diff = firstDifference(stored.settings, want);
      if (diff !== null) throw new Error(`${file} was made with other settings (field ${diff} differs); use another results folder or delete the file`);
      return stored.result;
    },
    put(key, settings, result) {
      const file = fileOf(key);
      if (file === undefined) return;
      atomicWriteFile(file, `${JSON.stringify({ settings, result }, null, 1)}\n`);
    },
  };
}
