// Floating-point closeness, used where exact values are not available (the symbolic engine's
// numeric evaluations and the random-point checks). Exact numeric literals go through
// rational.ts instead.

/**
 * Relative tolerance 1e-9; an absolute 1e-12 only against an exact zero (cancellation noise such
 * as sin(π) ≈ 1e-16), so that two tiny but different values (e^{-50}, e^{-51}) stay different.
 * Non-finite values are never close: an overflow must not make two answers equal.
 */
export function numbersClose(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (a === b) return true;
  if (a === 0 || b === 0) return Math.abs(a - b) <= 1e-12;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}
