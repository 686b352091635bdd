// `npm run bench:fused -- [flags]`: the fused training layer against the plain one, in one
// process on one model, alternating the two so both see the same machine load. One training
// micro-batch step as GRPO's update makes it: forward, log-probs of the targets, backward (LoRA:
// gradients into the adapters only; --full: into every parameter).
// Shapes: --shape 0.5b (Qwen2.5-0.5B: vocab 151,936, 24 layers, d 896, q/k/v biases; frozen BF16
// base with --lora, f32 with --full), --shape 0.5b-layers (4 of its layers, vocab 8192) or --shape
// tiny (a Qwen2-shaped 4-layer d 128 model).
// Flags: --rows N --positions T (the micro-batch, default 8 x 64), --reps N (pairs, default 3),
// --lora SPEC (default r=16,alpha=32,targets=all-linear), --full, --f32-base (LoRA on an f32
// base), --threads N, --json. Prints the median and the fastest wall ms of each path, the median
// CPU ms (user + system: what the step itself used, steadier on a loaded machine), and their ratios.
import { gatherLogProbs, setNumThreads, buildInfo } from '../src/core/index.js';
import { LoraModel, parseLoraSpec } from '../src/model/lora.js';
import type { CausalLM } from '../src/model/causal-lm.js';
import type { ModelConfig } from '../src/model/transformer-config.js';
import { Transformer } from '../src/model/transformer.js';
import { Rng } from '../src/util/rng.js';
import { cpuSeconds } from '../src/util/cpu-time.js';
import { benchArgs } from './lib/args.js';
import { fillRandom } from './lib/random-weights.js';
import { median, QWEN_05B } from './lib/shapes.js';

const args = benchArgs('bench:fused', ['--shape', '--rows', '--positions', '--reps', '--lora', '--threads'], ['--full', '--f32-base', '--json']);

const SHAPES: Record<string, ModelConfig> = {
  '0.5b': QWEN_05B,
  // Four of 0.5B's layers under a small vocabulary: the layers' share of the step, measured quicker.
  '0.5b-layers': { ...QWEN_05B, vocab_size: 8192, num_hidden_layers: 4, eos_token_id: null },
  tiny: {
    model_type: 'qwen2', vocab_size: 256, hidden_size: 128, intermediate_size: 352, num_hidden_layers: 4,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024, rms_norm_eps: 1e-6,
    rope_theta: 10000, tie_word_embeddings: true,
  },
};

const shapeName = args.value('--shape') ?? 'tiny';
const config = SHAPES[shapeName];
if (!config) throw new Error(`bench:fused: --shape must be one of ${Object.keys(SHAPES).join(', ')}`);
const rows = args.int('--rows', 8), T = args.int('--positions', 64), reps = args.int('--reps', 3);
const full = args.has('--full');
if (args.has('--threads')) setNumThreads(args.int('--threads', 1));

const t0 = performance.now();
// frozenBf16 with skipInit: the bits stay zero, then random f32 values are rounded into them below.
const net = new Transformer(config, { skipInit: true, frozenBf16: !full && !args.has('--f32-base') });
fillRandom(net, 0.02);
for (const w of net.frozenWeights().values()) {
  // Uniform random BF16 values of std ~0.02: sign, exponent 117-121 (2^-10 to 2^-6), any mantissa.
  let s = 0x2545f491;
  for (let i = 0; i < w.bits.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = s >>> 0;
    w.bits[i] = ((u & 1) << 15) | ((117 + ((u >>> 1) % 5)) << 7) | ((u >>> 8) & 127);
  }
}
const model: CausalLM = full ? net : new LoraModel(net, parseLoraSpec(args.value('--lora') ?? 'r=16,alpha=32,dropout=0,targets=all-linear'), { seed: 1 });
if (!full) {
  // B starts at zero; random B makes the adapters' backward do its full work (it does either way) and their output count.
  const rng = new Rng(2);
  for (const [name, p] of model.parameters()) if (name.endsWith('lora_B.weight')) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.01;
}
console.error(`built ${shapeName} (${full ? 'full fine-tuning, f32' : `LoRA on ${args.has('--f32-base') ? 'f32' : 'BF16'} base`}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const rng = new Rng(7);
const ids = Int32Array.from({ length: rows * T }, () => rng.int(config.vocab_size));
const targets = Int32Array.from({ length: rows * T }, () => rng.int(config.vocab_size));
const seed = Float32Array.from({ length: rows * T }, () => rng.normal() / (rows * T));

/** One step's wall ms and CPU ms (user + system of the process: under load, the work itself). */
function step(fused: boolean): { wall: number; cpu: number } {
  net.fuseTrainingLayers = fused;
  if (net.trainsFused() !== fused) throw new Error(`bench:fused: the ${fused ? 'fused' : 'plain'} path is not available for this model`);
  for (const p of model.parameters().values()) p.zeroGrad();
  const t = performance.now(), c = cpuSeconds();
  const logp = gatherLogProbs(model.forward(ids, rows, T), targets);
  logp.backward(seed);
  return { wall: performance.now() - t, cpu: (cpuSeconds() - c) * 1000 };
}

step(true); // warm-up: first-touch allocation, thread start-up
const fusedMs: number[] = [], plainMs: number[] = [], fusedCpu: number[] = [], plainCpu: number[] = [];
for (let r = 0; r < reps; r++) {
  // Alternate which goes first so a load change favours neither.
  const order = r % 2 === 0 ? [true, false] : [false, true];
  for (const f of order) {
    const { wall, cpu } = step(f);
    (f ? fusedMs : plainMs).push(wall);
    (f ? fusedCpu : plainCpu).push(cpu);
  }
  console.error(`rep ${r + 1}: fused ${fusedMs[r].toFixed(0)} ms (CPU ${fusedCpu[r].toFixed(0)}), plain ${plainMs[r].toFixed(0)} ms (CPU ${plainCpu[r].toFixed(0)})`);
}
const result = {
  shape: shapeName, mode: full ? 'full' : args.has('--f32-base') ? 'lora-f32-base' : 'lora-bf16-base', rows, positions: T, reps,
  threads: buildInfo().threads, fused_ms: median(fusedMs), plain_ms: median(plainMs), plain_over_fused: median(plainMs) / median(fusedMs),
  // On a loaded machine the fastest run is the least disturbed one.
  fused_min_ms: Math.min(...fusedMs), plain_min_ms: Math.min(...plainMs), plain_over_fused_min: Math.min(...plainMs) / Math.min(...fusedMs),
  fused_cpu_ms: median(fusedCpu), plain_cpu_ms: median(plainCpu), plain_over_fused_cpu: median(plainCpu) / median(fusedCpu),
  fused_all_ms: fusedMs.map(Math.round), plain_all_ms: plainMs.map(Math.round),
};
console.log(args.has('--json') ? JSON.stringify(result) : result);
