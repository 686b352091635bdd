// Per-step metrics of a GRPO run, under the names of docs/run-folder.md: reward statistics per
// function, accuracy, zero-std groups, completion lengths, truncation, reflection rate (from the
// rollouts), and KL, entropy, clip fractions (sums accumulated over the optimisation passes).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../util/jsonl.js';
import { batchRewards, meanStd, type ScoreColumn } from './advantages.js';
import { strictFormat } from '../rewards/format.js';
import type { ScoredRow } from './rollout.js';

/** Mean of the non-null scores (NaN when there are none, so it is left out of the JSON line). */
function columnStats(col: ScoreColumn): { mean: number; std: number } {
  const vals = col.filter((v): v is number => v !== null);
  if (vals.length === 0) return { mean: NaN, std: NaN };
  const s = meanStd(vals);
  return { mean: s.mean, std: s.std };
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
};

/**
 * The rollout half of a step's metrics: every sampled completion (`rows`, rewards in the order of
 * `names`) and, per sampled group, 1 when its rewards were all equal (`zeroStd`).
 */
export function rolloutMetrics(names: readonly string[], rows: readonly ScoredRow[], zeroStd: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  const { total, scored } = batchRewards(rows);
  const tot = meanStd(total, scored);
  out['reward/mean'] = tot.n ? tot.mean : NaN;
  out['reward/std'] = tot.n ? tot.std : NaN;
  names.forEach((name, k) => {
    const s = columnStats(rows.map((r) => r.scores[k]));
    out[`reward/${name}/mean`] = s.mean;
    out[`reward/${name}/std`] = s.std;
  });
  const lengths = rows.map((r) => r.completionIds.length);
  out.accuracy = mean(rows.map((r) => (r.correct ? 1 : 0)));
  out.frac_zero_std = mean(zeroStd);
  out['completion_length/mean'] = mean(lengths);
  // Loops, not Math.min(...lengths): a spread of some hundred thousand rows overflows the stack.
  out['completion_length/min'] = lengths.reduce((m, x) => Math.min(m, x), Infinity);
  out['completion_length/max'] = lengths.reduce((m, x) => Math.max(m, x), -Infinity);
  out.truncated_frac = mean(rows.map((r) => (r.truncated ? 1 : 0)));
  out.reflect_rate = mean(rows.map((r) => r.reflections));
  return out;
}

/** Sums over every micro-batch and pass of a step; turned into means by `trainingMetrics`. */
export class TrainingSums {
  tokens = 0;
  klSum = 0;
  /** Tokens with a KL term (every token when beta > 0 on every row; SCoRe's Stage I: attempt 1's). */
  klTokens = 0;
  entropySum = 0;
  clipLow = 0;
  clipHigh = 0;
  /** Tokens in the policy term (fewer than `tokens` with top_entropy_quantile < 1). */
  policyTokens = 0;
  /** Rows run, and those left out of the policy term by off-policy masking. */
  rows = 0;
  offPolicyRows = 0;
  /** Sampler-mismatch weights: their sum, and the tokens capped or zeroed. */
  isWeightSum = 0;
  isClipped = 0;
  /** |ℓold − ℓsmp| per completion token, trainer against sampler (their sum, largest, count), when the sampler's log-probs are kept. */
  logpGapSum = 0;
  logpGapMax = 0;
  logpGapTokens = 0;
  /** Sum over the updates of the entropy coefficient applied (adaptive entropy). */
  entropyCoefApplied = 0;
  loss = 0;
  gradNorm = 0;
  updates = 0;

  /** Adds the trainer/sampler log-prob gap of one forward pass's masked tokens ([B, T] each). */
  addLogpGap(oldLogp: ArrayLike<number>, samplerLogp: ArrayLike<number>, mask: Uint8Array): void {
    for (let k = 0; k < mask.length; k++) {
      if (!mask[k]) continue;
      const gap = Math.abs(oldLogp[k] - samplerLogp[k]);
      this.logpGapSum += gap;
      if (gap > this.logpGapMax) this.logpGapMax = gap;
      this.logpGapTokens++;
    }
  }

  /** The step's training metrics: token means, and loss / grad norm averaged over the updates. */
  /** `entropyCoef`: the adaptive controller's coefficient after the step (logged with the mean applied one); null when not adaptive. */
  metrics(topEntropyQuantile = 1, samplerCorrection = false, offPolicyMasking = false, entropyCoef: number | null = null): Record<string, number> {
    const t = Math.max(this.tokens, 1);
    const out: Record<string, number> = {
      entropy: this.entropySum / t,
      'clip/low': this.clipLow / t,
      'clip/high': this.clipHigh / t,
      loss: this.updates ? this.loss / this.updates : NaN,
      grad_norm: this.updates ? this.gradNorm / this.updates : NaN,
    };
    if (this.klTokens > 0) out.kl = this.klSum / this.klTokens;
    if (entropyCoef !== null) {
      out.entropy_coef = entropyCoef;
      out['entropy_coef/applied'] = this.updates ? this.entropyCoefApplied / this.updates : 0;
    }
    if (topEntropyQuantile < 1) out['entropy/policy_token_frac'] = this.policyTokens / t;
    if (offPolicyMasking) out['off_policy/masked_frac'] = this.rows ? this.offPolicyRows / this.rows : 0;
    if (samplerCorrection) {
      out['sampler_is/mean_weight'] = this.isWeightSum / t;
      out['sampler_is/clipped_frac'] = this.isClipped / t;
    }
    // TRL's names for the sampler/trainer mismatch (mean and max |Δ log p| per token).
    if (this.logpGapTokens > 0) {
      out['sampling/sampling_logp_difference/mean'] = this.logpGapSum / this.logpGapTokens;
      out['sampling/sampling_logp_difference/max'] = this.logpGapMax;
    }
    return out;
  }
}

/** Drops non-finite values (JSON has no NaN) and rounds nothing: the file keeps full precision. */
export function finiteOnly(rec: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec)) if (Number.isFinite(v)) out[k] = v;
  return out;
}

/** One eval.jsonl line (docs/run-folder.md) from one completion per held-out problem. */
export function heldoutMetrics(rows: readonly ScoredRow[]): { n: number; accuracy: number; mean_length: number; reflect_rate: number; format_rate: number } {
  const n = rows.length;
  const mean = (f: (r: ScoredRow) => number) => (n === 0 ? 0 : rows.reduce((a, r) => a + f(r), 0) / n);
  return {
    n,
    accuracy: mean((r) => (r.correct ? 1 : 0)),
    mean_length: mean((r) => r.completionIds.length),
    reflect_rate: mean((r) => r.reflections),
    format_rate: mean((r) => (strictFormat(r.text, r.item.example) >= 1 ? 1 : 0)),
  };
}

/** "held-out (n problems), step 0 -> 60: accuracy 0.310 -> 0.645, ..." from a run's first and last eval.jsonl lines, or null. */
export function heldoutSummary(runDir: string): string | null {
  const evalFile = join(runDir, 'eval.jsonl');
  if (!existsSync(evalFile)) return null;
  const rows = readJsonl(evalFile).map((r) => r.value as Record<string, number>);
  if (rows.length < 2) return null;
  const [a, b] = [rows[0], rows[rows.length - 1]];
  const pair = (k: string, d: number) => `${a[k].toFixed(d)} -> ${b[k].toFixed(d)}`;
  return `held-out (${b.n} problems), step ${a.step} -> ${b.step}: accuracy ${pair('accuracy', 3)}, mean length ${pair('mean_length', 1)} tokens, reflection words ${pair('reflect_rate', 2)} per answer`;
}
