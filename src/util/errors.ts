// User-facing errors. An AhaError is printed by the CLI as one clear message (no stack trace)
// and exits with code 2; anything else is a bug and keeps its stack.

export class AhaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AhaError';
  }
}

/** Where in an input a problem is: file, 1-based line, and field, each optional. */
export interface Location {
  file?: string;
  line?: number;
  field?: string;
}

export function formatLocation(loc: Location): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file);
  else if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.field !== undefined) parts.push(`field "${loc.field}"`);
  return parts.join(', ');
}

/** An input error that names where it is, e.g. `data.jsonl:12, field "answer": missing`. */
export class InputError extends AhaError {
  readonly location: Location;
  constructor(location: Location, problem: string) {
    const where = formatLocation(location);
    super(where ? `${where}: ${problem}` : problem);
    this.name = 'InputError';
    this.location = location;
  }
}

/**
 * A write that failed because the disk (or the user's quota) is full, as one clear message naming
 * the file: the run's state on disk is still whole (writes are atomic or whole lines), so freeing
 * space and resuming continues it. Any other error is returned as it was.
 */
export function diskFullError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return new AhaError(`${code === 'ENOSPC' ? 'no space left on the device' : 'disk quota exceeded'} while writing ${file}; free some space, then re-run (a training run with --resume)`);
}
