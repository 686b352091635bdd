// `npm run bench:ttc`: the test-time compute experiment of Snell et al. (2024) in miniature, set
// against the R1-Zero thesis that one long trained chain of thought displaces the scaffolding.
// On Countdown level 0 (the R1-Zero demo's task) it measures
//   - the bundled base model with scaffolding across budgets (majority, best-of-N and weighted
//     best-of-N with the policy's own likelihood as verifier, beam search over the Monte Carlo PRM,
//     revisions, and best-of-N with the verifier as the oracle upper bound);
//   - the GRPO-trained model with one sample (pass@1 over the same samples);
//   - the trained model with the same scaffolding.
// The GRPO model is trained once with the demo's settings (configs/r1-zero-countdown.yaml) and
// cached; the seeds vary the problem draw and the samples. Last line with --json:
//   base_pass1, trained_pass1, budget_to_match (samples per problem for the base model to reach the
//   trained pass@1 with its best non-oracle strategy, or the compute-optimal rule; null if none
//   does within the budgets), optimal_vs_bon_at_16 (compute-optimal minus best-of-N accuracy at
//   16 samples, base model, best-of-N by the likelihood scorer), seconds (searches and training),
//   and budget_to_match_without_prm (the same match by strategies whose scorer never consults
//   the verifier: majority and likelihood).
// Flags: --seed N[,N...] (default 0,1,2), --problems N (default 30), --budgets LIST (default
//   1,2,4,8,16), --steps N (GRPO steps, default the demo's 100), --trained DIR (use this trained
//   model folder; default: train once, cached in $TMPDIR/aha-bench-ttc/), --retrain, --out DIR
//   (keep each search's folder and report there), --json.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig } from '../src/rl/demo.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { search, type SearchSummary } from '../src/eval/search/run.js';
import { budgetToMatch } from '../src/eval/search/compute-optimal.js';
import { writeSearchReport } from '../src/report/search-report.js';
import { benchArgs } from './lib/args.js';

const cli = benchArgs('bench:ttc', ['--seed', '--problems', '--budgets', '--steps', '--out', '--trained'], ['--json', '--retrain']);
const flag = cli.value;
const numbers = cli.ints;
const json = cli.has('--json');
const seeds = numbers('--seed', [0, 1, 2]);
const problems = numbers('--problems', [30])[0];
const budgets = numbers('--budgets', [1, 2, 4, 8, 16]);
const demo = demoConfig();
const steps = numbers('--steps', [demo.max_steps])[0];
const keepDir = flag('--out');

const BASE = 'models/aha-tiny-countdown';
// The scaffolding: the likelihood scorer is the one verifier here that does not know the answer;
// the Monte Carlo PRM (2 rollouts per step) stands for a PRM trained on such rollouts; best-of-N
// by the verifier is the oracle upper bound (left out of the compute-optimal rule).
const STRATEGIES = ['majority', 'best-of-n@likelihood', 'weighted-best-of-n@likelihood', 'beam@mc2', 'revisions@likelihood', 'best-of-n@verifier'];

const t0 = performance.now();

/** The newest checkpoint of a finished GRPO run. */
function lastCheckpoint(runDir: string): string | null {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return null;
  const found = readdirSync(dir).filter((d) => /^step-\d+$/.test(d)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return found.length && Number(found[found.length - 1].slice(5)) === steps ? join(dir, found[found.length - 1]) : null;
}

async function trainedModel(): Promise<{ dir: string; seconds: number; cached: boolean }> {
  const given = flag('--trained');
  if (given !== undefined) return { dir: given, seconds: 0, cached: true };
  const runDir = join(tmpdir(), 'aha-bench-ttc', `grpo-seed${demo.seed}-steps${steps}`);
  if (cli.has('--retrain')) rmSync(runDir, { recursive: true, force: true });
  const done = lastCheckpoint(runDir);
  if (done) return { dir: done, seconds: 0, cached: true };
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(join(runDir, '..'), { recursive: true });
  const t = performance.now();
  console.error(`bench:ttc: training the GRPO model (${steps} steps, demo settings) into ${runDir}`);
  await runGrpo(prepareGrpo({ ...demo, max_steps: steps, output_dir: runDir, save_steps: 0, eval_steps: 0 }, {}));
  const dir = lastCheckpoint(runDir);
  if (!dir) throw new Error(`${runDir}: the GRPO run left no checkpoint of step ${steps}`);
  return { dir, seconds: (performance.now() - t) / 1000, cached: false };
}

async function run(model: string, seed: number, label: string): Promise<SearchSummary> {
  const out = keepDir !== undefined ? join(keepDir, `${label}-seed${seed}`) : undefined;
  const { summary } = await search({
    task: 'countdown', difficulty: 0, problems, problemSeed: seed, seed, model, strategies: STRATEGIES, budgets,
    maxTokens: demo.max_completion_length, temperature: demo.temperature, bins: 3, revisionContext: 2, out,
  });
  if (out !== undefined) await writeSearchReport(out, { pngDir: out });
  console.error(`bench:ttc: ${label} seed ${seed}: pass@1 ${summary.pass1.toFixed(3)}, ${summary.seconds.toFixed(0)} s`);
  return summary;
}

const accAt = (s: SearchSummary, name: string, budget: number) => s.strategies.find((x) => x.name === name)!.points.find((p) => p.budget === budget)!.accuracy;
const optAt = (s: SearchSummary, budget: number) => s.optimal.find((p) => p.budget === budget)!.accuracy;

const trained = await trainedModel();
const rows: { seed: number; base: SearchSummary; trained: SearchSummary }[] = [];
for (const seed of seeds) rows.push({ seed, base: await run(BASE, seed, 'base'), trained: await run(trained.dir, seed, 'trained') });
const seconds = (performance.now() - t0) / 1000;

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
/** Mean accuracy over seeds of one series (a strategy, or "optimal"). */
const meanSeries = (pick: (r: (typeof rows)[number]) => SearchSummary, name: string) =>
  budgets.map((budget) => ({ budget, accuracy: mean(rows.map((r) => (name === 'optimal' ? optAt(pick(r), budget) : accAt(pick(r), name, budget)))) }));

const basePass1 = mean(rows.map((r) => r.base.pass1));
const trainedPass1 = mean(rows.map((r) => r.trained.pass1));
const deployable = rows[0].base.strategies.filter((s) => !s.oracle).map((s) => s.name);
const baseSeries = [...deployable.map((n) => meanSeries((r) => r.base, n)), meanSeries((r) => r.base, 'optimal')];
const budgetToMatchTrained = budgetToMatch(baseSeries, trainedPass1);
// The same without the Monte Carlo PRM, whose rollouts consult the verifier: scorers that never see the answer.
const blind = deployable.filter((n) => !/@mc\d*$/.test(n)).map((n) => meanSeries((r) => r.base, n));
const budgetToMatchBlind = budgetToMatch(blind, trainedPass1);
const at16 = budgets.includes(16) ? 16 : budgets[budgets.length - 1];
const optimalVsBon = mean(rows.map((r) => optAt(r.base, at16) - accAt(r.base, 'best-of-n@likelihood', at16)));

const pct = (x: number) => `${(x * 100).toFixed(1)}`;
console.log(`Countdown level 0, ${problems} held-out problems × ${seeds.length} seeds (${seeds.join(',')}), budgets ${budgets.join(',')} samples; trained model: ${trained.dir}${trained.cached ? ' (cached)' : ` (trained in ${trained.seconds.toFixed(0)} s)`}`);
for (const [label, pick] of [['base', (r: (typeof rows)[number]) => r.base], ['trained', (r: (typeof rows)[number]) => r.trained]] as const) {
  console.log(`\n${label} model: pass@1 ${pct(mean(rows.map((r) => pick(r).pass1)))}%; accuracy (%) by budget, mean over seeds`);
  console.log(`| strategy | ${budgets.join(' | ')} | tokens at ${budgets[budgets.length - 1]} |`);
  console.log(`| --- | ${budgets.map(() => '---').join(' | ')} | --- |`);
  for (const st of rows[0].base.strategies) {
    const s = meanSeries(pick, st.name);
    const tok = mean(rows.map((r) => pick(r).strategies.find((x) => x.name === st.name)!.points[budgets.length - 1].tokens));
    console.log(`| ${st.name}${st.oracle ? ' (oracle)' : ''} | ${s.map((p) => pct(p.accuracy)).join(' | ')} | ${tok.toFixed(0)} |`);
  }
  console.log(`| compute-optimal | ${meanSeries(pick, 'optimal').map((p) => pct(p.accuracy)).join(' | ')} | |`);
}
const summary = {
  base_pass1: Number(basePass1.toFixed(4)),
  trained_pass1: Number(trainedPass1.toFixed(4)),
  budget_to_match: budgetToMatchTrained,
  optimal_vs_bon_at_16: Number(optimalVsBon.toFixed(4)),
  budget_to_match_without_prm: budgetToMatchBlind,
  seconds: Number(seconds.toFixed(1)),
  training_seconds: Number(trained.seconds.toFixed(1)),
  seeds,
  problems,
};
if (json) console.log(JSON.stringify(summary));
