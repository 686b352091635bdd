// Numerical truth for the new families: aha's logits on tiny Qwen3 and Llama (attention and MLP
// biases, Llama 3 RoPE scaling) folders against a plain PyTorch forward written here from the
// published formulas (RMSNorm, rotate-half RoPE with Llama 3's or linear frequency scaling, grouped-query
// causal attention, SwiGLU), in float64 from the same files. Skipped without /usr/bin/python3
// and torch (Debian python3-torch); transformers itself is not needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load-model.js';
import { logitsOf, tempDir } from './helpers.js';
import { writeTinyHfFolder, type TinyHfOptions } from './hf-folder.js';
import { REAL_FAMILIES, writeRealFolder } from './real-folders.js';

const torchOk = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

// Reads config.json (either spelling) and model.safetensors by hand, then runs the decoder.
const REFERENCE = String.raw`
import json, math, struct, sys, torch

def logits(folder, ids):
    cfg = json.load(open(folder + '/config.json'))
    raw = open(folder + '/model.safetensors', 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    W = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        buf = bytearray(raw[8 + n + a:8 + n + b])
        t = torch.frombuffer(buf, dtype={'F32': torch.float32, 'BF16': torch.bfloat16}[e['dtype']])
        W[name] = t.double().reshape(e['shape'])

    rope = cfg.get('rope_parameters') or dict(cfg.get('rope_scaling') or {}, rope_theta=cfg['rope_theta'])
    kind = rope.get('rope_type', rope.get('type', 'default'))
    H, KV = cfg['num_attention_heads'], cfg['num_key_value_heads']
    D = cfg.get('head_dim') or cfg['hidden_size'] // H
    eps = cfg['rms_norm_eps']
    T = len(ids)

    inv = 1.0 / rope['rope_theta'] ** (torch.arange(0, D, 2, dtype=torch.float64) / D)
    if kind == 'llama3':
        f, lo, hi, old = rope['factor'], rope['low_freq_factor'], rope['high_freq_factor'], rope['original_max_position_embeddings']
        wavelen = 2 * math.pi / inv
        smooth = (old / wavelen - lo) / (hi - lo)
        mid = (1 - smooth) * inv / f + smooth * inv
        inv = torch.where(wavelen > old / lo, inv / f, torch.where(wavelen < old / hi, inv, mid))
    elif kind == 'linear':
        inv = inv / rope['factor']
    else:
        assert kind == 'default', kind
    angles = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    cos, sin = torch.cat([angles.cos()] * 2, -1), torch.cat([angles.sin()] * 2, -1)

    def rotate(x):
        return x * cos + torch.cat([-x[..., D // 2:], x[..., :D // 2]], -1) * sin

    def rms(x, w):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w

    def linear(x, name):
        y = x @ W[name + '.weight'].T
        return y + W[name + '.bias'] if name + '.bias' in W else y

    causal = torch.full((T, T), float('-inf'), dtype=torch.float64).triu(1)
    x = W['model.embed_tokens.weight'][torch.tensor(ids)]
    for l in range(cfg['num_hidden_layers']):
        p = 'model.layers.%d.' % l
        h = rms(x, W[p + 'input_layernorm.weight'])
        q = linear(h, p + 'self_attn.q_proj').view(T, H, D).transpose(0, 1)
        k = linear(h, p + 'self_attn.k_proj').view(T, KV, D).transpose(0, 1)
        v = linear(h, p + 'self_attn.v_proj').view(T, KV, D).transpose(0, 1)
        if cfg['model_type'] == 'qwen3':
            q, k = rms(q, W[p + 'self_attn.q_norm.weight']), rms(k, W[p + 'self_attn.k_norm.weight'])
        q, k = rotate(q), rotate(k)
        k, v = k.repeat_interleave(H // KV, 0), v.repeat_interleave(H // KV, 0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(D) + causal, -1) @ v
        x = x + linear(att.transpose(0, 1).reshape(T, H * D), p + 'self_attn.o_proj')
        h = rms(x, W[p + 'post_attention_layernorm.weight'])
        x = x + linear(torch.nn.functional.silu(linear(h, p + 'mlp.gate_proj')) * linear(h, p + 'mlp.up_proj'), p + 'mlp.down_proj')
    head = W['lm_head.weight'] if 'lm_head.weight' in W else W['model.embed_tokens.weight']
    return (rms(x, W['model.norm.weight']) @ head.T).flatten().tolist()

ids = json.loads(sys.argv[1])
for folder in sys.argv[2:]:
    print(json.dumps(logits(folder, ids)))
`;

const IDS = [263, 116, 257, 32, 261, 32, 259, 260, 256, 101, 115, 116, 32, 97, 33, 10, 40, 41, 50, 51, 262, 264];

const CASES: [string, TinyHfOptions][] = [
  ['qwen3 (q/k norms, head_dim 16 != 32/4)', { arch: 'qwen3', seed: 11 }],
  ['qwen3 BF16, transformers 4 spelling, tied embeddings', { arch: 'qwen3', seed: 12, dtype: 'BF16', configSpelling: 'v4', tieWordEmbeddings: true }],
  ['llama with attention and MLP biases and Llama 3 RoPE scaling', { arch: 'llama', seed: 13, attentionBias: true, mlpBias: true, ropeScaling: 'llama3' }],
  ['qwen2', { arch: 'qwen2', seed: 14 }],
  ['mistral with linear RoPE scaling, transformers 4 spelling', { arch: 'mistral', seed: 15, ropeScaling: 'linear', configSpelling: 'v4' }],
];

test('logits match a float64 PyTorch forward written from the formulas (qwen3, llama + biases + llama3 RoPE, qwen2, mistral + linear RoPE)', { skip: !torchOk && 'no /usr/bin/python3 with torch' }, () => {
  const dirs = CASES.map(([, opts]) => writeTinyHfFolder(join(tempDir('torch-ref'), 'm'), opts).dir);
  // One Python process for every folder: importing torch dominates the time.
  const r = spawnSync('/usr/bin/python3', ['-c', REFERENCE, JSON.stringify(IDS), ...dirs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, CASES.length);
  CASES.forEach(([label], c) => {
    const want = JSON.parse(lines[c]) as number[];
    const got = logitsOf(loadModel(dirs[c]).model, IDS);
    assert.equal(got.length, want.length, label);
    let worst = 0, scale = 0;
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    assert.ok(scale > 0.5, `${label}: logits too small to be a meaningful check (${scale})`);
    assert.ok(worst < 1e-5, `${label}: logits differ from the PyTorch reference by ${worst}`);
  });
});

test('the released families as the Hub and transformers 5 save them (test/model/real-folders.ts) match the same PyTorch forward', { skip: !torchOk && 'no /usr/bin/python3 with torch' }, () => {
  const folders = REAL_FAMILIES.map((family, i) => writeRealFolder(join(tempDir('torch-ref-real'), family), family, i % 2 === 0 ? 'transformers-4' : 'transformers-5', 20 + i).dir);
  const r = spawnSync('/usr/bin/python3', ['-c', REFERENCE, JSON.stringify(IDS), ...folders], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  REAL_FAMILIES.forEach((family, c) => {
    const want = JSON.parse(lines[c]) as number[];
    const got = logitsOf(loadModel(folders[c]).model, IDS);
    assert.equal(got.length, want.length, family);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    assert.ok(worst < 1e-5, `${family}: logits differ from the PyTorch reference by ${worst}`);
  });
});
