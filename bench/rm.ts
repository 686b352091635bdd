// `npm run bench:rm`: the over-optimisation miniature (Gao, Schulman, Hilton 2022) on the bundled
// arithmetic base model. A gold preference is computable by program:
//   gold = correct + 0.25 · lenient format − 0.25 · length / max_completion_length
// (right, in the required format, concise). A small preference reward model (the base model's body
// with a scalar head) is trained on a limited number of pairs of the base policy's own samples,
// ranked by gold. GRPO then optimises the policy against the reward model alone; at each held-out
// evaluation the hacking watch logs the reward model's score beside the gold score. The curve to
// look for: gold rises, peaks and falls while the reward model's score keeps rising, and the watch
// flags the turn. --beta (the KL term) or --mix W (the rule-based accuracy reward mixed in at
// weight W) are the two remedies to compare.
// Prints rm_heldout_acc, gold_peak_step, flagged_step, gold_at_end, rm_at_end, seconds (--json:
// one JSON object per seed, then the means), and the held-out curve with --curve.
// Flags: --seed N[,N...] (default 1), --steps N (60), --pairs N (256), --eval-problems N (48),
//        --eval-steps N (5), --window N (watch, 3), --beta X (0), --mix W (0),
//        --prompts-per-step N (8), --num-generations N (8), --max-completion-length N (160),
//        --rm-epochs N (2), --threads N, --json, --curve, --keep.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setNumThreads } from '../src/core/index.js';
import { DEFAULT_CONFIG, type GrpoConfig } from '../src/rl/config.js';
import { HackingWatch } from '../src/rl/hacking-watch.js';
import { prepareGrpo, resolveModelDir } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { trainRewardModel } from '../src/rm/train.js';
import { DIFFICULTY, goldScore, goldRankedPairs } from './lib/rm-miniature.js';
import { benchArgs } from './lib/args.js';

const cli = benchArgs('bench:rm', ['--seed', '--steps', '--pairs', '--eval-problems', '--eval-steps', '--window', '--beta', '--mix', '--prompts-per-step', '--num-generations', '--max-completion-length', '--rm-epochs', '--threads'], ['--json', '--keep', '--curve']);
const num = cli.num;
const json = cli.has('--json');
const seeds = cli.integers('--seed', [1]);
const steps = num('--steps', 60);
const pairsWanted = num('--pairs', 256);
const evalProblems = num('--eval-problems', 48);
const evalSteps = num('--eval-steps', 5);
const window = num('--window', 3);
const beta = num('--beta', 0);
const mix = num('--mix', 0);
const promptsPerStep = num('--prompts-per-step', 8);
const numGenerations = num('--num-generations', 8);
const maxLen = num('--max-completion-length', 160);
const rmEpochs = num('--rm-epochs', 2);
const threads = num('--threads', 0);
if (threads > 0) setNumThreads(threads);

interface SeedResult {
  seed: number;
  pairs: number;
  rm_heldout_acc: number;
  gold_peak_step: number;
  flagged_step: number | null;
  gold_at_end: number;
  rm_at_end: number;
  seconds: number;
  curve: { step: number; learned: number; gold: number }[];
}

async function runSeed(seed: number): Promise<SeedResult> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'aha-bench-rm-'));
  try {
    const baseDir = resolveModelDir(null, 'arithmetic');
    const pairs = goldRankedPairs(baseDir, seed, pairsWanted, maxLen);
    const data = join(dir, 'pairs.jsonl');
    writeFileSync(data, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    if (!json) process.stderr.write(`seed ${seed}: ${pairs.length} gold-ranked pairs; training the reward model...\n`);
    const rmDir = join(dir, 'rm');
    const rm = trainRewardModel({ model: baseDir, data, output: rmDir, kind: 'preference', epochs: rmEpochs, batchSize: 8, learningRate: 1e-4, evalFraction: 0.2, seed, quiet: true });
    const rmAcc = rm.heldout.pairwise_accuracy!;
    if (!json) process.stderr.write(`seed ${seed}: reward model held-out pairwise accuracy ${rmAcc.toFixed(3)} (n=${rm.heldout.n}); GRPO against it...\n`);
    const rewards = [{ name: `rm:${rmDir}`, weight: 1 }, ...(mix > 0 ? [{ name: 'arithmetic_accuracy', weight: mix }] : [])];
    const config: GrpoConfig = {
      ...DEFAULT_CONFIG, task: 'arithmetic', difficulty: DIFFICULTY, model: null, output_dir: join(dir, 'run'), rewards,
      max_steps: steps, prompts_per_step: promptsPerStep, num_generations: numGenerations, max_completion_length: maxLen,
      learning_rate: 1e-4, beta, seed, save_steps: 0, log_completions_steps: 0, eval_problems: evalProblems, eval_steps: evalSteps, temperature: 1,
    };
    const opts = prepareGrpo(config, { quiet: true });
    const watch = new HackingWatch({ learned: [0], gold: (r) => goldScore(r.text, r.completionIds.length, r.item.problem!, maxLen), window, quiet: json });
    await runGrpo({ ...opts, watch, quiet: true });
    const curve = watch.points.map((p) => ({ ...p }));
    const peak = curve.reduce((best, p) => (p.gold > best.gold ? p : best), curve[0]);
    const last = curve[curve.length - 1];
    return {
      seed, pairs: pairs.length, rm_heldout_acc: rmAcc, gold_peak_step: peak.step, flagged_step: watch.flaggedStep,
      gold_at_end: last.gold, rm_at_end: last.learned, seconds: (performance.now() - t0) / 1000, curve,
    };
  } finally {
    if (!cli.has('--keep')) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  }
}

const results: SeedResult[] = [];
for (const seed of seeds) {
  const r = await runSeed(seed);
  results.push(r);
  if (json) {
    const { curve, ...rest } = r;
    console.log(JSON.stringify(cli.has('--curve') ? r : rest));
    void curve;
  } else {
    console.log(`seed ${r.seed}: rm_heldout_acc ${r.rm_heldout_acc.toFixed(3)}, gold_peak_step ${r.gold_peak_step}, flagged_step ${r.flagged_step ?? 'none'}, ` +
      `gold_at_end ${r.gold_at_end.toFixed(3)}, rm_at_end ${r.rm_at_end.toFixed(3)}, ${r.seconds.toFixed(0)} s (beta ${beta}, mix ${mix})`);
    console.log('  step  rm_score  gold');
    for (const p of r.curve) console.log(`  ${String(p.step).padStart(4)}  ${p.learned.toFixed(3).padStart(8)}  ${p.gold.toFixed(3)}`);
  }
}
if (results.length > 1) {
  const mean = (f: (r: SeedResult) => number) => results.reduce((a, r) => a + f(r), 0) / results.length;
  const summary = {
    seeds: results.map((r) => r.seed), beta, mix,
    rm_heldout_acc: mean((r) => r.rm_heldout_acc), gold_peak_step: mean((r) => r.gold_peak_step),
    flagged_step: results.every((r) => r.flagged_step !== null) ? mean((r) => r.flagged_step!) : null,
    flagged_runs: results.filter((r) => r.flagged_step !== null).length,
    gold_at_end: mean((r) => r.gold_at_end), rm_at_end: mean((r) => r.rm_at_end), seconds: mean((r) => r.seconds),
  };
  console.log(json ? JSON.stringify(summary) : `mean over ${results.length} seeds: ${JSON.stringify(summary)}`);
}
