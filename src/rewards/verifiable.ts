// What each rule-based verifier needs in a data row (a gold answer for the math check, tests for
// the code check), and whether a row has any of it: the one answer to "can a rule check this
// row?" that the data-file checks and `learned_on` both ask.
import { codeTestsOf } from './code/formats.js';
import type { RewardExample } from './types.js';

export interface VerifierNeed {
  /** What a row must carry, as an error message names it. */
  what: string;
  has: (example: RewardExample) => boolean;
}

/** By reward name: the verifiers that decline a row lacking what they need. */
export const VERIFIER_NEEDS: Readonly<Record<string, VerifierNeed>> = {
  accuracy: { what: 'a gold answer ("answer" or "gold" field)', has: (ex) => ex.gold !== undefined },
  code: { what: 'tests', has: (ex) => codeTestsOf(ex) !== null },
};

/** Whether some rule-based verifier can check this row (it has a gold answer or code tests). */
export function verifiable(example: RewardExample): boolean {
  return Object.values(VERIFIER_NEEDS).some((need) => need.has(example));
}
