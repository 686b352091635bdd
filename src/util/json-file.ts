// Reading one JSON file with errors that name it: every config, state and index file goes here.
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/** Parses `file` as JSON, or throws an InputError naming the file. */
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError({ file }, `not valid JSON (${(err as Error).message})`);
  }
}

/** Like readJsonFile, but the top level must be an object (`expected` words the error). */
export function readJsonObject(file: string, expected = 'a JSON object'): Record<string, unknown> {
  const raw = readJsonFile(file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError({ file }, `expected ${expected}`);
  return raw as Record<string, unknown>;
}
