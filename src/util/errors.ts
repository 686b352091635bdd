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
