// Benchmark of correctness (not a test, not timed): the GRPO family's loss, gradients and
// advantages against an independent float64 PyTorch implementation of TRL GRPOTrainer's loss
// (bench/trl_loss_torch.py, Debian's python3-torch), over the grid of every loss type × ratio
// level (token / GSPO) × delta × KL variant × advantage estimator × num_iterations ×
// gradient_accumulation_steps, each with a random draw of the entropy options, off-policy
// masking, sampler correction, tool tokens and epsilon_high (docs/grpo.md, "Checked against
// TRL's loss"). aha's side runs its own pieces (validateConfig, computeAdvantages,
// klShapedAdvantages, splitRanges, runsEveryRow, highEntropyMask, samplerWeights, grpoLoss) the
// way src/rl/update.ts assembles them; a configuration validateConfig refuses is counted with
// its reason.
//
//   npm run bench:trl-loss -- [--seed N] [--fixture FILE]
//
// Exits 1 on any mismatch. --fixture rewrites the numbers-only fixture of test/rl/trl-loss.test.ts
// (a small spread of every axis) instead of running the grid.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, validateConfig, type GrpoConfig } from '../src/rl/config.js';
import { computeAdvantages, klShapedAdvantages, weightedReward } from '../src/rl/advantages.js';
import { grpoLoss, highEntropyMask, samplerWeights, type Normaliser } from '../src/rl/loss.js';
import { runsEveryRow, splitRanges } from '../src/rl/update.js';
import { ensureTorch, TORCH_PYTHON } from './lib/torch-peer.js';

interface Case {
  id: number;
  cfg: Partial<GrpoConfig>;
  B: number; T: number; G: number;
  logp: number[]; old: number[]; ref: number[]; smp: number[]; entropy: number[]; mask: number[];
  columns: (number | null)[][]; weights: number[];
}

const rows = (a: ArrayLike<number>, T: number, keep: number[]) => {
  const out = new Float32Array(keep.length * T);
  keep.forEach((r, j) => { for (let t = 0; t < T; t++) out[j * T + t] = a[r * T + t]; });
  return out;
};

function run(c: Case): unknown {
  const raw = { ...DEFAULT_CONFIG, task: 'arithmetic', prompts_per_step: c.B / c.G, num_generations: c.G, ...c.cfg } as GrpoConfig;
  let cfg;
  try {
    cfg = validateConfig(raw);
  } catch (err) {
    return { id: c.id, refused: (err as Error).message };
  }
  const { B, T } = c;
  const mask = Uint8Array.from(c.mask);
  const logp = Float32Array.from(c.logp);
  const old = Float32Array.from(c.old);
  const totalArr = new Float64Array(B);
  const scored = new Uint8Array(B);
  for (let i = 0; i < B; i++) {
    const r = weightedReward(c.columns.map((col) => col[i]), c.weights);
    totalArr[i] = r ?? 0;
    scored[i] = r === null ? 0 : 1;
  }
  const tokens = Array.from({ length: B }, (_, i) => { let n = 0; for (let t = 0; t < T; t++) n += mask[i * T + t]; return n; });
  const { advantages } = computeAdvantages({ total: totalArr, scored }, {
    groupSize: c.G, scale: cfg.scale_rewards, eps: cfg.advantage_eps, estimator: cfg.advantage_estimator, tokens,
    aggregation: cfg.multi_objective_aggregation, columns: c.columns, weights: c.weights,
  });
  const klInReward = cfg.advantage_estimator === 'reinforce_plus_plus' && cfg.beta > 0;
  const entropyBonus = cfg.entropy_coef > 0;
  // update.ts's trainedPart: which rows of a micro-batch get a forward pass.
  const runAll = runsEveryRow(cfg, false);
  let totalTokens = 0;
  const micro = splitRanges(B, cfg.gradient_accumulation_steps).map(([a, b]) => {
    const all = Array.from({ length: b - a }, (_, j) => a + j);
    let n = 0;
    for (const r of all) n += tokens[r];
    totalTokens += n;
    const keep = runAll ? all : all.filter((r) => advantages[r] !== 0);
    return { keep, bnpoTokens: n };
  });
  const tokenAdv = klInReward
    ? klShapedAdvantages(micro.map((m) => ({
        B: m.keep.length, T, mask: rows(mask, T, m.keep), oldLogp: rows(old, T, m.keep), refLogp: rows(c.ref, T, m.keep),
        rewards: m.keep.map((r) => totalArr[r]), scored: m.keep.map((r) => scored[r]),
      })), cfg.beta, cfg.advantage_eps)
    : null;
  const norm: Normaliser = {
    lossType: cfg.loss_type, totalSequences: B, totalTokens, microBatches: Math.min(cfg.gradient_accumulation_steps, B), maxCompletionLength: cfg.max_completion_length,
  };
  const surrogate = {
    epsilon: cfg.epsilon, epsilonHigh: cfg.epsilon_high, beta: klInReward ? 0 : cfg.beta, importanceSamplingLevel: cfg.importance_sampling_level,
    delta: cfg.delta, biasCorrectionKl: cfg.use_bias_correction_kl, offPolicyMaskThreshold: cfg.off_policy_mask_threshold, entropyCoef: cfg.entropy_coef,
  };
  let loss = 0;
  const grad = new Array<number>(B * T).fill(0);
  const entropyGrad = new Array<number>(B * T).fill(0);
  micro.forEach((m, j) => {
    if (m.keep.length === 0) return;
    const mb = m.keep.length;
    const mMask = Uint8Array.from(rows(mask, T, m.keep));
    const mLogp = rows(logp, T, m.keep);
    // With one pass π_old is π detached (update.ts); the case generator gives old = logp then.
    const mOld = rows(old, T, m.keep);
    const h = rows(c.entropy, T, m.keep);
    const smp = rows(c.smp, T, m.keep);
    const policyMask = cfg.top_entropy_quantile < 1 ? highEntropyMask(h, mMask, cfg.top_entropy_quantile) : null;
    const isWeights = cfg.vllm_importance_sampling_correction ? samplerWeights(mOld, smp, mMask, mb, T, cfg.vllm_importance_sampling_mode, cfg.vllm_importance_sampling_clip_max).weights : null;
    const res = grpoLoss({
      B: mb, T, logp: mLogp, oldLogp: mOld, refLogp: cfg.beta > 0 ? rows(c.ref, T, m.keep) : null, advantages: m.keep.map((r) => advantages[r]), mask: mMask,
      bnpoTokens: m.bnpoTokens, policyMask, entropy: entropyBonus ? h : null, isWeights, tokenAdvantages: tokenAdv?.[j], rowBeta: null,
      samplerLogp: cfg.vllm_importance_sampling_correction ? smp : null,
    }, surrogate, norm);
    loss += res.loss;
    m.keep.forEach((r, q) => {
      for (let t = 0; t < T; t++) {
        grad[r * T + t] = res.grad[q * T + t];
        if (res.entropyGrad) entropyGrad[r * T + t] = res.entropyGrad[q * T + t];
      }
    });
  });
  return { id: c.id, loss, grad, entropyGrad, advantages: Array.from(advantages), epsilon_high: cfg.epsilon_high };
}

const PEER = join(import.meta.dirname, 'trl_loss_torch.py');

function peer(args: string[]): void {
  const r = spawnSync(TORCH_PYTHON, [PEER, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function main(): void {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set(['--seed', '--fixture']);
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.has(argv[i]) || argv[i + 1] === undefined) {
      console.error(`bench:trl-loss: unknown flag or missing value at "${argv[i]}" (flags: --seed N, --fixture FILE)`);
      process.exit(2);
    }
  }
  if (!ensureTorch()) process.exit(1);
  const dir = mkdtempSync(join(tmpdir(), 'aha-trl-loss-'));
  try {
    const cases = join(dir, 'cases.json'), ours = join(dir, 'aha.json');
    const fixture = flag('--fixture');
    peer(fixture ? ['fixture-cases', '24', cases] : ['gen', cases, flag('--seed') ?? '1']);
    const list = JSON.parse(readFileSync(cases, 'utf8')) as Case[];
    console.log(`aha: ${list.length} cases`);
    writeFileSync(ours, JSON.stringify(list.map(run)));
    peer(fixture ? ['fixture', cases, ours, fixture] : ['compare', cases, ours]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
