// Reading JSON with errors that name where: every config, state and index file goes through
// readJsonFile, every JSON Lines line through parseJsonText. A syntax error gives its line and
// column (JSON.parse gives a character offset), and an object that names the same key twice is an
// error: JSON.parse would keep the last value silently, so a config's second "beta" or a record's
// second "answer" would win unseen.
import { InputError, type Location } from './errors.js';
import { readUtf8File } from './text-file.js';

/** Line and column (1-based) of character `offset` in `text`, counted from `firstLine`. */
function lineColumn(text: string, offset: number, firstLine: number): { line: number; column: number } {
  let line = firstLine;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The first key an object of `text` (JSON that parsed) names twice, with its character offset, or null.
 * A string token followed by ':' is a key of the innermost open object.
 */
export function duplicateJsonKey(text: string): { key: string; offset: number } | null {
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 123 /* { */) open.push(new Set());
    else if (ch === 91 /* [ */) open.push(null);
    else if (ch === 125 /* } */ || ch === 93 /* ] */) open.pop();
    else if (ch === 34 /* " */) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \ */) i++;
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j])) j++;
      const keys = open[open.length - 1];
      if (text[j] !== ':' || !keys) continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (keys.has(key)) return { key, offset: start };
      keys.add(key);
    }
  }
  return null;
}

/**
 * Parses JSON `text` from `where` (its `line` is the line the text starts on, default 1), or
 * throws an InputError naming the line (and column) of a syntax error or a repeated key.
 */
export function parseJsonText(text: string, where: Location): unknown {
  const firstLine = where.line ?? 1;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    if (at === null) throw new InputError(where, `not valid JSON (${message})`);
    const { line, column } = lineColumn(text, Number(at[1]), firstLine);
    throw new InputError({ ...where, line }, `not valid JSON (${message.replace(/ at position \d+.*$/s, '')} at column ${column})`);
  }
  // Only objects can repeat a key; a text without '{' needs no scan.
  if (text.includes('{')) {
    const dup = duplicateJsonKey(text);
    if (dup !== null) {
      const { line } = lineColumn(text, dup.offset, firstLine);
      throw new InputError({ ...where, line, field: dup.key }, 'given twice in one object; JSON keeps only the last, so say it once');
    }
  }
  return value;
}

/** Parses `file` (strict UTF-8, a byte-order mark dropped) as JSON, or throws an InputError naming the file and line. */
export function readJsonFile(file: string): unknown {
  return parseJsonText(readUtf8File(file), { file });
}

/** Like readJsonFile, but the top level must be an object (`expected` words the error). */
export function readJsonObject(file: string, expected = 'a JSON object'): Record<string, unknown> {
  const raw = readJsonFile(file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError({ file }, `expected ${expected}`);
  return raw as Record<string, unknown>;
}
