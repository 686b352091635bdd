// JSON Lines: read with errors that name the file and line, append and write.
import { readFileSync, appendFileSync, existsSync } from 'node:fs';
import { diskFullError, InputError } from './errors.js';
import { atomicWriteFile } from './atomic.js';
import { parseJsonText } from './json-file.js';
import { readUtf8File } from './text-file.js';

export interface JsonlRecord<T> {
  /** 1-based line number in the file. */
  line: number;
  value: T;
}

/**
 * Parses JSON Lines text; blank lines are skipped (CRLF endings and a byte-order mark are
 * whitespace to trim()); every other line must be a JSON object naming each key once. A whole
 * JSON array in the file is named as such: aha reads one object a line.
 */
export function parseJsonl(text: string, file = '<input>'): JsonlRecord<Record<string, unknown>>[] {
  const out: JsonlRecord<Record<string, unknown>>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    if (out.length === 0 && raw.startsWith('[')) {
      throw new InputError({ file, line: i + 1 }, 'expected a JSON object on each line (JSON Lines); this looks like a JSON array: write one object per line');
    }
    const value = parseJsonText(raw, { file, line: i + 1 });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InputError({ file, line: i + 1 }, 'expected a JSON object');
    }
    out.push({ line: i + 1, value: value as Record<string, unknown> });
  }
  return out;
}

export function readJsonl(file: string): JsonlRecord<Record<string, unknown>>[] {
  if (!existsSync(file)) throw new InputError({ file }, 'file not found');
  return parseJsonl(readUtf8File(file), file);
}

/** Appends one record; a crash mid-run loses at most the line being written. */
export function appendJsonl(file: string, value: unknown): void {
  try {
    appendFileSync(file, JSON.stringify(value) + '\n');
  } catch (err) {
    // A full disk may leave part of the line: readers drop a cut last line (truncateJsonlAfterStep).
    throw diskFullError(err, file);
  }
}

export function writeJsonl(file: string, values: readonly unknown[]): void {
  atomicWriteFile(file, values.map((v) => JSON.stringify(v) + '\n').join(''));
}

/**
 * Keeps only the records of steps up to `step` (what a resumed checkpoint includes), rewriting the
 * file atomically. A last line a killed run left half-written is dropped with a warning (a
 * checkpoint is written after its step's lines, so it belongs to a later step); any other line
 * that is not a JSON object is damage, not an interrupted append, and an error naming it.
 */
export function truncateJsonlAfterStep(file: string, step: number): void {
  if (!existsSync(file)) return;
  const kept: unknown[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  for (let i = 0; i <= last; i++) {
    if (lines[i].trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(lines[i]);
    } catch (err) {
      rec = err;
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec) || rec instanceof Error) {
      if (i < last || lines.length > last + 1) throw new InputError({ file, line: i + 1 }, 'not a JSON object; the log is damaged: repair or delete this line, then resume');
      process.stderr.write(`aha: warning: ${file}:${i + 1}: dropped an incomplete last line (a write cut off when the run was stopped)\n`);
      continue;
    }
    const s = (rec as { step?: unknown }).step;
    if (typeof s === 'number' && s <= step) kept.push(rec);
  }
  writeJsonl(file, kept);
}
