// The safetensors file format: an 8-byte little-endian header length, a JSON header mapping each
// tensor name to {dtype, shape, data_offsets} (plus an optional "__metadata__" of strings), then
// the raw tensor bytes. Reads F32, F16 and BF16 (converted to F32) one tensor at a time straight
// from the file (no whole-file buffer, so multi-GB checkpoints load), and writes F32, F16 or BF16
// files that Python's safetensors accepts (contiguous offsets, header padded to 8 bytes).
// Assumes a little-endian host (x86-64, arm64), as the format's byte order is little-endian.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { AhaError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';

export type StoredDType = 'F32' | 'F16' | 'BF16';

const BYTES: Record<StoredDType, number> = { F32: 4, F16: 2, BF16: 2 };

export interface TensorEntry {
  dtype: StoredDType;
  shape: number[];
  /** Byte range relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Absolute byte offset where the data section starts. */
  dataStart: number;
}

/** Largest header we accept; Python's safetensors refuses more than 100 MB too. */
const MAX_HEADER = 100_000_000;

function corrupt(path: string, what: string): AhaError {
  return new AhaError(`${path}: not a valid safetensors file: ${what}`);
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string, what: string): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, target.length - done, position + done);
    if (n === 0) throw corrupt(path, `${what} ends early (file truncated?)`);
    done += n;
  }
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Parses and checks the header of the safetensors file at `path`. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new AhaError(`${path}: cannot open (${(err as Error).message})`);
  }
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw corrupt(path, `file is only ${fileSize} bytes`);
    const lenBytes = new Uint8Array(8);
    readExactly(fd, lenBytes, 0, path, 'header length');
    const headerLen = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
    if (headerLen > MAX_HEADER || 8 + headerLen > fileSize) {
      throw corrupt(path, `header length ${headerLen} does not fit in the file of ${fileSize} bytes`);
    }
    const headerBytes = new Uint8Array(headerLen);
    readExactly(fd, headerBytes, 8, path, 'header');
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(headerBytes).toString('utf8'));
    } catch (err) {
      throw corrupt(path, `header is not JSON (${(err as Error).message})`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw corrupt(path, 'header is not a JSON object');
    const dataStart = 8 + headerLen;
    const dataLen = fileSize - dataStart;
    const tensors = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = (value ?? {}) as Record<string, string>;
        continue;
      }
      tensors.set(name, parseEntry(path, name, value, dataLen));
    }
    return { path, tensors, metadata, dataStart };
  } finally {
    closeSync(fd);
  }
}

function parseEntry(path: string, name: string, value: unknown, dataLen: number): TensorEntry {
  const bad = (what: string) => new AhaError(`${path}: tensor "${name}": ${what}`);
  if (value === null || typeof value !== 'object') throw bad('header entry is not an object');
  const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (v.dtype !== 'F32' && v.dtype !== 'F16' && v.dtype !== 'BF16') {
    throw bad(`dtype ${JSON.stringify(v.dtype)} is not supported (aha reads F32, F16 and BF16)`);
  }
  if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw bad(`shape ${JSON.stringify(v.shape)} is not a list of non-negative integers`);
  }
  const offs = v.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
    throw bad(`data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offs as [number, number];
  if (begin > end || end > dataLen) {
    throw bad(`data_offsets [${begin}, ${end}] lie outside the ${dataLen} data bytes (file truncated or corrupt)`);
  }
  const shape = v.shape as number[];
  const want = numel(shape) * BYTES[v.dtype];
  if (end - begin !== want) {
    throw bad(`holds ${end - begin} bytes but shape [${shape.join(', ')}] in ${v.dtype} needs ${want}`);
  }
  return { dtype: v.dtype, shape, begin, end };
}

// ---- conversions -------------------------------------------------------------------------

let halfTable: Float32Array | null = null;

/** All 65536 F16 values as F32, built once (256 KB); conversion is then one lookup per value. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

export function f16ToF32(src: Uint16Array, dst: Float32Array): void {
  const t = halfToFloatTable();
  for (let i = 0; i < src.length; i++) dst[i] = t[src[i]];
}

export function bf16ToF32(src: Uint16Array, dst: Float32Array): void {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
}

/** F32 to BF16 with round-to-nearest-even (as PyTorch's .to(torch.bfloat16)); NaN stays NaN. */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i];
    if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) out[i] = (u >>> 16) | 0x40;
    else out[i] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

/** F32 to F16 with round-to-nearest-even; overflow goes to infinity, tiny values to subnormals. */
export function f32ToF16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i];
    const sign = (u >>> 16) & 0x8000;
    const exp = (u >>> 23) & 0xff;
    const mant = u & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mant | 0x800000;
      const shift = 14 - e;
      let h = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && (h & 1))) h += 1;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h += 1; // may carry into the exponent: correct
      out[i] = sign | h;
    }
  }
  return out;
}

// ---- reading tensors -------------------------------------------------------------------------

/**
 * An open safetensors file for reading tensors one by one into F32. Close it when done.
 */
export class SafetensorsReader {
  readonly header: SafetensorsHeader;
  private fd: number;

  constructor(path: string) {
    this.header = readSafetensorsHeader(path);
    this.fd = openSync(path, 'r');
  }

  get path(): string {
    return this.header.path;
  }

  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  /** Reads tensor `name` converted to F32 into `dst` (length must equal its element count). */
  readInto(name: string, dst: Float32Array): void {
    const e = this.header.tensors.get(name);
    if (!e) throw new AhaError(`${this.path}: no tensor "${name}"`);
    const n = numel(e.shape);
    if (dst.length !== n) throw new AhaError(`${this.path}: tensor "${name}" has ${n} values, expected ${dst.length}`);
    const pos = this.header.dataStart + e.begin;
    if (e.dtype === 'F32') {
      readExactly(this.fd, new Uint8Array(dst.buffer, dst.byteOffset, n * 4), pos, this.path, `tensor "${name}"`);
      return;
    }
    const raw = new Uint16Array(n);
    readExactly(this.fd, new Uint8Array(raw.buffer), pos, this.path, `tensor "${name}"`);
    if (e.dtype === 'F16') f16ToF32(raw, dst);
    else bf16ToF32(raw, dst);
  }

  /** Reads BF16 tensor `name` as its raw 16-bit patterns into `dst` (no conversion; other dtypes are refused). */
  readBf16Into(name: string, dst: Uint16Array): void {
    const e = this.header.tensors.get(name);
    if (!e) throw new AhaError(`${this.path}: no tensor "${name}"`);
    if (e.dtype !== 'BF16') throw new AhaError(`${this.path}: tensor "${name}" is ${e.dtype}, expected BF16`);
    const n = numel(e.shape);
    if (dst.length !== n) throw new AhaError(`${this.path}: tensor "${name}" has ${n} values, expected ${dst.length}`);
    readExactly(this.fd, new Uint8Array(dst.buffer, dst.byteOffset, n * 2), this.header.dataStart + e.begin, this.path, `tensor "${name}"`);
  }

  read(name: string): Float32Array {
    const e = this.header.tensors.get(name);
    if (!e) throw new AhaError(`${this.path}: no tensor "${name}"`);
    const out = new Float32Array(numel(e.shape));
    this.readInto(name, out);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

// ---- writing ---------------------------------------------------------------------------------

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/**
 * The bytes of a safetensors file holding `tensors` stored as `dtype`, as a list of chunks (F32
 * data is not copied). Tensors are laid out in name order, like Python's safetensors does.
 */
export function encodeSafetensors(
  tensors: readonly NamedTensor[],
  opts: { dtype?: StoredDType; metadata?: Record<string, string> } = {},
): Uint8Array[] {
  const dtype = opts.dtype ?? 'F32';
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (opts.metadata && Object.keys(opts.metadata).length > 0) header.__metadata__ = opts.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const t of sorted) {
    if (seen.has(t.name)) throw new Error(`encodeSafetensors: duplicate tensor name "${t.name}"`);
    seen.add(t.name);
    if (t.data.length !== numel(t.shape)) {
      throw new Error(`encodeSafetensors: tensor "${t.name}" has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    }
    let bytes: Uint8Array;
    if (dtype === 'F32') bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    else {
      const half = dtype === 'BF16' ? f32ToBf16(t.data) : f32ToF16(t.data);
      bytes = new Uint8Array(half.buffer);
    }
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  const jsonLen = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonLen % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return [len, headerBytes, ...chunks];
}

/** Writes a safetensors file atomically. */
export function writeSafetensors(
  path: string,
  tensors: readonly NamedTensor[],
  opts: { dtype?: StoredDType; metadata?: Record<string, string> } = {},
): void {
  atomicWriteFile(path, encodeSafetensors(tensors, opts));
}
