// The hacking watch: whenever a learned reward is in the mix, every held-out evaluation logs the
// learned score beside a gold signal the policy never trains on (the verifier's correctness on
// held-out problems by default, or a gold function such as the miniature's true preference).
// When, since the gold signal's peak, the learned score stayed above and gold below their values
// at that peak for N evaluations in a row (hackingTurn), the run is flagged: in eval.jsonl (hacking_flag, charted by the report), in every later
// metrics.jsonl line (watch/*), and once on the terminal. This is Gao et al.'s over-optimisation
// turn seen as it happens.
import type { ScoredRow } from './rollout.js';

export interface WatchPoint {
  step: number;
  learned: number;
  gold: number;
}

/**
 * The index of the first point j at which the last `window` evaluations all sit past a gold peak:
 * with p the best gold evaluation before the window (p ≤ j − window), every evaluation i in
 * (j − window, j] has a learned score above p's and a gold score below p's by more than `minDrop`.
 * That is the over-optimisation turn: since gold peaked, the learned reward kept rising and gold
 * kept falling, for `window` evaluations in a row. Null when that never happens. Comparing with the
 * peak rather than step by step keeps one noisy evaluation from hiding a sustained turn.
 */
export function hackingTurn(points: readonly WatchPoint[], window: number, minDrop = 0): number | null {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`hacking watch window must be a positive integer, got ${window}`);
  let peak = -1;
  for (let j = window; j < points.length; j++) {
    const candidate = j - window;
    if (peak < 0 || points[candidate].gold > points[peak].gold) peak = candidate;
    const p = points[peak];
    let all = true;
    for (let i = j - window + 1; i <= j && all; i++) all = points[i].learned > p.learned && points[i].gold < p.gold - minDrop;
    if (all) return j;
  }
  return null;
}

export interface HackingWatchOptions {
  /** Indices (in the run's reward list) of the learned rewards; their mean over held-out rows is the learned score. */
  learned: readonly number[];
  /** Gold score of a held-out row (default: 1 when the verifier judged it correct). */
  gold?: (row: ScoredRow) => number;
  /** Consecutive evaluations the two must diverge over (default 3). */
  window?: number;
  /** How far below its peak gold must be to count as falling (default 0). */
  minDrop?: number;
  quiet?: boolean;
}

export class HackingWatch {
  readonly points: WatchPoint[] = [];
  readonly window: number;
  /** Step of the evaluation at which the turn was flagged, or null. */
  flaggedStep: number | null = null;
  private readonly gold: (row: ScoredRow) => number;

  constructor(private readonly o: HackingWatchOptions) {
    if (o.learned.length === 0) throw new RangeError('the hacking watch needs at least one learned reward');
    this.window = o.window ?? 3;
    this.gold = o.gold ?? ((r) => (r.correct ? 1 : 0));
  }

  /** Records one held-out evaluation; returns the fields for its eval.jsonl line. */
  observe(step: number, rows: readonly ScoredRow[]): Record<string, number> {
    let learned = 0, counted = 0, gold = 0;
    for (const r of rows) {
      for (const k of this.o.learned) {
        const s = r.scores[k];
        if (s !== null) {
          learned += s;
          counted++;
        }
      }
      gold += this.gold(r);
    }
    const point = { step, learned: counted > 0 ? learned / counted : NaN, gold: rows.length > 0 ? gold / rows.length : NaN };
    this.points.push(point);
    if (this.flaggedStep === null) {
      const j = hackingTurn(this.points, this.window, this.o.minDrop ?? 0);
      if (j !== null) {
        this.flaggedStep = this.points[j].step;
        if (!this.o.quiet) {
          process.stderr.write(`aha: REWARD HACKING WATCH: at step ${step} the learned reward has been above, and the gold signal below, their values at gold's peak for ${this.window} evaluations ` +
            `(learned ${point.learned.toFixed(3)}, gold ${point.gold.toFixed(3)}, gold peaked at ${this.points.slice(0, j - this.window + 1).reduce((m, q) => Math.max(m, q.gold), -Infinity).toFixed(3)}); ` +
            'the policy is likely gaming the reward model\n');
        }
      }
    }
    return { learned_score: point.learned, gold_score: point.gold, hacking_flag: this.flaggedStep !== null ? 1 : 0 };
  }

  /** Fields for each metrics.jsonl line: the last evaluation's scores and whether the turn was flagged. */
  fields(): Record<string, number> {
    const last = this.points[this.points.length - 1];
    if (!last) return {};
    return { 'watch/learned': last.learned, 'watch/gold': last.gold, 'watch/hacking_flag': this.flaggedStep !== null ? 1 : 0, ...(this.flaggedStep !== null ? { 'watch/flagged_step': this.flaggedStep } : {}) };
  }
}
