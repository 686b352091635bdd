// The safetensors reader and writer: layout rules Python's safetensors enforces, F16/BF16
// conversion against PyTorch's own rounding, and clear errors on corrupt files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';
import { spawnSync } from 'node:child_process';
import {
  SafetensorsReader,
  encodeSafetensors,
  f32ToBf16,
  f32ToF16,
  readSafetensorsHeader,
  writeSafetensors,
} from '../../src/model/safetensors.js';

const dir = tempDir('st');
const values = Float32Array.from([0, -0, 1, -2.5, 3.14159, 65504, 1e-3, 6e-8, 1e-10, 70000, -1e30, 0.1, 1 / 3, 7.8125e-3, 2049, 4097]);

function header(path: string): { len: number; json: Record<string, unknown> } {
  const bytes = readFileSync(path);
  const len = Number(bytes.readBigUInt64LE(0));
  return { len, json: JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<string, unknown> };
}

test('written files follow the format: padded header, contiguous offsets, metadata', () => {
  const file = join(dir, 'layout.safetensors');
  writeSafetensors(
    file,
    [
      { name: 'b', shape: [3], data: Float32Array.from([1, 2, 3]) },
      { name: 'a', shape: [2, 2], data: Float32Array.from([4, 5, 6, 7]) },
    ],
    { metadata: { format: 'pt' } },
  );
  const { len, json } = header(file);
  assert.equal(len % 8, 0);
  assert.deepEqual(json.__metadata__, { format: 'pt' });
  assert.deepEqual(json.a, { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
  assert.deepEqual(json.b, { dtype: 'F32', shape: [3], data_offsets: [16, 28] });
  assert.equal(statSync(file).size, 8 + len + 28);
  const r = new SafetensorsReader(file);
  assert.deepEqual(Array.from(r.read('a')), [4, 5, 6, 7]);
  assert.deepEqual(Array.from(r.read('b')), [1, 2, 3]);
  r.close();
});

test('F16 and BF16 round-trip: stored values read back as their rounded F32 values', () => {
  for (const dtype of ['F16', 'BF16'] as const) {
    const file = join(dir, `rt-${dtype}.safetensors`);
    writeSafetensors(file, [{ name: 'x', shape: [values.length], data: values }], { dtype });
    const r = new SafetensorsReader(file);
    const back = r.read('x');
    r.close();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const rel = Math.abs(back[i] - v) / Math.max(Math.abs(v), 1e-30);
      if (dtype === 'BF16') assert.ok(rel <= 2 ** -8, `BF16 ${v} -> ${back[i]}`);
      else if (Math.abs(v) <= 65504 && Math.abs(v) >= 6.1e-5) assert.ok(rel <= 2 ** -11, `F16 ${v} -> ${back[i]}`);
    }
    // Writing what was read gives the same bytes again (the rounding is idempotent).
    const again = encodeSafetensors([{ name: 'x', shape: [values.length], data: back }], { dtype });
    const first = encodeSafetensors([{ name: 'x', shape: [values.length], data: values }], { dtype });
    assert.deepEqual(Buffer.concat(again), Buffer.concat(first));
  }
  assert.equal(f32ToF16(Float32Array.from([70000]))[0], 0x7c00); // overflow to +inf
  assert.equal(f32ToF16(Float32Array.from([1]))[0], 0x3c00);
  assert.equal(f32ToBf16(Float32Array.from([1]))[0], 0x3f80);
});

const torchOk = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('F16/BF16 conversion matches PyTorch bit for bit, both ways', { skip: !torchOk && 'no /usr/bin/python3 with torch' }, () => {
  // PyTorch converts the same F32 values (passed as bits, so -0 stays -0); its bits must equal ours, and a file it lays out by
  // hand (header JSON + raw bytes) must read back as torch's own F32 view of those values.
  const py = `
import json, struct, sys, torch
bits = [b - (1 << 32) if b >= (1 << 31) else b for b in json.loads(sys.argv[1])]
vals = torch.tensor(bits, dtype=torch.int32).view(torch.float32)
h = vals.to(torch.float16); b = vals.to(torch.bfloat16)
hb = h.numpy().tobytes(); bb = b.view(torch.int16).numpy().tobytes()
head = {"h": {"dtype": "F16", "shape": [len(vals)], "data_offsets": [0, len(hb)]},
        "b": {"dtype": "BF16", "shape": [len(vals)], "data_offsets": [len(hb), len(hb) + len(bb)]}}
s = json.dumps(head).encode(); s += b" " * ((8 - len(s) % 8) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(s)) + s + hb + bb)
u32 = lambda t: (t.float().view(torch.int32).numpy().astype("int64") & 0xffffffff).tolist()
print(json.dumps({"h": u32(h), "b": u32(b),
  "hbits": list(h.view(torch.int16).numpy().astype("uint16").tolist()),
  "bbits": list(b.view(torch.int16).numpy().astype("uint16").tolist())}))
`;
  const file = join(dir, 'torch.safetensors');
  const r = spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(Array.from(new Uint32Array(values.buffer))), file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout) as { h: number[]; b: number[]; hbits: number[]; bbits: number[] };
  assert.deepEqual(Array.from(f32ToF16(values)), want.hbits);
  assert.deepEqual(Array.from(f32ToBf16(values)), want.bbits);
  const reader = new SafetensorsReader(file);
  // Compared as F32 bit patterns (JSON has no infinity).
  assert.deepEqual(Array.from(new Uint32Array(reader.read('h').buffer)), want.h);
  assert.deepEqual(Array.from(new Uint32Array(reader.read('b').buffer)), want.b);
  reader.close();
});

test('corrupt files are refused with errors naming the file and the tensor', () => {
  const file = join(dir, 'bad.safetensors');
  writeSafetensors(file, [{ name: 'model.norm.weight', shape: [4], data: Float32Array.from([1, 2, 3, 4]) }]);
  truncateSync(file, statSync(file).size - 4);
  assert.throws(() => readSafetensorsHeader(file), (e: Error) => /model\.norm\.weight/.test(e.message) && e.message.includes(file));

  const wrongSize = join(dir, 'size.safetensors');
  const head = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }).padEnd(56));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  writeFileSync(wrongSize, Buffer.concat([len, head, Buffer.alloc(8)]));
  assert.throws(() => readSafetensorsHeader(wrongSize), /tensor "w": holds 8 bytes but shape \[3\] in F32 needs 12/);

  const dtype = join(dir, 'dtype.safetensors');
  const head2 = Buffer.from(JSON.stringify({ q: { dtype: 'I8', shape: [8], data_offsets: [0, 8] } }).padEnd(56));
  len.writeBigUInt64LE(BigInt(head2.length));
  writeFileSync(dtype, Buffer.concat([len, head2, Buffer.alloc(8)]));
  assert.throws(() => readSafetensorsHeader(dtype), /tensor "q": dtype "I8" is not supported/);

  const junk = join(dir, 'junk.safetensors');
  writeFileSync(junk, Buffer.from('this is not a safetensors file at all'));
  assert.throws(() => readSafetensorsHeader(junk), /not a valid safetensors file/);
});
