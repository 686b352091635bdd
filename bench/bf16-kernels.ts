// In-process comparison of one decode step of the Qwen2.5-0.5B shape (random weights, f32 in
// memory) through the packed decode path: f32 products, and the opt-in BF16 sampling products
// with each kernel this CPU can run (AMX tiles, vdpbf16ps, portable only when asked), at batch 1
// and 64. Every variant has its own KV cache fed the same tokens (drawn from the f32 logits at
// temperature 1), the variants alternate within each round, and the best and median of the
// rounds are reported, so a loaded machine moves all of them alike: the step ratios are the
// robust figure. Also: the BF16 snapshot's cost, each variant's batched prefill (once, not
// alternated: noisier), and per BF16 kernel the log-probability error
// of the drawn tokens against f32 (teacher-forced through the cache), max and mean |Δ log p|.
//
//   npm run bench:bf16 -- [--rounds 7] [--prompt 16] [--threads N] [--batches 1,64] [--layers 24] [--portable] [--json]
import { bf16Kernels, buildInfo, drawRows, logSumExpRows, setBf16Kernel, setNumThreads } from '../src/core/index.js';
import type { Bf16Kernel } from '../src/core/index.js';
import { Transformer } from '../src/model/transformer.js';
import type { TransformerCache } from '../src/model/transformer.js';
import type { ModelConfig } from '../src/model/transformer-config.js';
import { Rng } from '../src/util/rng.js';
import { benchArgs } from './lib/args.js';
import { fillRandom } from './lib/random-weights.js';
import { median, QWEN_05B } from './lib/shapes.js';

const cli = benchArgs('bench:bf16', ['--rounds', '--prompt', '--threads', '--batches', '--layers'], ['--portable', '--json']);
const rounds = cli.int('--rounds', 7);
const promptLen = cli.int('--prompt', 16);
const batches = cli.ints('--batches', [1, 64]);

/** Qwen2.5-0.5B's shape; --layers makes a shorter stack for a quick look. */
const CONFIG: ModelConfig = { ...QWEN_05B, num_hidden_layers: cli.int('--layers', 24) };

interface Variant { name: string; kernel: Bf16Kernel | null; cache?: TransformerCache; logits?: Float32Array; prefillMs?: number; times: number[]; err: { max: number; sum: number; n: number } }

function main(): void {
  const info = buildInfo();
  setNumThreads(cli.int('--threads', info.cores));
  const kernels = bf16Kernels();
  console.error(`BF16 kernels: amx ${kernels.amx ? 'yes' : `no (${kernels.amxUnavailable})`}, vdpbf16ps ${kernels.avx512Bf16 ? 'yes' : 'no'}`);
  const model = new Transformer(CONFIG, { skipInit: true });
  fillRandom(model, 0.02);
  const V = CONFIG.vocab_size;
  const rng = new Rng(3);
  const out: Record<string, unknown> = { threads: info.threads, bf16_products: info.bf16Products, amx_unavailable: kernels.amxUnavailable, layers: CONFIG.num_hidden_layers };
  for (const B of batches) {
    const variants: Variant[] = [{ name: 'f32', kernel: null, times: [], err: { max: 0, sum: 0, n: 0 } }];
    if (kernels.amx) variants.push({ name: 'amx', kernel: 'amx', times: [], err: { max: 0, sum: 0, n: 0 } });
    if (kernels.avx512Bf16) variants.push({ name: 'avx512_bf16', kernel: 'avx512_bf16', times: [], err: { max: 0, sum: 0, n: 0 } });
    if (cli.has('--portable') || !kernels.avx512Bf16) variants.push({ name: 'portable', kernel: 'portable', times: [], err: { max: 0, sum: 0, n: 0 } });
    const maxLen = promptLen + rounds + 1;
    const prompts = Array.from({ length: B }, () => Int32Array.from({ length: promptLen }, () => rng.int(V)));
    const rows = prompts.map((_, i) => i);
    let snapshot: TransformerCache['bf16'] = null;
    let snapshotS = 0;
    for (const v of variants) {
      model.sampleInBf16 = v.kernel !== null;
      if (v.kernel !== null && snapshot !== null) {
        model.sampleInBf16 = false;  // one snapshot serves every BF16 variant
        v.cache = model.createCache(B, maxLen) as TransformerCache;
        v.cache.bf16 = snapshot;
      } else {
        const t = performance.now();
        v.cache = model.createCache(B, maxLen) as TransformerCache;
        if (v.kernel !== null) {
          snapshotS = (performance.now() - t) / 1000;
          snapshot = v.cache.bf16;
        }
      }
      setBf16Kernel(v.kernel ?? 'auto');
      const t = performance.now();
      const logits = model.prefillRows(v.cache, rows, prompts);
      v.prefillMs = performance.now() - t;
      v.logits = logits.slice(0, B * V);
    }
    model.sampleInBf16 = false;
    for (let r = 0; r < rounds; r++) {
      // Tokens drawn from the f32 logits; every variant's log-prob of them against f32's.
      const ref = variants[0].logits!;
      const offsets = Int32Array.from(rows, (b) => b * V);
      const drawn = drawRows(ref, offsets, V, 1, Float64Array.from(rows, () => rng.next()));
      const ids = drawn.tokens;
      for (const v of variants.slice(1)) {
        const lse = logSumExpRows(v.logits!, offsets, V);
        for (let b = 0; b < B; b++) {
          const d = Math.abs(v.logits![b * V + ids[b]] - lse[b] - drawn.logprobs[b]);
          v.err.max = Math.max(v.err.max, d);
          v.err.sum += d;
          v.err.n++;
        }
      }
      for (const v of variants) {
        setBf16Kernel(v.kernel ?? 'auto');
        const t = performance.now();
        const logits = model.decode(v.cache!, ids);
        v.times.push(performance.now() - t);
        v.logits = logits.slice(0, B * V);  // the cache reuses its logits buffer
      }
    }
    setBf16Kernel('auto');
    const f32Best = Math.min(...variants[0].times);
    const res: Record<string, unknown> = { snapshot_s: snapshotS };
    for (const v of variants) {
      const best = Math.min(...v.times), med = median(v.times);
      res[v.name] = {
        prefill_ms: round(v.prefillMs ?? 0), step_ms_best: round(best), step_ms_median: round(med), speedup_vs_f32: round(f32Best / best, 3), tok_s: round((B * 1000) / best, 2),
        ...(v.kernel !== null ? { logprob_err_max: v.err.max, logprob_err_mean: v.err.sum / v.err.n, tokens: v.err.n } : {}),
      };
      console.error(`batch ${B} ${v.name}: prefill ${(v.prefillMs ?? 0).toFixed(0)} ms, step ${best.toFixed(1)} ms best, ${med.toFixed(1)} median (${(f32Best / best).toFixed(2)}x f32)` +
        (v.kernel !== null ? `, |d log p| max ${v.err.max.toExponential(2)} mean ${(v.err.sum / v.err.n).toExponential(2)}` : ''));
    }
    out[`batch_${B}`] = res;
  }
  if (cli.has('--json')) console.log(JSON.stringify(out));
}

const round = (x: number, d = 1): number => Number(x.toFixed(d));

main();
