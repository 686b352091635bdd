// `npm run bench:real -- --json`: aha at a real model's size. Builds a Qwen2.5-0.5B-shaped model
// with random weights as a BF16 Hugging Face folder (cached in tmp/cache/), then measures, each in
// its own child process so every figure has its own peak memory:
//   - sampling throughput at batch 1 and 64 from the folder (`aha generate`'s path), next to
//     PyTorch (bench/generate_torch.py, Debian python3-torch) on the same folder and threads;
//   - one GRPO step with LoRA (r=16, all linear projections) on the frozen BF16 base: 4 prompts ×
//     G 8 × 128 new tokens by default (sampling, rewards, update), its seconds and peak RSS.
// Prints one JSON line with --json: gen_tok_s_b1, gen_tok_s_b64, torch_gen_tok_s_b1,
// torch_gen_tok_s_b64, lora_step_s, peak_rss_gb (and the settings).
// Flags: --max-new-tokens N (the step), --beta B (KL against the adapters-off base; > 0 also trains
// rows whose advantage is 0), --prompts N, --group-size G, --micro-tokens N (tokens per
// micro-batch at most), --gradient-checkpointing, --full (full fine-tuning instead of LoRA, f32 weights), --lora SPEC,
// --gen-tokens N, --threads N, --skip-gen, --skip-torch, --skip-step, --synthetic-rollouts (random completions of
// exactly --max-new-tokens, to measure the update without sampling), --bf16 (also sampling with the
// opt-in BF16 path: bf16_gen_tok_s_b1/_b64, its log-prob differences from f32, and bf16_products,
// the kernel that ran it: 'amx' tiles, 'avx512_bf16' or 'portable'), --json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bf16Kernels, buildInfo, logSumExpRows, noGrad, setNumThreads } from '../src/core/index.js';
import { createTransformer, Transformer } from '../src/model/transformer.js';
import { loadModel, saveModel } from '../src/model/load-model.js';
import { sample } from '../src/model/sampling.js';
import { CharTokenizer } from '../src/model/char-tokenizer.js';
import { DEFAULT_CONFIG } from '../src/rl/config.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import type { RewardFunction } from '../src/rewards/types.js';
import type { Sampler } from '../src/rl/rollout.js';
import { Rng } from '../src/util/rng.js';
import { ensureTorch, TORCH_PYTHON } from './lib/torch-peer.js';
import { fillRandom } from './lib/random-weights.js';
import { QWEN_05B } from './lib/shapes.js';
import { benchArgs } from './lib/args.js';

const root = join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const args = benchArgs('bench:real',
  ['--max-new-tokens', '--beta', '--prompts', '--group-size', '--micro-tokens', '--lora', '--gen-tokens', '--threads', '--child'],
  ['--gradient-checkpointing', '--full', '--skip-gen', '--skip-torch', '--skip-step', '--synthetic-rollouts', '--bf16', '--json'], argv);

const CACHE = join(root, 'tmp', 'cache', 'qwen2.5-0.5b-shape-bf16');
const PROMPT_TOKENS = 16;

/** One character per id up to the model's vocabulary (code points from U+10000), so every sampled id decodes. */
function tokenizer(): CharTokenizer {
  const chars = Array.from({ length: QWEN_05B.vocab_size - 8 }, (_, i) => String.fromCodePoint(0x10000 + i)).join('');
  return new CharTokenizer({ chars });
}

/** Builds the cached folder: uniform random weights of std 0.02, saved as BF16. */
function ensureFolder(): string {
  if (existsSync(join(CACHE, 'model.safetensors'))) return CACHE;
  const t0 = performance.now();
  const model = createTransformer(QWEN_05B, { skipInit: true });
  fillRandom(model, 0.02);
  saveModel(model, tokenizer(), CACHE, { dtype: 'BF16' });
  console.error(`built ${CACHE} (BF16) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return CACHE;
}

/** Runs this file as a child in `mode`; returns its last stdout line as JSON. */
function child(mode: string, extra: string[] = []): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'real.ts'), '--child', mode, ...argv.filter((a) => a !== '--json'), ...extra], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`bench/real.ts --child ${mode} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const peakRssGb = () => process.resourceUsage().maxRSS / 1024 / 1024;

/** Child: sampling throughput at batch 1 and 64 (temperature 1), plus logits PyTorch checks. */
function genChild(folder: string): void {
  const { model } = loadModel(folder);
  const rng = new Rng(7);
  const checkIds = Array.from({ length: 12 }, () => rng.int(100));
  const x = Int32Array.from(checkIds);
  const all = noGrad(() => model.forward(x, 1, x.length)).data;
  const checkLogits = Array.from(all.subarray((x.length - 1) * QWEN_05B.vocab_size));
  const tokens = args.int('--gen-tokens', 16);
  const runs = [1, 64].map((batch) => ({
    batch, new_tokens: batch === 1 ? tokens : Math.max(2, tokens >> 1),
    prompts: Array.from({ length: batch }, () => Array.from({ length: PROMPT_TOKENS }, () => rng.int(QWEN_05B.vocab_size))),
  }));
  const timed = (label: string) => runs.map((run) => {
    const s = performance.now();
    const out = sample(model, run.prompts.map((p) => Int32Array.from(p)), { maxNewTokens: run.new_tokens, temperature: 1, seed: 1, batchSize: run.batch });
    const tokS = (run.batch * run.new_tokens) / ((performance.now() - s) / 1000);
    console.error(`aha${label} batch ${run.batch}: ${tokS.toFixed(2)} tok/s`);
    return { tokS, out };
  });
  const f32 = timed('');
  const result: Record<string, unknown> = { tok_s: f32.map((r) => r.tokS), runs, check_ids: checkIds, check_logits: checkLogits };
  if (args.has('--bf16') && model instanceof Transformer) {
    // The opt-in BF16 sampling path: its speed, and its log-probabilities of the f32 run's batch-64
    // completions (teacher-forced) against the f32 sampler's own.
    model.sampleInBf16 = true;
    result.bf16_tok_s = timed(' bf16').map((r) => r.tokS);
    result.bf16_logprob_diff = bf16LogprobDiff(model, runs[1].prompts, f32[1].out.map((o) => o.tokens), f32[1].out.map((o) => o.logprobs));
    model.sampleInBf16 = false;
    console.error(`bf16 log-prob differences: ${JSON.stringify(result.bf16_logprob_diff)}`);
  }
  console.log(JSON.stringify({ ...result, peak_rss_gb: peakRssGb() }));
}

/**
 * Log-probabilities the model gives `tokens` after `prompts` (teacher-forced, through the KV
 * cache, so with sampleInBf16 on they are the BF16 path's) against `want`: max and mean |diff|,
 * and how often the two argmaxes agree.
 */
function bf16LogprobDiff(model: Transformer, prompts: number[][], tokens: Int32Array[], want: Float32Array[]): { max: number; mean: number; n: number } {
  const V = QWEN_05B.vocab_size, B = prompts.length, steps = Math.min(...tokens.map((t) => t.length));
  const cache = model.createCache(B, PROMPT_TOKENS + steps);
  const rows = prompts.map((_, i) => i);
  let logits = model.prefillRows(cache, rows, prompts.map((p) => Int32Array.from(p)));
  let max = 0, sum = 0, n = 0;
  for (let t = 0; t < steps; t++) {
    const lse = logSumExpRows(logits, Int32Array.from(rows, (b) => b * V), V);
    for (let b = 0; b < B; b++) {
      const d = Math.abs(logits[b * V + tokens[b][t]] - lse[b] - want[b][t]);
      max = Math.max(max, d);
      sum += d;
      n++;
    }
    if (t + 1 < steps) logits = model.decode(cache, Int32Array.from(tokens, (x) => x[t]));
  }
  return { max, mean: sum / n, n };
}

/** A reward that differs within groups (the parity of the first character's code point), so rows train. */
const firstCharParity: RewardFunction = { name: 'first_char_parity', description: 'bench: parity of the first code point', score: (c) => (c.codePointAt(0) ?? 0) % 2 };

/** Child: one GRPO step (LoRA on the frozen BF16 base, or --full), its seconds and peak RSS. */
async function stepChild(folder: string): Promise<void> {
  const prompts = args.int('--prompts', 4), G = args.int('--group-size', 8), maxNew = args.int('--max-new-tokens', 128);
  const full = args.has('--full');
  const tmp = mkdtempSync(join(tmpdir(), 'aha-bench-real-'));
  try {
    const data = join(tmp, 'prompts.jsonl');
    const rng = new Rng(3);
    writeFileSync(data, Array.from({ length: prompts }, (_, i) => JSON.stringify({
      id: `p${i}`, prompt: Array.from({ length: PROMPT_TOKENS }, () => String.fromCodePoint(0x10000 + rng.int(100000))).join(''), answer: '0',
    })).join('\n') + '\n');
    // Micro-batches of at most --micro-tokens positions bound the activations the tape keeps.
    const microRows = Math.max(1, Math.floor(args.int('--micro-tokens', 512) / (PROMPT_TOKENS + maxNew)));
    const rows = prompts * G;
    const run = prepareGrpo({
      ...DEFAULT_CONFIG, task: null, data, model: folder, output_dir: join(tmp, 'run'), max_steps: 1, prompts_per_step: prompts,
      num_generations: G, max_completion_length: maxNew, beta: args.num('--beta', 0), save_steps: 0, log_completions_steps: 0, learning_rate: 1e-4,
      gradient_accumulation_steps: Math.min(rows, Math.ceil(rows / microRows)), gradient_checkpointing: args.has('--gradient-checkpointing'), lora: full ? null : (args.value('--lora') ?? 'r=16,alpha=32,dropout=0,targets=all-linear'),
    }, { quiet: true });
    // --synthetic-rollouts: completions of exactly max-new-tokens random ids, drawn instantly, to
    // measure the update (its memory above all) at lengths whose sampling would take hours here.
    const synthetic: Sampler = async (ps, r) => ps.map(() => {
      const ids = Int32Array.from({ length: maxNew }, () => 8 + r.int(QWEN_05B.vocab_size - 8));
      return { ids, text: run.tokenizer.decode(ids), truncated: true };
    });
    let metrics: Record<string, number> = {};
    const t0 = performance.now();
    // CPU seconds of the step: on a shared machine the wall time mostly measures the other load.
    const cpu0 = process.cpuUsage();
    await runGrpo({
      ...run, sampler: args.has('--synthetic-rollouts') ? synthetic : run.sampler,
      judges: { ...run.judges, rewards: [firstCharParity] }, rewardNames: ['first_char_parity'], rewardWeights: [1], onStep: (m) => (metrics = m),
    });
    const seconds = (performance.now() - t0) / 1000;
    console.error(`step: ${seconds.toFixed(1)} s (sampling ${metrics['time/sampling']?.toFixed(1)} s, training ${metrics['time/training']?.toFixed(1)} s), peak RSS ${peakRssGb().toFixed(2)} GB`);
    const trainedTokens = Math.round((metrics['tokens_per_s/training'] ?? 0) * (metrics['time/training'] ?? 0));
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ seconds, cpu_s: (cpu.user + cpu.system) / 1e6, sampling_s: metrics['time/sampling'], training_s: metrics['time/training'], trained_tokens: trainedTokens, peak_rss_gb: peakRssGb(), micro_batches: run.config.gradient_accumulation_steps }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const info = buildInfo();
  const threads = args.int('--threads', info.cores);
  setNumThreads(threads);
  const mode = args.value('--child');
  if (mode === 'gen') return genChild(CACHE);
  if (mode === 'step') return stepChild(CACHE);

  const t0 = performance.now();
  const folder = ensureFolder();
  const out: Record<string, unknown> = { threads, gemm: info.gemm };
  if (!args.has('--skip-gen')) {
    const gen = child('gen');
    const tokS = gen.tok_s as number[];
    out.gen_tok_s_b1 = tokS[0];
    out.gen_tok_s_b64 = tokS[1];
    out.gen_peak_rss_gb = gen.peak_rss_gb;
    if (gen.bf16_tok_s) {
      const b = gen.bf16_tok_s as number[];
      out.bf16_gen_tok_s_b1 = b[0];
      out.bf16_gen_tok_s_b64 = b[1];
      out.bf16_logprob_diff = gen.bf16_logprob_diff;
      // Which kernel ran the BF16 products at batch 64 (AMX tiles where the CPU and Linux allow them; batch 1 uses vdpbf16ps).
      out.bf16_products = info.bf16Products;
      out.amx_unavailable = bf16Kernels().amxUnavailable;
    }
    if (!args.has('--skip-torch') && ensureTorch()) {
      const tmp = mkdtempSync(join(tmpdir(), 'aha-bench-real-torch-'));
      try {
        const spec = join(tmp, 'spec.json');
        writeFileSync(spec, JSON.stringify({ check_ids: gen.check_ids, check_logits: gen.check_logits, runs: gen.runs }));
        const r = spawnSync(TORCH_PYTHON, [join(import.meta.dirname, 'generate_torch.py'), '--model', folder, '--threads', String(threads), '--prompts', spec], {
          encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) }, maxBuffer: 1 << 26,
        });
        if (r.status !== 0) throw new Error(`generate_torch.py failed:\n${r.stderr}`);
        const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { check_max_abs_diff: number; runs: { tok_s: number }[] };
        out.torch_gen_tok_s_b1 = res.runs[0].tok_s;
        out.torch_gen_tok_s_b64 = res.runs[1].tok_s;
        out.torch_check_max_abs_diff = res.check_max_abs_diff;
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  }
  const full = args.has('--full');
  const step = args.has('--skip-step') ? null : child('step');
  if (step) {
    out[full ? 'full_step_s' : 'lora_step_s'] = step.seconds;
    out.step_cpu_s = step.cpu_s;
    out.step_sampling_s = step.sampling_s;
    out.step_training_s = step.training_s;
    out.step_trained_tokens = step.trained_tokens;
    out.peak_rss_gb = step.peak_rss_gb;
    out.step = {
      prompts: args.int('--prompts', 4), group_size: args.int('--group-size', 8), max_new_tokens: args.int('--max-new-tokens', 128), micro_batches: step.micro_batches,
      mode: full ? 'full' : 'lora', gradient_checkpointing: args.has('--gradient-checkpointing'), rollouts: args.has('--synthetic-rollouts') ? 'synthetic' : 'sampled',
    };
  }
  out.total_s = (performance.now() - t0) / 1000;
  if (args.has('--json')) console.log(JSON.stringify(out));
  else console.log(out);
}

await main();
