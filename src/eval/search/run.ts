// search(): the test-time compute experiment as one library call (what `aha search` runs). It
// checks every option, draws the task's problems, opens the policy (a local model folder or an
// OpenAI-compatible server, completions API), runs each strategy across the budgets, bins the
// problems by difficulty, fits the compute-optimal rule by 2-fold cross-validation, and writes
// results.jsonl (one line per problem, strategy and budget) and summary.json into `out`.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError } from '../../util/errors.js';
import { writeJsonl } from '../../util/jsonl.js';
import { atomicWriteFile } from '../../util/atomic.js';
import { progress } from '../../util/progress.js';
import { getTask } from '../../tasks/registry.js';
import type { Split } from '../../tasks/task.js';
import type { Generator, SamplingOptions } from '../generator.js';
import { openGenerator } from '../open-generator.js';
import type { LocalGenerator } from '../local.js';
import type { LoadedModel } from '../../model/model-folder.js';
import { computeOptimal, foldOf, quantileBins, budgetToMatch, type OptimalPoint } from './compute-optimal.js';
import { searchProblems, taskJudge, type Judge, type SearchProblem } from './problem.js';
import { Policy, type ContextLimit } from './policy.js';
import { monteCarloScorer, verifierScorer, type OutcomeScorer, type StepScorer } from './scorers.js';
import { rewardModelScorer, type RewardModelLike } from './reward-model-scorer.js';
import { loadRewardModel } from '../../model/reward-model.js';
import { beamStrategy, parallelStrategy, revisionStrategy, SamplePool, type BudgetOutcome, type BudgetUnit, type SearchContext, type Strategy } from './strategies.js';

export const STRATEGY_NAMES = ['majority', 'best-of-n', 'weighted-best-of-n', 'beam', 'lookahead', 'revisions'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface SearchOptions {
  /** A registered task (countdown, arithmetic, or one from defineTask). */
  task: string;
  /** The task's difficulty level(s) (default: its easiest). */
  difficulty?: number | number[];
  /** Problems drawn (default 50). */
  problems?: number;
  split?: Split;
  /** Seed of the problem draw (default 0). */
  problemSeed?: number;
  /** A model folder, or with `endpoint` the served model name. */
  model: string;
  adapter?: string;
  endpoint?: string;
  apiKey?: string;
  /** Strategies, each "name" or "name@scorer" (default: every strategy). */
  strategies?: string[];
  /** Budgets per problem, ascending (default 1,2,4,8,16). */
  budgets?: number[];
  /** What a budget counts (default samples). */
  unit?: BudgetUnit;
  /** The default scorer: verifier | mc | mcN | likelihood | rm:PATH (default verifier). */
  scorer?: string;
  /** M, expansions per kept beam (default 4). */
  expansions?: number;
  /** Beam search rounds (default 40). */
  maxRounds?: number;
  /** Steps each lookahead rollout takes (default 1). */
  lookahead?: number;
  /** Beams when the budget is in tokens (default 4). */
  beamWidth?: number;
  /** Parallel revision chains (default 1: sequential). */
  chains?: number;
  /** Earlier answers a revision sees (default 4). */
  revisionContext?: number;
  /** Monte Carlo rollouts per step prefix for the `mc` scorer (default 4). */
  mcRollouts?: number;
  /** Samples per problem drawn when budgets are in tokens (default 64). */
  poolSize?: number;
  /** Quantile bins of difficulty (default 5). */
  bins?: number;
  /** oracle (pass rate over the samples) or predicted (mean default-scorer score over them); default oracle. */
  binsFrom?: 'oracle' | 'predicted';
  temperature?: number;
  topP?: number;
  /** Tokens of one whole completion (default 512). */
  maxTokens?: number;
  /** Seed of the samples (default 0). */
  seed?: number;
  /** Output folder for results.jsonl and summary.json (none: nothing is written). */
  out?: string;
  /** No progress bar (default true for the library). */
  quiet?: boolean;
  /** Opens a reward model folder for `rm:PATH` (default: src/model/reward-model.ts's loadRewardModel). */
  loadRewardModel?: (dir: string) => Promise<RewardModelLike>;
  /** Problems searched at once (default 8): a local model batches their requests together. */
  concurrency?: number;
  /** Use this generator instead of opening `model` (tests, custom backends). */
  generator?: Generator;
}

export interface StrategyPoint {
  budget: number;
  accuracy: number;
  /** Mean completion tokens generated per problem. */
  tokens: number;
  /** Mean tokens of the scorer's own rollouts per problem. */
  scorer_tokens: number;
  /** Accuracy per difficulty bin (bin 1 first). */
  by_bin: (number | null)[];
}

export interface StrategySummary {
  name: string;
  /** Selected by the verifier's reference answer: an upper bound, left out of the compute-optimal rule. */
  oracle: boolean;
  /**
   * Generations one unit of budget costs: 1, except lookahead with budgets in samples, whose N beams
   * each roll k steps further, N·(k+1) samples as Snell et al. count it. The compute-optimal rule
   * compares strategies at one budget, so it leaves out a strategy whose cost is not 1, and
   * `budgetToReach` counts its budget × cost.
   */
  cost: number;
  points: StrategyPoint[];
}

export interface SearchSummary {
  task: string;
  model: string;
  problems: number;
  unit: BudgetUnit;
  budgets: number[];
  /** Mean pass rate of single samples (pass@1 over the difficulty samples). */
  pass1: number;
  bins: { source: 'oracle' | 'predicted'; count: number; sizes: number[]; pass1: (number | null)[] };
  strategies: StrategySummary[];
  /** The compute-optimal rule: held-out accuracy per budget and the strategies it picked per bin (fold 0's rule, fold 1's). */
  optimal: { budget: number; accuracy: number; by_bin: (number | null)[]; picks: [string[], string[]] }[];
  seconds: number;
  settings: Record<string, unknown>;
}

export interface SearchResultRow {
  problem: string;
  bin: number;
  fold: number;
  strategy: string;
  budget: number;
  answer: string | null;
  correct: boolean;
  tokens: number;
  scorer_tokens: number;
  candidates: number;
}

export interface SearchResult {
  summary: SearchSummary;
  rows: SearchResultRow[];
}

const KNOWN = [
  'task', 'difficulty', 'problems', 'split', 'problemSeed', 'model', 'adapter', 'endpoint', 'apiKey', 'strategies', 'budgets', 'unit', 'scorer', 'expansions', 'maxRounds',
  'lookahead', 'beamWidth', 'chains', 'revisionContext', 'mcRollouts', 'poolSize', 'bins', 'binsFrom', 'temperature', 'topP', 'maxTokens', 'seed', 'out', 'quiet', 'concurrency', 'loadRewardModel', 'generator',
];

/** Integer options: [name, least, greatest]. */
const INTS: [keyof SearchOptions, number, number][] = [
  ['problems', 1, 100_000], ['problemSeed', 0, 2 ** 31 - 1], ['expansions', 1, 1024], ['maxRounds', 1, 10_000], ['lookahead', 1, 100], ['beamWidth', 1, 1024],
  ['chains', 1, 1024], ['revisionContext', 0, 64], ['mcRollouts', 1, 1024], ['poolSize', 1, 4096], ['bins', 1, 100], ['maxTokens', 1, 1_000_000], ['seed', 0, 2 ** 31 - 1], ['concurrency', 1, 4096],
];

function fail(field: string, msg: string): never {
  throw new AhaError(`search: ${field} ${msg}`);
}

/**
 * A strategy spec "name" or "name@scorer", checked. Without its own scorer a strategy takes the
 * default one, except that beam and lookahead, which need step scores, take the Monte Carlo PRM
 * (`mc`) when the default gives none (verifier, likelihood).
 */
export function parseStrategySpec(spec: string, defaultScorer: string): { name: StrategyName; scorer: string } {
  const [name, scorer, extra] = spec.split('@');
  if (extra !== undefined || !(STRATEGY_NAMES as readonly string[]).includes(name)) fail('strategies', `entry "${spec}" is not one of ${STRATEGY_NAMES.join(', ')} (optionally with @scorer)`);
  const stepped = name === 'beam' || name === 'lookahead';
  const s = scorer ?? (stepped && !givesSteps(defaultScorer) ? 'mc' : defaultScorer);
  checkScorerSpec(s, 'strategies', `entry "${spec}": `);
  if (stepped && !givesSteps(s)) fail('strategies', `entry "${spec}": beam search needs step scores, which ${s} does not give; use @mc or @rm:PATH (a reward model)`);
  return { name: name as StrategyName, scorer: s };
}

const givesSteps = (scorer: string) => /^mc\d*$/.test(scorer) || scorer.startsWith('rm:');

function checkScorerSpec(s: string, field: string, lead = ''): void {
  if (s === 'verifier' || s === 'likelihood' || /^mc\d*$/.test(s) || (s.startsWith('rm:') && s.length > 3)) return;
  fail(field, `${lead}"${s}" is not a scorer; use verifier, mc (or mcN: N rollouts), likelihood (local model) or rm:PATH`);
}

/** Checks every option before any work; returns the strategies parsed (each with its scorer). */
export function checkSearchOptions(o: SearchOptions): { name: StrategyName; scorer: string }[] {
  if (o === null || typeof o !== 'object') throw new AhaError('search: expected an options object { task, model }');
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) fail(k, `is not an option; known: ${KNOWN.join(', ')}`);
  if (typeof o.task !== 'string') fail('task', 'is required (countdown, arithmetic, …)');
  if (typeof o.model !== 'string' && o.generator === undefined) fail('model', 'is required: a model folder, or with endpoint the served model name');
  for (const [k, min, max] of INTS) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) fail(k, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  if (o.temperature !== undefined && !(typeof o.temperature === 'number' && o.temperature >= 0 && o.temperature <= 5)) fail('temperature', `must be a number from 0 to 5, got ${JSON.stringify(o.temperature)}`);
  if (o.topP !== undefined && !(typeof o.topP === 'number' && o.topP > 0 && o.topP <= 1)) fail('topP', `must be a number above 0 up to 1, got ${JSON.stringify(o.topP)}`);
  if (o.unit !== undefined && o.unit !== 'samples' && o.unit !== 'tokens') fail('unit', `must be samples or tokens, got ${JSON.stringify(o.unit)}`);
  if (o.binsFrom !== undefined && o.binsFrom !== 'oracle' && o.binsFrom !== 'predicted') fail('binsFrom', `must be oracle or predicted, got ${JSON.stringify(o.binsFrom)}`);
  if (o.split !== undefined && o.split !== 'train' && o.split !== 'heldout') fail('split', `must be train or heldout, got ${JSON.stringify(o.split)}`);
  const budgets = o.budgets ?? DEFAULT_BUDGETS;
  if (!Array.isArray(budgets) || budgets.length === 0) fail('budgets', 'must be a non-empty list of positive integers');
  budgets.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 1) fail('budgets', `must be positive integers, got ${JSON.stringify(b)}`);
    if (i > 0 && b <= budgets[i - 1]) fail('budgets', `must be strictly ascending, got ${budgets.join(',')}`);
  });
  if ((o.unit ?? 'samples') === 'samples' && budgets[budgets.length - 1] > 4096) fail('budgets', `in samples go up to 4096, got ${budgets[budgets.length - 1]}`);
  const scorer = o.scorer ?? 'verifier';
  checkScorerSpec(scorer, 'scorer');
  if (o.strategies !== undefined && (!Array.isArray(o.strategies) || o.strategies.length === 0)) fail('strategies', 'must be a non-empty list');
  const specs = (o.strategies ?? [...STRATEGY_NAMES]).map((s) => parseStrategySpec(s, scorer));
  const names = new Set<string>();
  for (const s of specs) {
    const key = `${s.name}@${s.scorer}`;
    if (names.has(key)) fail('strategies', `list ${key} twice`);
    names.add(key);
  }
  if (o.endpoint !== undefined && [scorer, ...specs.map((s) => s.scorer)].includes('likelihood')) fail('scorer', 'likelihood scores with a local model; it cannot be used with endpoint');
  for (const s of specs) if (/^mc0+$/.test(s.scorer)) fail('strategies', `entry with @${s.scorer}: the Monte Carlo scorer needs at least one rollout`);
  checkUnused(o, specs, scorer);
  return specs;
}

/** Options given that would change nothing in this run are refused (a setting the user believes in but never applied). */
function checkUnused(o: SearchOptions, specs: readonly { name: StrategyName; scorer: string }[], scorer: string): void {
  if (o.endpoint !== undefined && o.adapter !== undefined) fail('adapter', 'applies to a local model folder; a server loads adapters itself (vLLM: --enable-lora --lora-modules NAME=DIR, then model NAME)');
  if (o.endpoint === undefined && o.apiKey !== undefined) fail('apiKey', 'is the bearer token of a server: it needs endpoint');
  if (o.binsFrom === 'predicted' && scorer === 'verifier') {
    fail('binsFrom', 'predicted bins are the default scorer\'s mean score, and the verifier\'s is the oracle pass rate: choose a scorer (mc, likelihood, rm:PATH) or oracle bins');
  }
  const unit = o.unit ?? 'samples';
  if (unit === 'samples') {
    if (o.poolSize !== undefined) fail('poolSize', 'sets the samples drawn when budgets are in tokens; in samples the largest budget is the pool');
    if (o.beamWidth !== undefined) fail('beamWidth', 'sets the beams when budgets are in tokens; in samples the budget is the beam count');
  }
  const has = (...names: StrategyName[]) => specs.some((s) => names.includes(s.name));
  const usesMc = specs.some((s) => s.scorer === 'mc') || (o.binsFrom === 'predicted' && scorer === 'mc');
  if (o.mcRollouts !== undefined && !usesMc) fail('mcRollouts', 'sets the rollouts of the mc scorer, which no strategy here uses (mcN scorers give their own count)');
  const only = (field: keyof SearchOptions, what: string, ...names: StrategyName[]) => {
    if (o[field] !== undefined && !has(...names)) fail(field, `applies to ${what}, which is not among the strategies`);
  };
  only('expansions', 'beam and lookahead', 'beam', 'lookahead');
  only('maxRounds', 'beam and lookahead', 'beam', 'lookahead');
  only('beamWidth', 'beam and lookahead', 'beam', 'lookahead');
  only('lookahead', 'lookahead', 'lookahead');
  only('chains', 'revisions', 'revisions');
  only('revisionContext', 'revisions', 'revisions');
}

export const DEFAULT_BUDGETS = [1, 2, 4, 8, 16];

interface Scorers {
  outcome(spec: string): Promise<OutcomeScorer>;
  step(spec: string): Promise<StepScorer>;
}

function scorerFactory(ctx: SearchContext, o: SearchOptions, local: LoadedModel | undefined): Scorers {
  const cache = new Map<string, Promise<OutcomeScorer & Partial<StepScorer>>>();
  const make = (spec: string): Promise<OutcomeScorer & Partial<StepScorer>> => {
    let s = cache.get(spec);
    if (!s) {
      s = (async () => {
        if (spec === 'verifier') return verifierScorer(ctx.judge);
        if (spec.startsWith('mc')) return monteCarloScorer(ctx.policy, ctx.judge, { rollouts: spec === 'mc' ? (o.mcRollouts ?? 4) : Number(spec.slice(2)) });
        if (spec === 'likelihood') {
          const { likelihoodScorer } = await import('./likelihood-scorer.js');
          if (local) return likelihoodScorer(local);
          // A generator handed in is not ours to look inside: the scorer loads the model itself.
          const { loadModelOrAdapter } = await import('../../model/adapter.js');
          return likelihoodScorer(loadModelOrAdapter(o.model, o.adapter));
        }
        const rm = await (o.loadRewardModel ?? loadRewardModel)(spec.slice(3));
        return rewardModelScorer(rm, ctx.judge.stepSeparator, spec);
      })();
      cache.set(spec, s);
    }
    return s;
  };
  return {
    outcome: make,
    async step(spec) {
      const s = await make(spec);
      if (typeof s.scoreSteps !== 'function') throw new AhaError(`search: scorer ${spec} gives no step scores`);
      return s as StepScorer;
    },
  };
}

/**
 * The policy's context limit (a local model: its config's max_position_embeddings, counted with
 * the tokenizer it decodes with, the prompt with its special tokens as the completions API sends it).
 */
function contextOf(loaded: LoadedModel): ContextLimit {
  const tok = loaded.tokenizer;
  return { contextTokens: loaded.model.config.max_position_embeddings, countTokens: (text) => tok.encode(text, { addSpecialTokens: true }).length };
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/** Runs the search experiment; see SearchOptions. */
export async function search(o: SearchOptions): Promise<SearchResult> {
  const specs = checkSearchOptions(o);
  // Results are never overwritten: another search's folder is refused before any work.
  if (o.out !== undefined && ['summary.json', 'results.jsonl'].some((f) => existsSync(join(o.out!, f)))) {
    fail('out', `${o.out} already holds search results; choose another folder`);
  }
  const t0 = performance.now();
  const task = getTask(o.task);
  const budgets = o.budgets ?? DEFAULT_BUDGETS;
  const unit = o.unit ?? 'samples';
  const defaultScorer = o.scorer ?? 'verifier';
  const taskProblems = task.generate({ split: o.split ?? 'heldout', count: o.problems ?? 50, seed: o.problemSeed ?? 0, difficulty: o.difficulty ?? task.difficulties[0] });
  const problems = searchProblems(taskProblems);
  const judge: Judge = taskJudge(task, taskProblems);
  const sampling: SamplingOptions = { temperature: o.temperature ?? 1, topP: o.topP ?? 1, maxTokens: o.maxTokens ?? 512 };
  const generator = o.generator ?? (await openGenerator({ model: o.model, adapter: o.adapter, endpoint: o.endpoint, api: 'completions', apiKey: o.apiKey }));
  if (o.out !== undefined) mkdirSync(o.out, { recursive: true });
  try {
    // The model search opened itself (no endpoint, no generator handed in) is a LocalGenerator.
    const local = o.endpoint === undefined && o.generator === undefined ? (generator as LocalGenerator).loaded : undefined;
    const policy = new Policy(generator, sampling, o.seed ?? 0, local ? contextOf(local) : undefined);
    const ctx: SearchContext = { policy, judge };
    const scorers = scorerFactory(ctx, o, local);
    const poolSize = unit === 'samples' ? budgets[budgets.length - 1] : (o.poolSize ?? 64);
    const pool = new SamplePool(ctx, poolSize);
    const strategies: { strategy: Strategy; oracle: boolean; cost: number }[] = [];
    for (const s of specs) {
      let strategy: Strategy;
      if (s.name === 'majority') strategy = parallelStrategy('majority', pool, null);
      else if (s.name === 'best-of-n' || s.name === 'weighted-best-of-n') strategy = parallelStrategy(s.name, pool, await scorers.outcome(s.scorer));
      else if (s.name === 'revisions') strategy = revisionStrategy(ctx, await scorers.outcome(s.scorer), { chains: o.chains ?? 1, context: o.revisionContext ?? 4, tokenBudgetLength: o.poolSize ?? 64 });
      else {
        strategy = beamStrategy(ctx, await scorers.step(s.scorer), {
          expansions: o.expansions ?? 4, maxRounds: o.maxRounds ?? 40, tokenBudgetWidth: o.beamWidth ?? 4, lookahead: s.name === 'lookahead' ? (o.lookahead ?? 1) : 0,
        });
      }
      // The verifier picks by the reference answer (majority and the Monte Carlo PRM do not see it directly).
      const cost = s.name === 'lookahead' && unit === 'samples' ? (o.lookahead ?? 1) + 1 : 1;
      strategies.push({ strategy, oracle: s.scorer === 'verifier' && s.name !== 'majority', cost });
    }
    const binScorer = o.binsFrom === 'predicted' ? await scorers.outcome(defaultScorer) : null;

    const bar = progress({ label: 'search', total: problems.length, silent: o.quiet ?? true });
    const outcomes: BudgetOutcome[][][] = strategies.map(() => new Array<BudgetOutcome[]>(problems.length));
    const difficulty = new Array<number>(problems.length);
    const passRates = new Array<number>(problems.length);
    const one = async (problem: SearchProblem, pi: number): Promise<void> => {
      const samples = await pool.get(problem, poolSize);
      passRates[pi] = mean(samples.map((a) => (a.judged.correct ? 1 : 0)));
      difficulty[pi] = binScorer ? mean(await binScorer.score(problem, samples.map((a) => a.text))) : passRates[pi];
      for (let si = 0; si < strategies.length; si++) outcomes[si][pi] = await strategies[si].strategy.run(problem, budgets, unit);
      pool.drop(problem);
      bar.tick();
    };
    // Several problems at once: a local model decodes all their requests of a turn as one batch.
    // Every sample has its own seed, so the results do not depend on how many run together.
    const concurrency = o.concurrency ?? 8;
    for (let at = 0; at < problems.length; at += concurrency) await Promise.all(problems.slice(at, at + concurrency).map((p, i) => one(p, at + i)));
    bar.stop();
    return summarise(o, task.name, problems, budgets, unit, strategies, outcomes, difficulty, passRates, (performance.now() - t0) / 1000);
  } finally {
    if (o.generator === undefined) await generator.close();
  }
}

function summarise(
  o: SearchOptions, taskName: string, problems: readonly SearchProblem[], budgets: readonly number[], unit: BudgetUnit,
  strategies: readonly { strategy: Strategy; oracle: boolean; cost: number }[], outcomes: BudgetOutcome[][][], difficulty: number[], passRates: number[], seconds: number,
): SearchResult {
  const binCount = Math.min(o.bins ?? 5, problems.length);
  const bins = quantileBins(difficulty, binCount);
  const folds = problems.map((p) => foldOf(p.id));
  const binList = Array.from({ length: binCount }, (_, b) => b + 1);
  // The problems of each bin (bins count from 1), found once.
  const memberLists: number[][] = binList.map(() => []);
  bins.forEach((b, i) => memberLists[b - 1].push(i));
  const members = (bin: number): number[] => memberLists[bin - 1];
  const rows: SearchResultRow[] = [];
  const summaries: StrategySummary[] = strategies.map(({ strategy, oracle, cost }, si) => {
    problems.forEach((p, pi) => {
      for (const r of outcomes[si][pi]) {
        rows.push({ problem: p.id, bin: bins[pi], fold: folds[pi], strategy: strategy.name, budget: r.budget, answer: r.answer, correct: r.correct, tokens: r.tokens, scorer_tokens: r.scorerTokens, candidates: r.candidates });
      }
    });
    const points = budgets.map((budget, bi) => {
      const at = outcomes[si].map((perProblem) => perProblem[bi]);
      return {
        budget,
        accuracy: mean(at.map((r) => (r.correct ? 1 : 0))),
        tokens: mean(at.map((r) => r.tokens)),
        scorer_tokens: mean(at.map((r) => r.scorerTokens)),
        by_bin: binList.map((bin) => {
          const m = members(bin);
          return m.length ? mean(m.map((i) => (at[i].correct ? 1 : 0))) : null;
        }),
      };
    });
    return { name: strategy.name, oracle, cost, points };
  });
  const correct = outcomes.map((perProblem) => budgets.map((_, bi) => perProblem.map((r) => (r[bi].correct ? 1 : 0))));
  // The rule compares strategies at equal budgets: oracles and strategies that cost more per unit are left out.
  const deployable = strategies.map((s, i) => (s.oracle || s.cost !== 1 ? -1 : i)).filter((i) => i >= 0);
  const candidates = deployable.length ? deployable : strategies.map((_, i) => i);
  const optimal: OptimalPoint[] = computeOptimal(correct, budgets, bins, folds, candidates);
  const summary: SearchSummary = {
    task: taskName,
    model: o.model ?? o.generator?.description ?? '',
    problems: problems.length,
    unit,
    budgets: [...budgets],
    pass1: mean(passRates),
    bins: {
      source: o.binsFrom ?? 'oracle',
      count: binCount,
      sizes: binList.map((b) => members(b).length),
      pass1: binList.map((b) => (members(b).length ? mean(members(b).map((i) => passRates[i])) : null)),
    },
    strategies: summaries,
    optimal: optimal.map((pt) => ({
      budget: pt.budget,
      accuracy: pt.accuracy,
      by_bin: binList.map((bin) => (members(bin).length ? mean(members(bin).map((i) => pt.correct[i])) : null)),
      picks: [pt.picks[0].map((i) => strategies[i].strategy.name), pt.picks[1].map((i) => strategies[i].strategy.name)],
    })),
    seconds,
    settings: settingsOf(o),
  };
  if (o.out !== undefined) {
    writeJsonl(join(o.out, 'results.jsonl'), rows);
    atomicWriteFile(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
  return { summary, rows };
}

function settingsOf(o: SearchOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (k !== 'generator' && k !== 'loadRewardModel' && k !== 'apiKey' && v !== undefined) out[k] = v;
  return out;
}

/**
 * The smallest budget, in the unit's generations, at which any non-oracle strategy (or the
 * compute-optimal rule) reaches `target` accuracy: a strategy's budget counts × its cost.
 */
export function budgetToReach(summary: SearchSummary, target: number): number | null {
  const series = summary.strategies.filter((s) => !s.oracle).map((s) => s.points.map((p) => ({ budget: p.budget * s.cost, accuracy: p.accuracy })));
  return budgetToMatch([...series, summary.optimal], target);
}
