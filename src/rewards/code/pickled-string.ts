// Reads the one thing LiveCodeBench's released private tests are: a Python pickle of a single
// str (JSON text). Only the opcodes such a pickle uses are accepted (protocol header, frames,
// the three unicode string forms, memo stores, stop); anything else is refused, so no pickle
// program is ever interpreted.

const PROTO = 0x80;
const FRAME = 0x95;
const SHORT_BINUNICODE = 0x8c;
const BINUNICODE = 0x58;
const BINUNICODE8 = 0x8d;
const MEMOIZE = 0x94;
const BINPUT = 0x71;
const LONG_BINPUT = 0x72;
const STOP = 0x2e;

export function pickledString(data: Uint8Array): string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  let text: string | null = null;
  const take = (n: number): Buffer => {
    if (at + n > buf.length) throw new Error('truncated pickle');
    const out = buf.subarray(at, at + n);
    at += n;
    return out;
  };
  const str = (n: number): void => {
    if (text !== null) throw new Error('pickle holds more than one string');
    text = take(n).toString('utf8');
  };
  for (;;) {
    const op = take(1)[0];
    if (op === PROTO) take(1);
    else if (op === FRAME) take(8);
    else if (op === SHORT_BINUNICODE) str(take(1)[0]);
    else if (op === BINUNICODE) str(take(4).readUInt32LE(0));
    else if (op === BINUNICODE8) str(Number(take(8).readBigUInt64LE(0)));
    else if (op === MEMOIZE) continue;
    else if (op === BINPUT) take(1);
    else if (op === LONG_BINPUT) take(4);
    else if (op === STOP) break;
    else throw new Error(`not a pickled string (opcode 0x${op.toString(16)})`);
  }
  if (text === null) throw new Error('pickle holds no string');
  return text;
}
