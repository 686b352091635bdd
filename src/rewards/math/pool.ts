// The process-wide math checking pool: every math check made by the rewards and the eval graders
// (training, `aha eval`, rejection sampling) runs here, in worker threads sized to the cores,
// under a hard deadline. Made on first use; its idle workers never keep the process alive.
import { availableParallelism } from 'node:os';
import { BoundedMathVerifier } from './bounded.js';

/** The math deadline (ms) of a check that names none: its budget inside and the kill outside. */
export const MATH_DEADLINE_MS = 2000;
/** The longest deadline a caller may ask for. */
const MAX_DEADLINE_MS = 60_000;

let shared: BoundedMathVerifier | null = null;

/** The shared pool (created on first use; a check's deadline is its timeoutMs, else MATH_DEADLINE_MS). */
export function sharedMathVerifier(): BoundedMathVerifier {
  shared ??= new BoundedMathVerifier({ threads: availableParallelism(), hardTimeoutMs: MAX_DEADLINE_MS, defaultTimeoutMs: MATH_DEADLINE_MS });
  return shared;
}
