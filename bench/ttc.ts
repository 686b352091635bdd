// `npm run bench:ttc`: the test-time compute experiment of Snell et al. (2024) in miniature, set
// against the R1-Zero thesis that one long trained chain of thought displaces the scaffolding.
// On Countdown level 0 (the R1-Zero demo's task) it measures
//   - the bundled base model with scaffolding across budgets (majority, best-of-N and weighted
//     best-of-N with the policy's own likelihood as verifier, beam search over the Monte Carlo PRM,
//     lookahead search over the same PRM at the small budgets only (it is the costliest),
//     revisions, and best-of-N with the verifier as the oracle upper bound);
//   - the GRPO-trained model with one sample (pass@1 over the same samples);
//   - the trained model with the same scaffolding.
// The GRPO model is trained once with the demo's settings (configs/r1-zero-countdown.yaml) and
// cached; the seeds vary the problem draw and the samples. Last line with --json:
//   base_pass1, trained_pass1, budget_to_match (samples per problem for the base model to reach the
//   trained pass@1 with its best non-oracle strategy, or the compute-optimal rule; null if none
//   does within the budgets), optimal_vs_bon_at_16 (compute-optimal minus best-of-N accuracy at
//   16 samples, base model, best-of-N by the likelihood scorer), seconds (searches and training),
//   cpu_seconds (the process's CPU time, user and system, over the same span: what the run costs
//   whatever else shares the machine), and budget_to_match_without_prm (the same match by
//   strategies whose scorer never consults the verifier: majority and likelihood).
// Flags: --seed N[,N...] (default 0,1,2), --problems N (default 20), --budgets LIST (default
//   1,2,4,8,16), --lookahead-budgets LIST (default 1,2,4; a subset of --budgets, or 0 for none),
//   --steps N (GRPO steps, default 30), --trained DIR (use this trained model folder; default:
//   train once, cached in $TMPDIR/aha-bench-ttc/), --retrain, --out DIR (keep each search's
//   folder and report there), --json.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig } from '../src/rl/demo.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { search, type SearchSummary } from '../src/eval/search/run.js';
import { budgetToMatch } from '../src/eval/search/compute-optimal.js';
import { writeSearchReport } from '../src/report/search-report.js';
import { cpuSeconds } from '../src/util/cpu-time.js';
import { benchArgs } from './lib/args.js';
import { joinSearches, meanSeries, pointAt } from './lib/ttc-series.js';

const cli = benchArgs('bench:ttc', ['--seed', '--problems', '--budgets', '--lookahead-budgets', '--steps', '--out', '--trained'], ['--json', '--retrain']);
const flag = cli.value;
const numbers = cli.ints;
const json = cli.has('--json');
const seeds = numbers('--seed', [0, 1, 2]);
const problems = numbers('--problems', [20])[0];
const budgets = numbers('--budgets', [1, 2, 4, 8, 16]);
const lookaheadBudgets = numbers('--lookahead-budgets', [1, 2, 4].filter((b) => budgets.includes(b))).filter((b) => b > 0);
for (const b of lookaheadBudgets) if (!budgets.includes(b)) throw new Error(`bench:ttc: --lookahead-budgets ${b} is not among --budgets ${budgets.join(',')}`);
const demo = demoConfig();
// 30 GRPO steps, not the demo's 100: on the demo's 200 held-out problems held-out accuracy is
// 28.5% at step 0, 47.5% at step 20, 53.5% at step 30 and 58-62% at step 100 (docs/grpo.md), so
// the trained model is already clearly the better one, at under a third of the training time.
const steps = numbers('--steps', [30])[0];
const keepDir = flag('--out');

const BASE = 'models/aha-tiny-countdown';
// The scaffolding: the likelihood scorer is the one verifier here that does not know the answer;
// the Monte Carlo PRM (2 rollouts per step) stands for a PRM trained on such rollouts; best-of-N
// by the verifier is the oracle upper bound (left out of the compute-optimal rule).
const STRATEGIES = ['majority', 'best-of-n@likelihood', 'weighted-best-of-n@likelihood', 'beam@mc2', 'revisions@likelihood', 'best-of-n@verifier'];
// Lookahead (one greedy step rolled out before each candidate is scored) costs about twice beam
// search at a budget and most of it at the largest budgets, so it runs in its own search at the
// small budgets only; it is therefore not among the compute-optimal rule's choices.
const LOOKAHEAD = 'lookahead@mc2';

const t0 = performance.now();
const cpu0 = cpuSeconds();

/** The newest checkpoint of a finished GRPO run. */
function lastCheckpoint(runDir: string): string | null {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return null;
  const found = readdirSync(dir).filter((d) => /^step-\d+$/.test(d)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return found.length && Number(found[found.length - 1].slice(5)) === steps ? join(dir, found[found.length - 1]) : null;
}

async function trainedModel(): Promise<{ dir: string; seconds: number; cpuSeconds: number; cached: boolean }> {
  const given = flag('--trained');
  if (given !== undefined) return { dir: given, seconds: 0, cpuSeconds: 0, cached: true };
  const runDir = join(tmpdir(), 'aha-bench-ttc', `grpo-seed${demo.seed}-steps${steps}`);
  if (cli.has('--retrain')) rmSync(runDir, { recursive: true, force: true });
  const done = lastCheckpoint(runDir);
  if (done) return { dir: done, seconds: 0, cpuSeconds: 0, cached: true };
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(join(runDir, '..'), { recursive: true });
  const t = performance.now();
  const c = cpuSeconds();
  console.error(`bench:ttc: training the GRPO model (${steps} steps, demo settings) into ${runDir}`);
  await runGrpo(prepareGrpo({ ...demo, max_steps: steps, output_dir: runDir, save_steps: 0, eval_steps: 0 }, {}));
  const dir = lastCheckpoint(runDir);
  if (!dir) throw new Error(`${runDir}: the GRPO run left no checkpoint of step ${steps}`);
  return { dir, seconds: (performance.now() - t) / 1000, cpuSeconds: cpuSeconds() - c, cached: false };
}

async function run(model: string, seed: number, label: string, lookahead = false): Promise<SearchSummary> {
  const out = keepDir !== undefined ? join(keepDir, `${label}${lookahead ? '-lookahead' : ''}-seed${seed}`) : undefined;
  const c = cpuSeconds();
  const { summary } = await search({
    task: 'countdown', difficulty: 0, problems, problemSeed: seed, seed, model, budgets: lookahead ? lookaheadBudgets : budgets,
    maxTokens: demo.max_completion_length, temperature: demo.temperature, bins: 3, out,
    ...(lookahead ? { strategies: [LOOKAHEAD] } : { strategies: STRATEGIES, revisionContext: 2 }),
  });
  if (out !== undefined) await writeSearchReport(out, { pngDir: out });
  console.error(`bench:ttc: ${label}${lookahead ? ' lookahead' : ''} seed ${seed}: pass@1 ${summary.pass1.toFixed(3)}, ${summary.seconds.toFixed(0)} s, ${(cpuSeconds() - c).toFixed(0)} CPU-s`);
  return summary;
}

/** The main search with the lookahead search's strategy appended (its points at the lookahead budgets only). */
async function runBoth(model: string, seed: number, label: string): Promise<SearchSummary> {
  const main = await run(model, seed, label);
  if (lookaheadBudgets.length === 0) return main;
  return joinSearches(main, await run(model, seed, label, true));
}

const accAt = (s: SearchSummary, name: string, budget: number) => pointAt(s, name, budget)!.accuracy;
const optAt = (s: SearchSummary, budget: number) => s.optimal.find((p) => p.budget === budget)!.accuracy;

const trained = await trainedModel();
const rows: { seed: number; base: SearchSummary; trained: SearchSummary }[] = [];
for (const seed of seeds) rows.push({ seed, base: await runBoth(BASE, seed, 'base'), trained: await runBoth(trained.dir, seed, 'trained') });
const seconds = (performance.now() - t0) / 1000;
const totalCpu = cpuSeconds() - cpu0;

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const series = (pick: (r: (typeof rows)[number]) => SearchSummary, name: string) => meanSeries(rows.map(pick), name, budgets);

const basePass1 = mean(rows.map((r) => r.base.pass1));
const trainedPass1 = mean(rows.map((r) => r.trained.pass1));
const deployable = rows[0].base.strategies.filter((s) => !s.oracle).map((s) => s.name);
// Budgets in samples as each strategy spends them (lookahead's N beams cost N·(k+1): StrategySummary.cost).
const costOf = (name: string) => rows[0].base.strategies.find((s) => s.name === name)!.cost;
const inSamples = (name: string) => series((r) => r.base, name).map((p) => ({ ...p, budget: p.budget * costOf(name) }));
const baseSeries = [...deployable.map(inSamples), series((r) => r.base, 'optimal')];
const budgetToMatchTrained = budgetToMatch(baseSeries, trainedPass1);
// The same without the Monte Carlo PRM, whose rollouts consult the verifier: scorers that never see the answer.
const blind = deployable.filter((n) => !/@mc\d*$/.test(n)).map(inSamples);
const budgetToMatchBlind = budgetToMatch(blind, trainedPass1);
const at16 = budgets.includes(16) ? 16 : budgets[budgets.length - 1];
const optimalVsBon = mean(rows.map((r) => optAt(r.base, at16) - accAt(r.base, 'best-of-n@likelihood', at16)));

const pct = (x: number) => `${(x * 100).toFixed(1)}`;
console.log(`Countdown level 0, ${problems} held-out problems × ${seeds.length} seeds (${seeds.join(',')}), budgets ${budgets.join(',')} samples (${LOOKAHEAD} at ${lookaheadBudgets.join(',') || 'none'}); trained model: ${trained.dir}${trained.cached ? ' (cached)' : ` (trained in ${trained.seconds.toFixed(0)} s)`}`);
for (const [label, pick] of [['base', (r: (typeof rows)[number]) => r.base], ['trained', (r: (typeof rows)[number]) => r.trained]] as const) {
  console.log(`\n${label} model: pass@1 ${pct(mean(rows.map((r) => pick(r).pass1)))}%; accuracy (%) by budget, mean over seeds`);
  console.log(`| strategy | ${budgets.join(' | ')} | tokens at ${budgets[budgets.length - 1]} |`);
  console.log(`| --- | ${budgets.map(() => '---').join(' | ')} | --- |`);
  for (const st of rows[0].base.strategies) {
    const s = series(pick, st.name);
    const cells = budgets.map((b) => s.find((p) => p.budget === b)).map((p) => (p ? pct(p.accuracy) : '–'));
    const last = s.find((p) => p.budget === budgets[budgets.length - 1]);
    const tok = last ? last.tokens.toFixed(0) : '–';
    console.log(`| ${st.name}${st.oracle ? ' (oracle)' : ''} | ${cells.join(' | ')} | ${tok} |`);
  }
  console.log(`| compute-optimal | ${series(pick, 'optimal').map((p) => pct(p.accuracy)).join(' | ')} | |`);
  console.log(`\n${label} model: completion tokens per problem by budget (+ the PRM's rollout tokens), mean over seeds`);
  console.log(`| strategy | ${budgets.join(' | ')} |`);
  console.log(`| --- | ${budgets.map(() => '---').join(' | ')} |`);
  for (const st of rows[0].base.strategies) {
    const s = series(pick, st.name);
    const cells = budgets.map((b) => {
      const p = s.find((x) => x.budget === b);
      return p ? `${p.tokens.toFixed(0)}${p.scorer_tokens > 0 ? ` (+${p.scorer_tokens.toFixed(0)})` : ''}` : '–';
    });
    console.log(`| ${st.name} | ${cells.join(' | ')} |`);
  }
}
// A mean over seeds of accuracies is a share of problems × seeds draws: its standard error.
const draws = problems * seeds.length;
console.log(`\nstandard error of an accuracy above: ${pct(Math.sqrt(0.25 / draws))} points at 50%, ${pct(Math.sqrt(0.09 / draws))} at 10% or 90% (${draws} problem draws)`);
const summary = {
  base_pass1: Number(basePass1.toFixed(4)),
  trained_pass1: Number(trainedPass1.toFixed(4)),
  budget_to_match: budgetToMatchTrained,
  optimal_vs_bon_at_16: Number(optimalVsBon.toFixed(4)),
  budget_to_match_without_prm: budgetToMatchBlind,
  seconds: Number(seconds.toFixed(1)),
  cpu_seconds: Number(totalCpu.toFixed(1)),
  training_seconds: Number(trained.seconds.toFixed(1)),
  training_cpu_seconds: Number(trained.cpuSeconds.toFixed(1)),
  lookahead_budgets: lookaheadBudgets,
  seeds,
  problems,
};
if (json) console.log(JSON.stringify(summary));
