// The test-time compute strategies of Snell et al. (2024) over one problem: majority vote,
// best-of-N, verifier-weighted best-of-N, beam search over step scores, lookahead search, and
// sequential revisions. Each turns a generation budget (samples per problem, or completion
// tokens) into one answer and reports the tokens it generated. The parallel strategies draw from
// one shared pool of samples per problem (the same samples for every budget and strategy, so the
// comparison is paired and the pool is drawn once); beam, lookahead and revisions run per budget.
import type { Judge, Judgement, SearchProblem } from './problem.js';
import { seedOf, TokenMeter, type Policy } from './policy.js';
import { lastStepValue, type OutcomeScorer, type StepScorer } from './scorers.js';
import { pickBest, pickMajority, pickWeighted, type Pick } from './select.js';

export type BudgetUnit = 'samples' | 'tokens';

export interface BudgetOutcome {
  budget: number;
  answer: string | null;
  correct: boolean;
  /** Completion tokens the strategy generated at this budget (rollouts of lookahead included). */
  tokens: number;
  /** Tokens a scorer's own rollouts took (the Monte Carlo PRM); not part of the budget. */
  scorerTokens: number;
  /** Finished candidates the pick was made from. */
  candidates: number;
}

export interface Strategy {
  /** e.g. "weighted-best-of-n@verifier", "beam@mc8". */
  readonly name: string;
  run(problem: SearchProblem, budgets: readonly number[], unit: BudgetUnit): Promise<BudgetOutcome[]>;
}

export interface Attempt {
  text: string;
  tokens: number;
  judged: Judgement;
}

export interface SearchContext {
  policy: Policy;
  judge: Judge;
}

/**
 * Independent samples per problem, drawn on demand and kept: sample i always has the same seed,
 * so a larger budget extends a smaller one. With a token budget, `maxSamples` are drawn at once.
 */
export class SamplePool {
  private readonly cache = new Map<string, Attempt[]>();
  constructor(
    private readonly ctx: SearchContext,
    readonly maxSamples: number,
  ) {}

  async get(problem: SearchProblem, n: number): Promise<Attempt[]> {
    const have = this.cache.get(problem.id) ?? [];
    if (have.length < n) {
      const seeds = Array.from({ length: n - have.length }, (_, i) => seedOf(problem.id, 'pool', have.length + i));
      const outs = await this.ctx.policy.continueText(problem.prompt, '', seeds, { maxTokens: this.ctx.policy.maxTokens });
      for (const c of outs) have.push({ text: c.text, tokens: c.tokens, judged: this.ctx.judge.judge(problem, c.text) });
      this.cache.set(problem.id, have);
    }
    return have.slice(0, n);
  }

  /** Forgets a problem's samples (once every strategy has used them). */
  drop(problem: SearchProblem): void {
    this.cache.delete(problem.id);
  }
}

/** The samples a budget buys: the first `budget` (samples), or the longest prefix within `budget` tokens. */
export function affordable(attempts: readonly Attempt[], budget: number, unit: BudgetUnit): number {
  if (unit === 'samples') return Math.min(budget, attempts.length);
  let spent = 0;
  let n = 0;
  while (n < attempts.length && spent + attempts[n].tokens <= budget) spent += attempts[n++].tokens;
  return n;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

export type ParallelKind = 'majority' | 'best-of-n' | 'weighted-best-of-n';

/** Majority vote, best-of-N or weighted best-of-N over the shared pool. */
export function parallelStrategy(kind: ParallelKind, pool: SamplePool, scorer: OutcomeScorer | null): Strategy {
  if (kind !== 'majority' && scorer === null) throw new Error(`${kind} needs an outcome scorer`);
  return {
    name: kind === 'majority' ? kind : `${kind}@${scorer!.name}`,
    async run(problem, budgets, unit) {
      const attempts = await pool.get(problem, unit === 'samples' ? Math.max(...budgets) : pool.maxSamples);
      const meter = new TokenMeter();
      const scores = kind === 'majority' ? [] : await scorer!.score(problem, attempts.map((a) => a.text), meter);
      return budgets.map((budget) => {
        const n = affordable(attempts, budget, unit);
        const judged = attempts.slice(0, n).map((a) => a.judged);
        const pick: Pick = kind === 'majority' ? pickMajority(judged) : kind === 'best-of-n' ? pickBest(judged, scores) : pickWeighted(judged, scores);
        return { budget, answer: pick.answer, correct: pick.correct, tokens: sum(attempts.slice(0, n).map((a) => a.tokens)), scorerTokens: meter.scorer, candidates: n };
      });
    },
  };
}

export interface BeamOptions {
  /** M: each kept beam is expanded into M next steps; N/M beams are kept (Snell et al.: 4 or √N). */
  expansions: number;
  /** Search rounds before stopping (Snell et al.: 40). */
  maxRounds: number;
  /** Beams when the budget is in tokens (with a sample budget the width is the budget). */
  tokenBudgetWidth: number;
  /** Lookahead: steps rolled out greedily from each candidate before it is scored (0: plain beam search). */
  lookahead: number;
}

interface Beam {
  steps: string[];
  tokens: number;
  done: boolean;
}

/** The step a continuation adds, and whether the candidate is finished with it. */
function extend(ctx: SearchContext, beam: Beam, text: string, tokens: number, truncated: boolean): Beam {
  const sep = ctx.judge.stepSeparator;
  const before = beam.steps.join('');
  const finished = ctx.judge.finished(before + text) || truncated || text === '' || beam.tokens + tokens >= ctx.policy.maxTokens;
  return { steps: [...beam.steps, finished ? text : text + sep], tokens: beam.tokens + tokens, done: finished };
}

/** Next steps for each beam (`per` each), all requested at once. */
async function expand(ctx: SearchContext, problem: SearchProblem, beams: readonly Beam[], per: number, tag: string, meter: TokenMeter, temperature?: number): Promise<Beam[][]> {
  return Promise.all(
    beams.map(async (b, bi) => {
      const seeds = Array.from({ length: per }, (_, i) => seedOf(problem.id, tag, bi, i));
      const outs = await ctx.policy.continueText(problem.prompt, b.steps.join(''), seeds, {
        stop: [ctx.judge.stepSeparator],
        maxTokens: Math.max(1, ctx.policy.maxTokens - b.tokens),
        temperature,
      });
      return outs.map((c) => {
        meter.generated += c.tokens;
        return extend(ctx, b, c.text, c.tokens, c.truncated);
      });
    }),
  );
}

/** Greedy k-step rollouts from each candidate; the scorer then judges where each rollout ends. */
async function rollOut(ctx: SearchContext, problem: SearchProblem, beams: readonly Beam[], k: number, round: number, meter: TokenMeter): Promise<Beam[]> {
  let ends = [...beams];
  for (let s = 0; s < k; s++) {
    const open = ends.map((b, i) => ({ b, i })).filter((x) => !x.b.done);
    if (open.length === 0) break;
    const next = await expand(ctx, problem, open.map((x) => x.b), 1, `look-${round}-${s}`, meter, 0);
    open.forEach((x, j) => (ends[x.i] = next[j][0]));
    ends = [...ends];
  }
  return ends;
}

/**
 * Beam search over step scores (Snell et al.): N first steps are sampled and scored, the best
 * N/M are kept and each expanded by M, until N candidates are finished, none is left open, the
 * rounds or the token budget run out; the answer is the weighted best-of-N over the finished
 * candidates, by their last step's score. With lookahead k, a candidate's score is that of the
 * end of its greedy k-step rollout (its tokens are spent from the budget, as the paper counts it).
 */
export function beamStrategy(ctx: SearchContext, scorer: StepScorer, o: BeamOptions): Strategy {
  const base = o.lookahead > 0 ? `lookahead${o.lookahead}` : 'beam';
  return {
    name: `${base}@${scorer.name}`,
    async run(problem, budgets, unit) {
      const out: BudgetOutcome[] = [];
      for (const budget of budgets) {
        const width = unit === 'samples' ? budget : o.tokenBudgetWidth;
        const meter = new TokenMeter(unit === 'tokens' ? budget : Infinity);
        // Fewer beams than M: the one kept beam is expanded `width` times, so a round costs `width` steps.
        const per = Math.min(o.expansions, width);
        const keep = Math.max(1, Math.floor(width / per));
        const finished: Beam[] = [];
        let open: Beam[] = [{ steps: [], tokens: 0, done: false }];
        let best: Beam | null = null;
        for (let round = 0; round < o.maxRounds && open.length > 0 && finished.length < width && !meter.exhausted; round++) {
          const fresh = (await expand(ctx, problem, open, round === 0 ? width : per, `beam-${width}-${round}`, meter)).flat();
          for (const b of fresh) if (b.done) finished.push(b);
          const live = fresh.filter((b) => !b.done);
          if (live.length === 0) break;
          const judgedAt = o.lookahead > 0 ? await rollOut(ctx, problem, live, o.lookahead, round, meter) : live;
          const values = (await scorer.scoreSteps(problem, judgedAt.map((b) => b.steps), meter, { lastOnly: true })).map(lastStepValue);
          const order = live.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
          open = order.slice(0, keep).map((i) => live[i]);
          best = open[0];
        }
        // Nothing finished: the best open beam is all there is (it states no answer yet).
        const pool = finished.length > 0 ? finished : best ? [best] : [];
        const texts = pool.map((b) => b.steps.join(''));
        const judged = texts.map((t) => ctx.judge.judge(problem, t));
        const values = pool.length ? (await scorer.scoreSteps(problem, pool.map((b) => b.steps), meter, { lastOnly: true })).map(lastStepValue) : [];
        const pick = pickWeighted(judged, values);
        out.push({ budget, answer: pick.answer, correct: pick.correct, tokens: meter.generated, scorerTokens: meter.scorer, candidates: finished.length });
      }
      return out;
    },
  };
}

export interface RevisionOptions {
  /** Parallel chains the budget is shared between (1: purely sequential). */
  chains: number;
  /** Earlier answers kept in the prompt (Snell et al.: the last 4). */
  context: number;
  /** Attempts per chain when the budget is in tokens. */
  tokenBudgetLength: number;
}

/**
 * Sequential revisions: each attempt of a chain sees the chain's earlier answers in its prompt.
 * A budget of B samples is min(chains, B) chains of B / chains attempts; the answer is picked over
 * all their attempts by the outcome scorer's weighted vote, or by majority without a scorer.
 */
export function revisionStrategy(ctx: SearchContext, scorer: OutcomeScorer | null, o: RevisionOptions): Strategy {
  return {
    name: `revisions${o.chains > 1 ? `x${o.chains}` : ''}${scorer ? `@${scorer.name}` : ''}`,
    async run(problem, budgets, unit) {
      const length = unit === 'samples' ? Math.max(1, Math.floor(Math.max(...budgets) / o.chains)) : o.tokenBudgetLength;
      const chains: Attempt[][] = Array.from({ length: o.chains }, () => []);
      for (let step = 0; step < length; step++) {
        const outs = await Promise.all(
          chains.map((chain, ci) => {
            const earlier = chain.map((a) => a.judged.answer).filter((a): a is string => a !== null).slice(-o.context);
            const prompt = ctx.judge.revisionPrompt(problem, earlier);
            return ctx.policy.continueText(prompt, '', [seedOf(problem.id, 'revise', ci, step)], { maxTokens: ctx.policy.maxTokens });
          }),
        );
        outs.forEach(([c], ci) => chains[ci].push({ text: c.text, tokens: c.tokens, judged: ctx.judge.judge(problem, c.text) }));
      }
      const meter = new TokenMeter();
      const all = chains.flat();
      const scoreOf = new Map<Attempt, number>();
      if (scorer) (await scorer.score(problem, all.map((a) => a.text), meter)).forEach((s, i) => scoreOf.set(all[i], s));
      return budgets.map((budget) => {
        let used: Attempt[];
        if (unit === 'samples') {
          const c = Math.min(o.chains, budget);
          const len = Math.max(1, Math.floor(budget / c));
          used = chains.slice(0, c).flatMap((ch) => ch.slice(0, len));
        } else {
          // Attempts in the order they were made (step by step across chains), while the tokens last.
          const order = Array.from({ length }, (_, s) => chains.map((ch) => ch[s])).flat();
          used = order.slice(0, affordable(order, budget, 'tokens'));
        }
        const judged = used.map((a) => a.judged);
        const pick = scorer ? pickWeighted(judged, used.map((a) => scoreOf.get(a)!)) : pickMajority(judged);
        return { budget, answer: pick.answer, correct: pick.correct, tokens: sum(used.map((a) => a.tokens)), scorerTokens: meter.scorer, candidates: used.length };
      });
    },
  };
}
