// Weighted mixes for the synthetic corpora: checking and normalising a mix of styles or levels,
// and drawing from one.
import { AhaError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** The mix's entries with weights summing to 1; throws on a negative or non-numeric weight, or an all-zero mix. */
export function normaliseMix<K extends string | number>(mix: Readonly<Partial<Record<K, number>>>, what: string): [K, number][] {
  const entries = Object.entries(mix) as [K, number][];
  for (const [k, w] of entries) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new AhaError(`corpus: ${what} weight for "${k}" must be a non-negative number, got ${w}`);
  }
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (!(total > 0)) throw new AhaError(`corpus: ${what} weights sum to zero`);
  return entries.map(([k, w]) => [k, w / total]);
}

/** One key drawn with probability its weight (the weights sum to 1). */
export function pickWeighted<K>(rng: Rng, entries: readonly (readonly [K, number])[]): K {
  let u = rng.next();
  for (const [k, w] of entries) {
    if (u < w) return k;
    u -= w;
  }
  return entries[entries.length - 1][0];
}

/** Checks the options every corpus generator takes. */
export function checkCorpusOptions(options: { seed: number; documents: number }): void {
  if (!Number.isInteger(options.documents) || options.documents < 0) throw new AhaError(`corpus: documents must be a non-negative integer, got ${options.documents}`);
  if (!Number.isInteger(options.seed)) throw new AhaError(`corpus: seed must be an integer, got ${options.seed}`);
}
