// Math answer checking: extraction of final answers and equivalence with a gold answer.
export { extractAnswer, finalBoxed, lastBoxed, type ExtractOptions } from './extract.js';
export { verifyMath, answersEquivalent, compareAnswers, extractGold, type MathVerdict, type VerifyMathOptions } from './verify.js';
export { normalizeAnswer } from './normalize.js';
export { BoundedMathVerifier, type BoundedVerifierOptions } from './bounded.js';
