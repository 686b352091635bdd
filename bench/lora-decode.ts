// In-process comparison of GRPO's sampling on a LoRA model: the Qwen2.5-0.5B shape saved as a
// BF16 folder (bench:real's, built on first use), loaded as GRPO loads it with --lora (frozen BF16
// base, r=16 adapters on every projection, B random so the adapters count), one sample() call of
// 4 prompts x G 8 = 32 rows at temperature 1. Variants, alternated within each round so a loaded
// machine moves them alike (best and median of the rounds reported; the ratios are the figure):
//   plain  the plain path (decodePacked off): how a LoRA model sampled before the packed path
//          served it;
//   packed the packed decode path, f32 products with the base's BF16 bits widened;
//   bf16   the packed path sampling in BF16 (sampleInBf16: AMX tiles / vdpbf16ps straight from
//          the base's bits, no copy of the weights).
// Also the share of completions identical to the plain path's (same seed). No variant copies
// the base's weights.
//
//   npm run bench:lora-decode -- [--rounds 2] [--tokens 32] [--prompts 4] [--group 8] [--threads N] [--layers 24] [--json]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildInfo, setNumThreads } from '../src/core/index.js';
import { withNewAdapters } from '../src/model/adapter.js';
import { createTransformer, Transformer } from '../src/model/transformer.js';
import { saveModel } from '../src/model/load-model.js';
import { CharTokenizer } from '../src/model/char-tokenizer.js';
import { parseLoraSpec, type LoraModel } from '../src/model/lora.js';
import { sample } from '../src/model/sampling.js';
import { Rng } from '../src/util/rng.js';
import { benchArgs } from './lib/args.js';
import { fillRandom } from './lib/random-weights.js';
import { median, QWEN_05B } from './lib/shapes.js';

const cli = benchArgs('bench:lora-decode', ['--rounds', '--tokens', '--prompts', '--group', '--threads', '--layers'], ['--json']);
const rounds = cli.int('--rounds', 2), tokens = cli.int('--tokens', 32);
const P = cli.int('--prompts', 4), G = cli.int('--group', 8);
const layers = cli.int('--layers', QWEN_05B.num_hidden_layers);

/** bench:real's folder (24 layers), or a shorter stack of its own for a quick look. */
function folder(): string {
  const dir = join(import.meta.dirname, '..', 'tmp', 'cache', layers === QWEN_05B.num_hidden_layers ? 'qwen2.5-0.5b-shape-bf16' : `qwen2.5-0.5b-shape-bf16-${layers}l`);
  if (existsSync(join(dir, 'model.safetensors'))) return dir;
  const model = createTransformer({ ...QWEN_05B, num_hidden_layers: layers }, { skipInit: true });
  fillRandom(model, 0.02);
  const chars = Array.from({ length: QWEN_05B.vocab_size - 8 }, (_, i) => String.fromCodePoint(0x10000 + i)).join('');
  saveModel(model, new CharTokenizer({ chars }), dir, { dtype: 'BF16' });
  return dir;
}

function main(): void {
  const info = buildInfo();
  setNumThreads(cli.int('--threads', info.cores));
  const { model } = withNewAdapters(folder(), parseLoraSpec('r=16,alpha=32,dropout=0,targets=all-linear'), 1);
  const lora = model as LoraModel;
  const base = lora.base as Transformer;
  const rng = new Rng(9);
  for (const [name, t] of lora.parameters()) if (name.endsWith('lora_B.weight')) t.data.forEach((_, i) => (t.data[i] = rng.normal() * 0.01));
  const V = QWEN_05B.vocab_size;
  const prompts = Array.from({ length: P }, () => Int32Array.from({ length: 16 }, () => 8 + rng.int(V - 8)));
  const rows = prompts.flatMap((p) => Array.from({ length: G }, () => p));
  const variants = [
    { name: 'plain', packed: false, bf16: false },
    { name: 'packed', packed: true, bf16: false },
    { name: 'bf16', packed: true, bf16: true },
  ].map((v) => ({ ...v, seconds: [] as number[], ids: [] as Int32Array[] }));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      base.decodePacked = v.packed;
      base.sampleInBf16 = v.bf16;
      const counts = { ...base.decodeCounts };
      const t0 = performance.now();
      const out = sample(lora, rows, { maxNewTokens: tokens, temperature: 1, seed: 5, eosIds: [] });
      v.seconds.push((performance.now() - t0) / 1000);
      const path = base.decodeCounts.packed > counts.packed ? 'packed' : 'plain';
      if (path !== (v.packed ? 'packed' : 'plain')) throw new Error(`${v.name} ran the ${path} path`);
      v.ids = out.map((s) => s.tokens);
      console.error(`round ${r + 1} ${v.name}: ${v.seconds[r].toFixed(1)} s`);
    }
  }
  const same = (a: Int32Array[], b: Int32Array[]) => a.filter((x, i) => x.length === b[i].length && x.every((t, j) => t === b[i][j])).length / a.length;
  const best = (name: string) => Math.min(...variants.find((v) => v.name === name)!.seconds);
  const res = {
    threads: info.threads, bf16_products: info.bf16Products, rows: rows.length, new_tokens: tokens, layers, rounds,
    ...Object.fromEntries(variants.flatMap((v) => [[`${v.name}_best_s`, Math.min(...v.seconds)], [`${v.name}_median_s`, median(v.seconds)]])),
    packed_vs_plain: best('plain') / best('packed'),
    bf16_vs_plain: best('plain') / best('bf16'),
    bf16_vs_packed: best('packed') / best('bf16'),
    identical_completions_packed: same(variants[1].ids, variants[0].ids),
    identical_completions_bf16: same(variants[2].ids, variants[0].ids),
  };
  console.log(cli.has('--json') ? JSON.stringify(res) : res);
}

main();
