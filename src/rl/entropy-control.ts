// The adaptive entropy target (Skywork-OR1, He et al. 2025, arXiv 2505.22312; TRL's
// use_adaptive_entropy): the entropy-bonus coefficient c moves by ±Δ after every optimiser update
// toward keeping the mean token entropy at a target, and the bonus is applied only while the last
// measured entropy is at or below the target. Pure state transitions; update.ts applies them.

export interface AdaptiveEntropyOptions {
  /** Target mean token entropy in nats (TRL entropy_target). */
  target: number;
  /** Step Δ of the coefficient per optimiser update (TRL entropy_coef_delta). */
  delta: number;
  /** Bounds of the coefficient (TRL entropy_coef_min / entropy_coef_max). */
  min: number;
  max: number;
}

/** The controller's state, saved in checkpoints so a resumed run continues exactly. */
export interface EntropyControlState {
  /** The coefficient c (starts at entropy_coef). */
  coef: number;
  /** Mean token entropy of the last optimiser update; null before the first one. */
  last: number | null;
}

/**
 * The coefficient the next update applies: c while the last update's entropy H̄ ≤ target, else 0
 * (the bonus only pushes entropy back up once it has fallen to the target). Before the first
 * update there is no measurement, so no bonus.
 */
export function appliedEntropyCoef(state: EntropyControlState, o: AdaptiveEntropyOptions): number {
  return state.last !== null && state.last <= o.target ? state.coef : 0;
}

/**
 * After an update whose mean token entropy was `entropy`: c ← min(c + Δ, c_max) when
 * entropy ≤ target, else max(c − Δ, c_min).
 */
export function nextEntropyControl(state: EntropyControlState, entropy: number, o: AdaptiveEntropyOptions): EntropyControlState {
  const coef = entropy <= o.target ? Math.min(state.coef + o.delta, o.max) : Math.max(state.coef - o.delta, o.min);
  return { coef, last: entropy };
}
