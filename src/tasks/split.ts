// Held-out splits by hash: a problem's split is a function of its canonical form alone, so no
// seed, generator or corpus can ever turn a held-out problem into a training one. Also the
// sampling loop every generator shares (draw, keep the requested split, drop duplicates).
import { createHash } from 'node:crypto';
import { AhaError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Split } from './task.js';

/** Share of each task's problem space that is held out for evaluation. */
export const HELDOUT_FRACTION = 0.1;

/** 32 bits of SHA-256 of `task:canonical`, as an unsigned integer. */
export function canonicalHash(task: string, canonical: string): number {
  return createHash('sha256').update(`${task}:${canonical}`).digest().readUInt32BE(0);
}

/** The split a problem belongs to, decided by its canonical form only. */
export function splitOf(task: string, canonical: string): Split {
  return canonicalHash(task, canonical) / 4294967296 < HELDOUT_FRACTION ? 'heldout' : 'train';
}

/** A short stable id: task, level and 10 hex digits of the canonical hash. */
export function problemId(task: string, difficulty: number, canonical: string): string {
  const hex = createHash('sha256').update(`${task}:${canonical}`).digest('hex').slice(0, 10);
  return `${task}-d${difficulty}-${hex}`;
}

export interface Candidate<T> {
  canonical: string;
  value: T;
}

/**
 * Draws candidates until `count` distinct ones of `split` are found. `accept` may veto a candidate
 * beyond its own split (e.g. a training problem whose sub-steps are held-out problems).
 * Throws a clear error when the space seems too small for the request.
 */
export function sampleSplit<T>(opts: {
  task: string;
  split: Split;
  count: number;
  seed: number;
  draw: (rng: Rng) => Candidate<T>;
  accept?: (candidate: Candidate<T>) => boolean;
}): T[] {
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new AhaError(`${opts.task}: count must be a non-negative integer, got ${opts.count}`);
  if (!Number.isInteger(opts.seed)) throw new AhaError(`${opts.task}: seed must be an integer, got ${opts.seed}`);
  // Salt the stream with the split so seed 0 of each split is not the same walk.
  const rng = new Rng((opts.seed ^ (opts.split === 'heldout' ? 0x68656c64 : 0)) >>> 0);
  const seen = new Set<string>();
  const out: T[] = [];
  // Give up after a long run of draws that found nothing new: the space is (nearly) exhausted.
  const maxMisses = 20000;
  for (let misses = 0; out.length < opts.count; misses++) {
    if (misses >= maxMisses) {
      throw new AhaError(`${opts.task}: found only ${out.length} distinct ${opts.split} problems of the ${opts.count} asked for; ask for fewer or use more difficulty levels`);
    }
    const c = opts.draw(rng);
    if (seen.has(c.canonical)) continue;
    if (splitOf(opts.task, c.canonical) !== opts.split) continue;
    if (opts.accept && !opts.accept(c)) continue;
    seen.add(c.canonical);
    out.push(c.value);
    misses = -1;
  }
  return out;
}
