// Where an f32 decode step of the Qwen2.5-0.5B shape spends its time, part by part: each kernel of
// the packed decode path (src/model/transformer.ts runCachedPacked) timed alone on buffers of the
// step's exact shapes (random values; one layer's weights, since every layer has the same shapes),
// then multiplied by its count per step, and the products' GFLOP/s. The parts alternate within
// each round and the best of the rounds is kept, so a loaded machine moves them alike.
//
// --cpu times the parts in CPU time of the process instead of wall time (with --threads 1, a
// core's time for the part, which a shared machine distorts less than wall time).
// With --ab, the products also run with the short-wide kernel off (sgemm), alternated with it on.
// With --step-ab, instead: the in-process A/B of a whole decode step (a model of that shape with
// random weights; one KV cache per variant, fed the same tokens; the variants alternate in each
// of --rounds rounds): the short-wide kernel on against off.
// With --call, instead: one whole sample()-like call on a model of that shape (random weights):
// the batched prefill of 16-token prompts, then --steps decode steps each followed by drawRows,
// timed apart (what bench:real's batch-64 figure is made of).
//
//   npx tsx bench/generate-profile.ts [--batch 64] [--kv 144] [--rounds 5] [--threads N] [--cpu] [--ab] [--step-ab] [--call] [--steps 8] [--json]
import { attendCachePacked, buildInfo, drawRows, linearInto, rmsNormInto, ropeTable, setNumThreads, setShortWideGemm, swigluPackedInto } from '../src/core/index.js';
import type { KVCache } from '../src/model/causal-lm.js';
import { Transformer } from '../src/model/transformer.js';
import { Rng } from '../src/util/rng.js';
import { fillRandom } from './lib/random-weights.js';
import { benchArgs } from './lib/args.js';
import { median, QWEN_05B } from './lib/shapes.js';

const cli = benchArgs('generate-profile', ['--batch', '--kv', '--rounds', '--threads', '--steps'], ['--json', '--call', '--ab', '--step-ab', '--cpu']);
const B = cli.int('--batch', 64);
const kvLen = cli.int('--kv', 16 + 128);
const rounds = cli.int('--rounds', 5);

const c = QWEN_05B;
const H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size, L = c.num_hidden_layers;
const Hq = c.num_attention_heads, Hkv = c.num_key_value_heads, D = H / Hq;
const qw = Hq * D, width = qw + 2 * Hkv * D;

/** A whole call: prefill, then decode steps with a draw after each, timed apart. */
function wholeCall(): void {
  const rng = new Rng(9);
  const steps = cli.int('--steps', 8), P = 16;
  const model = new Transformer(c, { skipInit: true });
  fillRandom(model, 0.02);
  const cache = model.createCache(B, P + steps + 1);
  const rows = Array.from({ length: B }, (_, i) => i);
  const offsets = Int32Array.from(rows, (r) => r * V);
  let t = performance.now();
  let logits = model.prefillRows(cache, rows, rows.map(() => Int32Array.from({ length: P }, () => rng.int(V))));
  const prefill = performance.now() - t;
  const decode: number[] = [], draw: number[] = [];
  for (let s = 0; s < steps; s++) {
    t = performance.now();
    const d = drawRows(logits, offsets, V, 1, Float64Array.from(rows, () => rng.next()));
    draw.push(performance.now() - t);
    if (s + 1 === steps) break;
    t = performance.now();
    logits = model.decode(cache, d.tokens);
    decode.push(performance.now() - t);
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const total = prefill + sum(decode) + sum(draw);
  const out = { batch: B, threads: buildInfo().threads, prefill_ms: prefill, decode_ms: decode, draw_ms: draw, total_ms: total, tok_s: (B * steps) / (total / 1000) };
  if (cli.has('--json')) console.log(JSON.stringify(out));
  else console.log(`batch ${B}: prefill ${prefill.toFixed(0)} ms, ${decode.length} decode steps ${decode.map((x) => x.toFixed(0)).join(' ')} ms, draws ${draw.map((x) => x.toFixed(0)).join(' ')} ms; ${out.tok_s.toFixed(1)} tok/s`);
}

/** A/B of a whole decode step: the short-wide kernel on and off, each with its own cache. */
function stepAb(): void {
  const rng = new Rng(11);
  const P = 16;
  const model = new Transformer(c, { skipInit: true });
  fillRandom(model, 0.02);
  const rows = Array.from({ length: B }, (_, i) => i);
  const offsets = Int32Array.from(rows, (r) => r * V);
  const prompts = rows.map(() => Int32Array.from({ length: P }, () => rng.int(V)));
  const variants = [{ name: 'short-wide', on: true }, { name: 'sgemm', on: false }].map((v) => {
    setShortWideGemm(v.on);
    const cache: KVCache = model.createCache(B, P + rounds + 1);
    const logits = model.prefillRows(cache, rows, prompts).slice(0, B * V);
    return { ...v, cache, logits, times: [] as number[], maxDiff: 0 };
  });
  for (let r = 0; r < rounds; r++) {
    const ids = drawRows(variants[0].logits, offsets, V, 1, Float64Array.from(rows, () => rng.next())).tokens;
    for (const v of r % 2 ? [...variants].reverse() : variants) {
      setShortWideGemm(v.on);
      const t = performance.now();
      v.logits = model.decode(v.cache, ids).slice(0, B * V);
      v.times.push(performance.now() - t);
    }
    let d = 0;
    for (let i = 0; i < B * V; i++) d = Math.max(d, Math.abs(variants[0].logits[i] - variants[1].logits[i]));
    variants[1].maxDiff = Math.max(variants[1].maxDiff, d);
  }
  setShortWideGemm(true);
  const [a, b] = variants;
  const out = {
    batch: B, threads: buildInfo().threads, rounds,
    short_wide_ms: { best: Math.min(...a.times), median: median(a.times) }, sgemm_ms: { best: Math.min(...b.times), median: median(b.times) },
    speedup_best: Math.min(...b.times) / Math.min(...a.times), speedup_median: median(b.times) / median(a.times), max_logit_diff: b.maxDiff,
  };
  if (cli.has('--json')) console.log(JSON.stringify(out));
  else console.log(`decode step, batch ${B}, ${out.threads} threads, ${rounds} rounds: short-wide best ${out.short_wide_ms.best.toFixed(0)} / median ${out.short_wide_ms.median.toFixed(0)} ms, sgemm ${out.sgemm_ms.best.toFixed(0)} / ${out.sgemm_ms.median.toFixed(0)} ms: ${out.speedup_best.toFixed(2)}x (best), ${out.speedup_median.toFixed(2)}x (median); logits differ by at most ${b.maxDiff.toExponential(2)}`);
}

function main(): void {
  setNumThreads(cli.int('--threads', buildInfo().cores));
  if (cli.has('--call')) return wholeCall();
  if (cli.has('--step-ab')) return stepAb();
  const info = buildInfo();
  const rng = new Rng(5);
  const rand = (n: number, s = 0.02) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * s);
  const wQkv = rand(width * H), wO = rand(H * qw), wGu = rand(2 * I * H), wDown = rand(H * I), head = rand(V * H);
  const normW = Float32Array.from({ length: H }, () => 1);
  const x = rand(B * H, 1), h = rand(B * H, 1), qkv = rand(B * width, 1), att = rand(B * qw, 1);
  const gu = rand(B * 2 * I, 1), act = rand(B * I, 1), logits = rand(B * V, 3);
  const maxLen = kvLen + 1;
  const kc = rand(B * Hkv * D * maxLen, 1), vc = rand(B * Hkv * D * maxLen, 1);
  const pos = Int32Array.from({ length: B }, () => kvLen - 1);
  const table = ropeTable(D, { theta: c.rope_theta, scaling: c.rope_scaling });
  table.ensure(maxLen);
  const offsets = Int32Array.from({ length: B }, (_, r) => r * V);
  const u = Float64Array.from({ length: B }, () => rng.next());
  const shape = { batch: B, tokens: 1, heads: Hq, kvHeads: Hkv, headDim: D, maxLen };
  // name, per step, flops of one call (0: not a product), the call
  const parts: { name: string; count: number; flops: number; run: () => void; best: number }[] = [
    { name: 'input/post norms', count: 2 * L, flops: 0, run: () => rmsNormInto(x, normW, B, H, 1e-6, h), best: Infinity },
    { name: 'q/k/v product', count: L, flops: 2 * B * width * H, run: () => linearInto(h, B, wQkv, width, H, qkv), best: Infinity },
    { name: `attention (RoPE, cache append, ${kvLen} positions)`, count: L, flops: 0, run: () => attendCachePacked(qkv, kc, vc, pos, null, table, att, shape), best: Infinity },
    { name: 'o_proj product (+ residual)', count: L, flops: 2 * B * H * qw, run: () => linearInto(att, B, wO, H, qw, x, true), best: Infinity },
    { name: 'gate/up product', count: L, flops: 2 * B * 2 * I * H, run: () => linearInto(h, B, wGu, 2 * I, H, gu), best: Infinity },
    { name: 'SwiGLU', count: L, flops: 0, run: () => swigluPackedInto(gu, B, I, act), best: Infinity },
    { name: 'down product (+ residual)', count: L, flops: 2 * B * H * I, run: () => linearInto(act, B, wDown, H, I, x, true), best: Infinity },
    { name: 'final norm', count: 1, flops: 0, run: () => rmsNormInto(x, normW, B, H, 1e-6, h), best: Infinity },
    { name: 'lm_head product', count: 1, flops: 2 * B * V * H, run: () => linearInto(h, B, head, V, H, logits), best: Infinity },
    { name: 'drawRows (T = 1)', count: 1, flops: 0, run: () => drawRows(logits, offsets, V, 1, u), best: Infinity },
  ];
  if (cli.has('--ab')) {
    for (const p of parts.filter((q) => q.flops > 0)) {
      const run = p.run;
      parts.push({ ...p, name: `${p.name}, sgemm`, count: 0, run: () => { setShortWideGemm(false); run(); setShortWideGemm(true); } });
    }
  }
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const clock = cli.has('--cpu') ? cpuMs : () => performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const p of parts) {
      p.run(); // warm (caches, pages)
      const reps = Math.max(1, Math.min(p.count || 4, 4));
      const t = clock();
      for (let i = 0; i < reps; i++) p.run();
      p.best = Math.min(p.best, (clock() - t) / reps);
    }
  }
  const total = parts.reduce((s, p) => s + p.best * p.count, 0);
  const rowsOut = parts.map((p) => ({
    part: p.name, ms_per_call: +p.best.toFixed(3), calls: p.count || '-', ms_per_step: +(p.best * p.count).toFixed(1),
    share: +((p.best * p.count) / total).toFixed(3), gflop_s: p.flops ? +(p.flops / p.best / 1e6).toFixed(1) : null,
  }));
  if (cli.has('--json')) {
    console.log(JSON.stringify({ batch: B, kv: kvLen, threads: info.threads, step_ms: total, parts: rowsOut }));
    return;
  }
  console.log(`decode step, batch ${B}, ${kvLen} cached positions, ${info.threads} threads (best of ${rounds}, ${cli.has('--cpu') ? 'CPU' : 'wall'} time): ${total.toFixed(0)} ms`);
  console.log('| part | ms per call | calls | ms per step | share | GFLOP/s |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rowsOut) console.log(`| ${r.part} | ${r.ms_per_call} | ${r.calls} | ${r.ms_per_step} | ${(r.share * 100).toFixed(1)}% | ${r.gflop_s ?? '-'} |`);
}

main();
