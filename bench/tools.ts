// `npm run bench:tools`: the tool-use miniature (configs/r1-zero-world.yaml: GRPO on the bundled
// world base model with the search tool) against the same training without the tool, timed from
// loading the model to the last held-out evaluation of both runs. Reports held-out accuracy before
// and after, the no-tool run's accuracy after, and search calls per held-out answer before and after.
// Flags: --seed N[,N...] (default: the config's), --steps N, --model DIR (another base model),
//        --eval-problems N, --keep (keep the run folders), --json (last line machine-readable).
// Several seeds run one after another; the JSON line then holds their means and each run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { demoConfig, DEMO_CONFIG_FILES } from '../src/rl/demo.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { TOOL_DEFAULTS } from '../src/tools/options.js';
import { readJsonl } from '../src/util/jsonl.js';
import { benchArgs } from './lib/args.js';

const args = benchArgs('bench:tools', ['--seed', '--steps', '--eval-problems', '--model'], ['--json', '--keep']);
const json = args.has('--json');
const keep = args.has('--keep');
const demo = demoConfig(DEMO_CONFIG_FILES.world);
const seeds = args.integers('--seed', [demo.seed]);
const steps = args.int('--steps', demo.max_steps);
const evalProblems = args.int('--eval-problems', demo.eval_problems);
const model = args.value('--model') !== undefined ? resolve(args.value('--model')!) : demo.model;
for (const [name, v] of [['--seed', seeds], ['--steps', [steps]], ['--eval-problems', [evalProblems]]] as const) {
  if (v.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`${name}: expected non-negative integers`);
}

interface Outcome {
  seed: number;
  acc_before: number;
  acc_after: number;
  acc_no_tool_after: number;
  tool_calls_before: number;
  tool_calls_after: number;
  tool_use_before: number;
  tool_use_after: number;
  seconds: number;
}

/** The held-out evaluations of a run folder, first and last. */
function evals(dir: string): [Record<string, number>, Record<string, number>] {
  const rows = readJsonl(join(dir, 'eval.jsonl')).map((r) => r.value as Record<string, number>);
  const [first, last] = [rows[0], rows[rows.length - 1]];
  if (!first || first.step !== 0 || last.step !== steps) throw new Error(`${dir}: expected held-out evaluations at steps 0 and ${steps}`);
  return [first, last];
}

async function train(dir: string, seed: number, tools: string[]): Promise<void> {
  // Without the tool, its settings go too (set with no tools they are refused).
  const toolOptions = tools.length > 0 ? { tools } : TOOL_DEFAULTS;
  const run = prepareGrpo({ ...demo, model, seed, ...toolOptions, max_steps: steps, eval_problems: evalProblems, eval_steps: 0, output_dir: dir, save_steps: 0 }, { quiet: true });
  await runGrpo(run);
}

async function runOnce(seed: number, scratch: string): Promise<Outcome> {
  const t0 = performance.now();
  const withTool = join(scratch, `seed${seed}-search`);
  const without = join(scratch, `seed${seed}-no-tool`);
  await train(withTool, seed, demo.tools);
  await train(without, seed, []);
  const seconds = (performance.now() - t0) / 1000;
  const [first, last] = evals(withTool);
  const [, noTool] = evals(without);
  return {
    seed,
    acc_before: first.accuracy, acc_after: last.accuracy, acc_no_tool_after: noTool.accuracy,
    tool_calls_before: first['tools/calls_per_completion'], tool_calls_after: last['tools/calls_per_completion'],
    tool_use_before: first['tools/use_rate'], tool_use_after: last['tools/use_rate'],
    seconds,
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'aha-bench-tools-'));
const outcomes: Outcome[] = [];
try {
  console.error(`bench:tools: ${DEMO_CONFIG_FILES.world}, ${steps} steps, seeds ${seeds.join(',')}, ${evalProblems} held-out problems, model ${model}`);
  for (const seed of seeds) outcomes.push(await runOnce(seed, scratch));
} finally {
  if (keep) console.error(`run folders kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

const f = (x: number, d = 3) => x.toFixed(d);
console.log('| seed | accuracy before → after (search) | after without the tool | search calls per answer before → after | answers using search before → after | seconds |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const o of outcomes) {
  console.log(`| ${o.seed} | ${f(o.acc_before)} → ${f(o.acc_after)} | ${f(o.acc_no_tool_after)} | ${f(o.tool_calls_before)} → ${f(o.tool_calls_after)} | ${f(o.tool_use_before)} → ${f(o.tool_use_after)} | ${f(o.seconds, 0)} |`);
}
const keys = ['acc_before', 'acc_after', 'acc_no_tool_after', 'tool_calls_before', 'tool_calls_after', 'tool_use_before', 'tool_use_after', 'seconds'] as const;
const summary: Record<string, unknown> = {};
for (const k of keys) summary[k] = Number((outcomes.reduce((s, o) => s + o[k], 0) / outcomes.length).toFixed(4));
if (outcomes.length > 1) summary.runs = outcomes;
if (json) console.log(JSON.stringify(summary));
