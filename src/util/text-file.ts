// Reading text input strictly: every data, config and recipe file is UTF-8, and a byte sequence
// that is not (a Latin-1 or UTF-16 export) is an error naming the file and line, never a silent
// U+FFFD inside a prompt or a gold answer. A leading byte-order mark is dropped.
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

const strict = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as UTF-8 text (a leading byte-order mark dropped), or null when they are not UTF-8. */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

/** The lines of a byte stream (a file or stdin) as raw bytes, without their '\n', for strict per-line decoding. */
export async function* byteLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Uint8Array> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    const data = Buffer.concat([rest, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    let start = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
      yield data.subarray(start, nl);
      start = nl + 1;
    }
    rest = data.subarray(start);
  }
  if (rest.length > 0) yield rest;
}

/** `bytes` as UTF-8 text without a byte-order mark, or an InputError naming `file` and the first bad line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    // Rare path: find the line that holds the first invalid sequence.
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        strict.decode(bytes.subarray(start, i));
      } catch {
        const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
        throw new InputError({ file, line }, `not UTF-8 text${utf16 ? ' (it starts with a UTF-16 byte-order mark)' : ''}; save the file as UTF-8`);
      }
      line++;
      start = i + 1;
    }
    throw new InputError({ file }, 'not UTF-8 text; save the file as UTF-8');
  }
}

/** Reads `file` as strict UTF-8 text (decodeUtf8); a missing file or a folder is an InputError too. */
export function readUtf8File(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError({ file }, 'file not found');
    if (code === 'EISDIR') throw new InputError({ file }, 'is a folder, not a file');
    throw err;
  }
  return decodeUtf8(bytes, file);
}
