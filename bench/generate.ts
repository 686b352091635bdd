// `npm run bench:generate`: sampling throughput (tokens per second, temperature 1, KV cache,
// per-token log-probabilities) at batch 1 and batch 64, on the demo-sized model and on a
// Qwen2.5-0.5B-shaped model with random weights, next to PyTorch (bench/generate_torch.py, Debian
// python3-torch) on the same weights, shapes and thread count in the same run. Each model is
// saved as a Hugging Face folder and reloaded by both sides (PyTorch checks its logits against
// aha's), and the peak memory of the process is reported.
// Flags: --threads N (default: all cores), --only demo|qwen, --quick (fewer tokens), --json,
// --torch-coretype (PyTorch's OpenBLAS gets the kernels aha names for this CPU; by default it
// runs with the user's environment, i.e. what a PyTorch user gets).
import { ensureTorch, TORCH_PYTHON } from './lib/torch-peer.js';
import { fillRandom } from './lib/random-weights.js';
import { QWEN_05B } from './lib/shapes.js';
import { benchArgs } from './lib/args.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInfo, noGrad, setNumThreads } from '../src/core/index.js';
import { createTransformer } from '../src/model/transformer.js';
import { loadModel, saveModel } from '../src/model/load-model.js';
import { sample } from '../src/model/sampling.js';
import { CharTokenizer } from '../src/model/char-tokenizer.js';
import type { ModelConfig } from '../src/model/transformer-config.js';
import type { Tokenizer } from '../src/model/tokenizer.js';
import { demoModelConfig } from '../src/sft/pretrain-run.js';
import { CHARSET } from '../src/tasks/charset.js';
import { Rng } from '../src/util/rng.js';

const PYTHON = TORCH_PYTHON;
// Read before aha's backend loads: the backend names OpenBLAS's kernels for this CPU in
// OPENBLAS_CORETYPE unless the user did (src/core/backend.ts).
const userCoreType = process.env.OPENBLAS_CORETYPE;
const args = benchArgs('bench:generate', ['--threads', '--only'], ['--quick', '--json', '--torch-coretype']);
const quick = args.has('--quick');


interface Shape {
  name: string;
  config: ModelConfig;
  prompt: number;
  /** New tokens at batch 1 and at batch 64. */
  tokens: [number, number];
}

interface Row {
  model: string;
  batch: number;
  newTokens: number;
  aha: number;
  torch: number | null;
  /** Tokens per CPU-second of each process (all its threads): less sensitive to other load than wall time. */
  ahaCpu: number;
  torchCpu: number | null;
}

/** A tokenizer the folder needs; text is irrelevant to throughput (ids are sampled directly). */
function tokenizerFor(config: ModelConfig): Tokenizer {
  const chars = Array.from({ length: Math.min(config.vocab_size - 8, 2000) }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
  return config.vocab_size < 1000 ? new CharTokenizer({ chars: CHARSET }) : new CharTokenizer({ chars });
}

function rssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** PyTorch's environment: the user's, or with --torch-coretype the OpenBLAS kernels aha uses. */
function torchEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  if (args.has('--torch-coretype')) return env;
  if (userCoreType === undefined) delete env.OPENBLAS_CORETYPE;
  else env.OPENBLAS_CORETYPE = userCoreType;
  return env;
}

function runShape(shape: Shape, threads: number, hasTorch: boolean): { rows: Row[]; checkDiff: number | null; rss: number; torchCore: string | null } {
  const { config } = shape;
  const t0 = performance.now();
  const built = createTransformer(config, { skipInit: true });
  fillRandom(built, 0.02);
  const dir = mkdtempSync(join(tmpdir(), `aha-bench-gen-${shape.name}-`));
  const folder = join(dir, 'model');
  try {
    saveModel(built, tokenizerFor(config), folder);
    const tSave = performance.now();
    const { model } = loadModel(folder);
    const tLoad = performance.now();
    console.error(`${shape.name}: built+saved in ${((tSave - t0) / 1000).toFixed(1)} s, loaded in ${((tLoad - tSave) / 1000).toFixed(1)} s`);
    const rng = new Rng(7);
    const checkIds = Array.from({ length: 12 }, () => rng.int(Math.min(config.vocab_size, 100)));
    const x = Int32Array.from(checkIds);
    const all = noGrad(() => model.forward(x, 1, x.length)).data;
    const checkLogits = Array.from(all.subarray((x.length - 1) * config.vocab_size));
    const runs = [1, 64].map((batch, k) => ({
      batch,
      new_tokens: quick ? Math.max(2, shape.tokens[k] >> 2) : shape.tokens[k],
      prompts: Array.from({ length: batch }, () => Array.from({ length: shape.prompt }, () => rng.int(config.vocab_size))),
    }));
    const rows: Row[] = [];
    for (const run of runs) {
      const prompts = run.prompts.map((p) => Int32Array.from(p));
      const s = performance.now();
      const cpu0 = process.cpuUsage();
      sample(model, prompts, { maxNewTokens: run.new_tokens, temperature: 1, seed: 1, batchSize: run.batch });
      const secs = (performance.now() - s) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const tokens = run.batch * run.new_tokens;
      rows.push({ model: shape.name, batch: run.batch, newTokens: run.new_tokens, aha: tokens / secs, torch: null, ahaCpu: tokens / ((cpu.user + cpu.system) / 1e6), torchCpu: null });
      console.error(`${shape.name} batch ${run.batch}: aha ${(run.batch * run.new_tokens / secs).toFixed(1)} tok/s`);
    }
    const rss = rssMb();
    let checkDiff: number | null = null;
    let torchCore: string | null = null;
    if (hasTorch) {
      const spec = join(dir, 'spec.json');
      writeFileSync(spec, JSON.stringify({ check_ids: checkIds, check_logits: checkLogits, runs }));
      const r = spawnSync(PYTHON, [join(import.meta.dirname, 'generate_torch.py'), '--model', folder, '--threads', String(threads), '--prompts', spec], {
        encoding: 'utf8',
        env: torchEnv(threads),
        maxBuffer: 1 << 26,
      });
      if (r.status !== 0) throw new Error(`generate_torch.py failed:\n${r.stderr}`);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { check_max_abs_diff: number; runs: { tok_s: number; tok_per_cpu_s: number }[]; blas_core: string | null };
      res.runs.forEach((t, i) => {
        rows[i].torch = t.tok_s;
        rows[i].torchCpu = t.tok_per_cpu_s;
      });
      checkDiff = res.check_max_abs_diff;
      torchCore = res.blas_core;
    }
    return { rows, checkDiff, rss, torchCore };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const info = buildInfo();
  const threads = args.int('--threads', info.cores);
  setNumThreads(threads);
  const only = args.value('--only');
  const demo = demoModelConfig(new CharTokenizer({ chars: CHARSET }).vocabSize);
  const all: Shape[] = [
    { name: 'demo', config: demo, prompt: 32, tokens: [128, 64] },
    { name: 'qwen2.5-0.5b', config: QWEN_05B, prompt: 16, tokens: [16, 8] },
  ];
  const shapes = all.filter((s) => !only || s.name.startsWith(only));
  const hasTorch = ensureTorch();
  console.error(`threads ${threads}, gemm ${info.gemm}${info.blasCore ? ` (${info.blasCore} kernels)` : ''}`);
  const rows: Row[] = [];
  const notes: string[] = [];
  const torchCores = new Set<string>();
  for (const shape of shapes) {
    const r = runShape(shape, threads, hasTorch);
    rows.push(...r.rows);
    if (r.torchCore) torchCores.add(r.torchCore);
    notes.push(
      `${shape.name}: peak RSS of the aha process ${(r.rss / 1024).toFixed(2)} GB` +
        (r.checkDiff !== null ? `; PyTorch on the saved folder: max |logit diff| ${r.checkDiff.toExponential(2)}` : ''),
    );
  }
  console.log(`\nSampling throughput (tokens/s, temperature 1, KV cache), ${threads} threads, same run:\n`);
  const kernels = (core: string | null | undefined) => (core ? `${core} kernels` : 'kernels not reported');
  console.log(`OpenBLAS: aha ${kernels(info.blasCore)}, PyTorch ${kernels([...torchCores].join('/'))}${args.has('--torch-coretype') ? ' (--torch-coretype)' : ''}\n`);
  console.log('| model | batch | new tokens | aha tok/s | PyTorch tok/s | aha / PyTorch | aha tok/CPU-s | PyTorch tok/CPU-s | aha / PyTorch (CPU) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  const ratio = (a: number, b: number | null) => (b ? (a / b).toFixed(2) : '-');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.batch} | ${r.newTokens} | ${f(r.aha)} | ${f(r.torch)} | ${ratio(r.aha, r.torch)} | ${f(r.ahaCpu)} | ${f(r.torchCpu)} | ${ratio(r.ahaCpu, r.torchCpu)} |`);
  }
  console.log('');
  for (const n of notes) console.log(n);
  if (args.has('--json')) console.log(JSON.stringify({ threads, aha_blas_core: info.blasCore, torch_blas_core: [...torchCores].join('/') || null, rows }));
}

main();
