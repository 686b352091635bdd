// `aha search`: test-time compute strategies (majority, best-of-N, weighted best-of-N, beam,
// lookahead, revisions) across generation budgets on a task's problems, difficulty bins and the
// compute-optimal rule, with a local model folder or an OpenAI-compatible server (completions
// API). This file parses and checks the flags; the run is the library's search()
// (src/eval/search/run.ts); the charts come from src/report/search-report.ts.
import { Option, type Command } from 'commander';
import { basename, join } from 'node:path';
import { flagName, optionalNumberFlag, parseNumber } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { nextFreeRunDir } from '../../util/run-dir.js';
import { search, STRATEGY_NAMES, type SearchOptions, type SearchSummary } from '../../eval/search/run.js';

type Flags = Record<string, string | boolean | undefined>;

const str = (flags: Flags, key: string): string | undefined => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);

/** The flag each option of search() comes from, so its errors name what the user typed. */
const FLAG_OF: Record<string, string> = { strategies: '--strategy', budgets: '--budget', unit: '--budget-unit', lookahead: '--lookahead-steps' };

function list(flags: Flags, key: string): string[] | undefined {
  const v = str(flags, key);
  if (v === undefined) return undefined;
  const items = v.split(',').map((x) => x.trim());
  if (items.some((x) => x === '')) throw new AhaError(`${flagName(key)}: empty item in "${v}" (separate items with commas)`);
  return items;
}

function table(s: SearchSummary): string {
  const lines = [`${s.task}: ${s.problems} problems, ${s.model}, pass@1 ${(s.pass1 * 100).toFixed(1)}%, budgets in ${s.unit}`];
  const w = Math.max(16, ...s.strategies.map((x) => x.name.length + 9));
  lines.push(`${'strategy'.padEnd(w)}${s.budgets.map((b) => String(b).padStart(9)).join('')}`);
  for (const st of s.strategies) lines.push(`${(st.name + (st.oracle ? ' (oracle)' : '')).padEnd(w)}${st.points.map((p) => `${(p.accuracy * 100).toFixed(1)}%`.padStart(9)).join('')}`);
  lines.push(`${'compute-optimal'.padEnd(w)}${s.optimal.map((p) => `${(p.accuracy * 100).toFixed(1)}%`.padStart(9)).join('')}`);
  return lines.join('\n') + '\n';
}

async function action(flags: Flags): Promise<void> {
  const model = str(flags, 'model');
  const endpoint = str(flags, 'endpoint');
  if (!model) throw new AhaError(endpoint ? '--model NAME is required with --endpoint (the model name the server serves)' : 'pass --model DIR (an aha/Hugging Face model folder) or --endpoint URL --model NAME');
  const task = str(flags, 'task') ?? 'countdown';
  const n = (key: string, rule: Parameters<typeof optionalNumberFlag>[2]) => optionalNumberFlag(flags, key, rule);
  const budgets = list(flags, 'budget')?.map((b) => parseNumber('--budget', b, { min: 1, integer: true }));
  const difficulty = list(flags, 'difficulty')?.map((d) => parseNumber('--difficulty', d, { min: 0, integer: true }));
  const o: SearchOptions = {
    task,
    difficulty: difficulty && (difficulty.length === 1 ? difficulty[0] : difficulty),
    problems: n('problems', { min: 1, integer: true }),
    split: str(flags, 'split') as SearchOptions['split'],
    problemSeed: n('problemSeed', { min: 0, integer: true }),
    model,
    adapter: str(flags, 'adapter'),
    endpoint,
    apiKey: str(flags, 'apiKey'),
    strategies: list(flags, 'strategy'),
    budgets,
    unit: str(flags, 'budgetUnit') as SearchOptions['unit'],
    scorer: str(flags, 'scorer'),
    expansions: n('expansions', { min: 1, integer: true }),
    maxRounds: n('maxRounds', { min: 1, integer: true }),
    lookahead: n('lookaheadSteps', { min: 1, integer: true }),
    beamWidth: n('beamWidth', { min: 1, integer: true }),
    chains: n('chains', { min: 1, integer: true }),
    revisionContext: n('revisionContext', { min: 0, integer: true }),
    mcRollouts: n('mcRollouts', { min: 1, integer: true }),
    poolSize: n('poolSize', { min: 1, integer: true }),
    bins: n('bins', { min: 1, integer: true }),
    binsFrom: str(flags, 'binsFrom') as SearchOptions['binsFrom'],
    temperature: n('temperature', { min: 0, max: 5 }),
    topP: n('topP', { min: Number.MIN_VALUE, max: 1 }),
    maxTokens: n('maxTokens', { min: 1, integer: true }),
    seed: n('seed', { min: 0, max: 2 ** 31 - 1, integer: true }),
    concurrency: n('concurrency', { min: 1, integer: true }),
    // The default folder is the next free one; a folder given with --out must not hold results.
    out: str(flags, 'out') ?? nextFreeRunDir(join('runs', `search-${task}-${basename(model.replace(/\/+$/, '')).replace(/[^A-Za-z0-9._-]+/g, '_') || 'model'}`)),
    quiet: flags.quiet === true,
  };
  for (const k of Object.keys(o) as (keyof SearchOptions)[]) if (o[k] === undefined) delete o[k];
  // search() checks every option before any work; its errors name the option, the user typed a flag.
  let summary: SearchSummary;
  try {
    ({ summary } = await search(o));
  } catch (err) {
    if (err instanceof AhaError && err.message.startsWith('search: ')) throw new AhaError(err.message.replace(/^search: (\w+)/, (_, k: string) => FLAG_OF[k] ?? flagName(k)));
    throw err;
  }
  const { writeSearchReport } = await import('../../report/search-report.js');
  const report = await writeSearchReport(o.out!, flags.png ? { pngDir: o.out } : {});
  process.stderr.write(`results in ${o.out} (results.jsonl, summary.json), report ${report.html}${report.pngs.length ? `, ${report.pngs.length} PNG charts` : ''}\n`);
  if (flags.json) {
    process.stderr.write(table(summary));
    process.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    process.stdout.write(table(summary));
  }
}

export function register(program: Command): void {
  program
    .command('search')
    .description(
      'Test-time compute (Snell et al. 2024): majority vote, best-of-N, verifier-weighted best-of-N, beam search and lookahead over step scores, and sequential revisions, ' +
        'across generation budgets on a task\'s problems; difficulty bins and the compute-optimal rule per bin (2-fold cross-validated). Writes results.jsonl, summary.json and report.html to --out.',
    )
    .option('--model <dir|name>', 'model folder (local), or with --endpoint the served model name')
    .option('--adapter <dir>', 'local model only: a LoRA adapter folder applied to --model')
    .option('--endpoint <url>', 'OpenAI-compatible server (its /v1/completions: partial answers are continued as raw text)')
    .option('--api-key <key>', 'bearer token for the server (default $OPENAI_API_KEY)')
    .option('--task <name>', 'task whose problems and verifier are used (default countdown; arithmetic, or a defineTask task)')
    .option('--difficulty <n[,n…]>', "the task's difficulty level(s) (default its easiest)")
    .option('--problems <n>', 'problems drawn (default 50)')
    .addOption(new Option('--split <name>', 'which split the problems come from (default heldout)').choices(['train', 'heldout']))
    .option('--problem-seed <n>', 'seed of the problem draw (default 0)')
    .option('--strategy <list>', `strategies, comma-separated, each NAME or NAME@SCORER: ${STRATEGY_NAMES.join(', ')} (default all)`)
    .option('--budget <list>', 'budgets per problem, ascending, comma-separated (default 1,2,4,8,16)')
    .addOption(new Option('--budget-unit <unit>', 'what a budget counts (default samples)').choices(['samples', 'tokens']))
    .option('--scorer <spec>', 'default scorer: verifier (oracle: knows the answer), mc or mcN (Monte Carlo PRM: share of N rollouts from a step that reach the answer), likelihood (the local policy\'s mean token probability), rm:PATH (a reward model folder) (default verifier)')
    .option('--expansions <m>', 'beam search: M, expansions per kept beam; N/M beams are kept (default 4)')
    .option('--max-rounds <n>', 'beam search rounds (default 40)')
    .option('--lookahead-steps <k>', 'lookahead: greedy steps rolled out before a candidate is scored (default 1)')
    .option('--beam-width <n>', 'beams when --budget-unit tokens (default 4)')
    .option('--chains <n>', 'revisions: parallel chains sharing the budget (default 1: sequential)')
    .option('--revision-context <n>', 'revisions: earlier answers shown (default 4)')
    .option('--mc-rollouts <n>', 'rollouts per step for the mc scorer (default 4)')
    .option('--pool-size <n>', 'samples drawn per problem when --budget-unit tokens (default 64)')
    .option('--bins <n>', 'difficulty bins (quantiles; default 5)')
    .addOption(new Option('--bins-from <source>', 'oracle: pass rate over the samples; predicted: mean --scorer score over them (default oracle)').choices(['oracle', 'predicted']))
    .option('--temperature <t>', 'sampling temperature (default 1)')
    .option('--top-p <p>', 'nucleus sampling (default 1)')
    .option('--max-tokens <n>', 'tokens of one whole completion (default 512)')
    .option('--seed <n>', 'seed of the samples (default 0)')
    .option('--concurrency <n>', 'problems searched at once; a local model decodes their requests as one batch (default 8)')
    .option('--out <dir>', 'output folder (default runs/search-<task>-<model>)')
    .option('--png', 'also write the charts as PNG files into --out')
    .option('--json', 'print the table on stderr and the summary as one JSON line on stdout')
    .option('--quiet', 'no progress bar')
    .addHelpText('after', '\nExamples:\n  aha search --model models/aha-tiny-countdown --problems 40 --strategy majority,best-of-n@verifier,weighted-best-of-n@likelihood,beam@mc4 --budget 1,2,4,8 --max-tokens 360 --png\n  aha search --endpoint http://127.0.0.1:8000/v1 --model qwen --task arithmetic --strategy majority,best-of-n@verifier --budget 1,4,16')
    .action((flags: Flags) => action(flags));
}
