// Benchmark (not a test): the same small Llama-style GPT (vocab 64, d_model 256, 4 layers,
// 4 heads, context 128, ~3.2M parameters) in aha and in PyTorch (bench/engine_torch.py under
// Debian's /usr/bin/python3, same thread count), timing one training step (forward,
// cross-entropy, backward, AdamW; batch 16 x 128) and batched greedy generation with a KV cache
// (batch 64, 8-token prompts, 128 new tokens) for both in the same run.
//
//   npm run bench:engine -- [--threads N] [--steps N] [--rounds N] [--json] [--no-torch] [--check]
//
// Each side runs `rounds` times (default 2), alternating, and keeps its best round.
//
// --check exports aha's random weights and logits and has the PyTorch model recompute them
// (the two implementations must agree), instead of timing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdamW, buildInfo, crossEntropy, noGrad, setNumThreads } from '../src/core/index.js';
import type { ModelConfig } from '../src/model/transformer-config.js';
import { createTransformer } from '../src/model/transformer.js';
import { ensureTorch, TORCH_PYTHON } from './lib/torch-peer.js';
import { median } from './lib/shapes.js';
import { benchArgs } from './lib/args.js';
import { Rng } from '../src/util/rng.js';

const PYTHON = TORCH_PYTHON;

const config: ModelConfig = {
  model_type: 'llama',
  vocab_size: 64,
  hidden_size: 256,
  intermediate_size: 704,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  max_position_embeddings: 512,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
};
const BATCH = 16, SEQ = 128, GEN_BATCH = 64, GEN_PROMPT = 8, GEN_TOKENS = 128;

const args = benchArgs('bench:engine', ['--threads', '--steps', '--rounds'], ['--json', '--no-torch', '--check']);


/** Matrix-product FLOPs of one training step (forward + 2x for backward), causal attention counted once. */
function stepFlops(c: ModelConfig, B: number, T: number): number {
  const N = B * T, d = c.hidden_size, I = c.intermediate_size, L = c.num_hidden_layers;
  const D = d / c.num_attention_heads, kv = c.num_key_value_heads * D;
  const linear = 2 * N * (L * (2 * d * d + 2 * d * kv + 3 * d * I) + d * c.vocab_size);
  const attn = L * 2 * 2 * B * c.num_attention_heads * ((T * (T + 1)) / 2) * D;
  return 3 * (linear + attn);
}

function countParams(m: ReturnType<typeof createTransformer>): number {
  let n = 0;
  for (const t of m.parameters().values()) n += t.size;
  return n;
}

function benchTrain(steps: number): number {
  const model = createTransformer(config, { seed: 0 });
  const rng = new Rng(0);
  const data = Int32Array.from({ length: BATCH * (SEQ + 1) }, () => rng.int(config.vocab_size));
  const ids = new Int32Array(BATCH * SEQ), targets = new Int32Array(BATCH * SEQ);
  for (let b = 0; b < BATCH; b++) {
    ids.set(data.subarray(b * (SEQ + 1), b * (SEQ + 1) + SEQ), b * SEQ);
    targets.set(data.subarray(b * (SEQ + 1) + 1, (b + 1) * (SEQ + 1)), b * SEQ);
  }
  const opt = new AdamW([...model.parameters().values()], { lr: 1e-3, weightDecay: 0.01 });
  const times: number[] = [];
  for (let i = 0; i < steps + 2; i++) {
    const t0 = performance.now();
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(ids, BATCH, SEQ), targets);
    loss.backward();
    opt.step();
    if (i >= 2) times.push(performance.now() - t0);
  }
  return median(times);
}

function argmaxRows(logits: Float32Array, rows: number, V: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < V; j++) if (logits[r * V + j] > logits[r * V + best]) best = j;
    out[r] = best;
  }
  return out;
}

function benchGenerate(reps: number): number {
  const model = createTransformer(config, { seed: 0 });
  const rng = new Rng(1);
  const V = config.vocab_size;
  const prompts = Int32Array.from({ length: GEN_BATCH * GEN_PROMPT }, () => rng.int(V));
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const cache = model.createCache(GEN_BATCH, GEN_PROMPT + GEN_TOKENS);
    // One batched prefill of every prompt, as sampling does (and as the PyTorch peer does).
    const rows = Array.from({ length: GEN_BATCH }, (_, b) => b);
    let logits = model.prefillRows!(cache, rows, rows.map((b) => prompts.subarray(b * GEN_PROMPT, (b + 1) * GEN_PROMPT)));
    for (let t = 0; t < GEN_TOKENS; t++) logits = model.decode(cache, argmaxRows(logits, GEN_BATCH, V));
    times.push(performance.now() - t0);
  }
  return (GEN_BATCH * GEN_TOKENS) / (median(times) / 1000);
}

function runTorch(threads: number, steps: number): { step_ms: number; gen_tok_s: number; torch: string } {
  if (!ensureTorch()) throw new Error('the PyTorch peer is needed: apt-get install -y python3-torch');
  const script = join(import.meta.dirname, 'engine_torch.py');
  const r = spawnSync(PYTHON, [script, '--config', JSON.stringify(config), '--threads', String(threads), '--batch', String(BATCH),
    '--seq', String(SEQ), '--steps', String(steps), '--gen-batch', String(GEN_BATCH), '--gen-prompt', String(GEN_PROMPT),
    '--gen-tokens', String(GEN_TOKENS)],
    // The same OpenMP settings as aha (backend.ts set OMP_WAIT_POLICY before loading the addon).
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) throw new Error(`engine_torch.py failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as { step_ms: number; gen_tok_s: number; torch: string };
}

function check(): void {
  const model = createTransformer(config, { seed: 3, initStd: 0.05 });
  const rng = new Rng(2);
  const B = 2, T = 40;
  const ids = Int32Array.from({ length: B * T }, () => rng.int(config.vocab_size));
  const logits = noGrad(() => model.forward(ids, B, T)).data;
  const weights: Record<string, number[]> = {};
  for (const [name, t] of model.parameters()) weights[name] = Array.from(t.data);
  const dir = mkdtempSync(join(tmpdir(), 'aha-check-'));
  try {
    const file = join(dir, 'check.json');
    writeFileSync(file, JSON.stringify({ config, weights, ids: Array.from(ids), batch: B, seq: T, logits: Array.from(logits) }));
    ensureTorch();
    const r = spawnSync(PYTHON, [join(import.meta.dirname, 'engine_torch.py'), '--check', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const res = JSON.parse(r.stdout.trim()) as { max_abs_diff: number; max_abs_logit: number };
    console.log(`aha vs PyTorch logits: max |diff| ${res.max_abs_diff.toExponential(2)} (max |logit| ${res.max_abs_logit.toFixed(3)})`);
    if (!(res.max_abs_diff < 1e-3)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const info = buildInfo();
  const threads = args.int('--threads', info.cores);
  setNumThreads(threads);
  if (args.has('--check')) return check();
  const steps = args.int('--steps', 5);
  const params = countParams(createTransformer(config));
  console.log(`model: ${params.toLocaleString()} parameters; gemm: ${info.gemm}; threads: ${threads}`);
  // The machine may be shared: alternate aha and PyTorch for a few rounds and keep each side's
  // best round, so a load spike during one side's turn does not decide the ratio.
  const rounds = args.int('--rounds', 2);
  let ahaStep = Infinity, ahaGen = 0;
  let torch: { step_ms: number; gen_tok_s: number; torch: string } | null = null;
  for (let r = 0; r < rounds; r++) {
    ahaStep = Math.min(ahaStep, benchTrain(steps));
    ahaGen = Math.max(ahaGen, benchGenerate(2));
    if (args.has('--no-torch')) continue;
    const t = runTorch(threads, steps);
    torch = torch === null ? t : { ...t, step_ms: Math.min(torch.step_ms, t.step_ms), gen_tok_s: Math.max(torch.gen_tok_s, t.gen_tok_s) };
  }
  const flops = stepFlops(config, BATCH, SEQ);
  const ahaGflops = flops / (ahaStep / 1000) / 1e9;
  const rows: Array<[string, string, string, string]> = [
    ['', 'aha', torch ? `torch ${torch.torch}` : 'torch', 'aha speedup'],
    ['train step (ms)', ahaStep.toFixed(1), torch ? torch.step_ms.toFixed(1) : '-', torch ? (torch.step_ms / ahaStep).toFixed(2) : '-'],
    ['generate (tok/s)', ahaGen.toFixed(0), torch ? torch.gen_tok_s.toFixed(0) : '-', torch ? (ahaGen / torch.gen_tok_s).toFixed(2) : '-'],
    ['step GFLOP/s', ahaGflops.toFixed(1), torch ? (flops / (torch.step_ms / 1000) / 1e9).toFixed(1) : '-', ''],
  ];
  for (const r of rows) console.log(r[0].padEnd(18) + r[1].padStart(10) + r[2].padStart(16) + r[3].padStart(13));
  console.log(`(${(flops / 1e9).toFixed(1)} GFLOP per step; aha reaches ${((ahaGflops / 400) * 100).toFixed(0)}% of the ~400 GFLOP/s FP32 peak; speedup > 1 means aha is faster)`);
  if (args.has('--json')) {
    console.log(JSON.stringify({ aha_step_ms: ahaStep, torch_step_ms: torch?.step_ms ?? null, aha_gen_tok_s: ahaGen, torch_gen_tok_s: torch?.gen_tok_s ?? null, aha_gflops: ahaGflops }));
  }
}

main();
