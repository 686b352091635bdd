// Verifiable rewards: math answer checking, sandboxed code execution, format, language
// consistency, length shaping, the reflection metric, and the registry that names them.
import { registerBuiltinRewards } from './builtin.js';

export * from './types.js';
export { registerReward, getReward, hasReward, listRewards } from './registry.js';
export { extractAnswer, finalBoxed, lastBoxed, verifyMath, answersEquivalent, compareAnswers, extractGold, normalizeAnswer } from './math/index.js';
export { BoundedMathVerifier } from './math/index.js';
export { sharedMathVerifier, MATH_DEADLINE_MS } from './math/pool.js';
export type { ExtractOptions, MathVerdict, VerifyMathOptions, BoundedVerifierOptions } from './math/index.js';
export type { BoundedVerifierStats, Comparison } from './math/bounded.js';
export { runCode, runProgram, extractCode, testedNames, outputsMatch, checkCodeTests, errorLineFor, codeTestsOf, codeFormOf, codeProblemText, programFor, sandboxStatus, assertSandbox, CODE_DEFAULTS, CODE_LANGUAGES } from './code/index.js';
export type { RunCodeRequest, RunCodeResult, RunProgramRequest, RunProgramResult, TestStatus, CodeTests, StdioTests, CallTests, AssertTests, CodeLanguage, CodeDataForm, FoundTests, TestsLookup } from './code/index.js';
export { strictFormat, lenientFormat, tagCount, thinkingText } from './format.js';
export { languageConsistency, SUPPORTED_LANGUAGES } from './language.js';
export { overlongPenalty } from './length.js';
export { countReflections, REFLECTION_WORDS } from './reflection.js';
export {
  createAccuracyReward,
  createCodeReward,
  createOverlongReward,
  formatReward,
  formatLenientReward,
  tagCountReward,
  languageReward,
  reflectionMetric,
  registerBuiltinRewards,
  type AccuracyOptions,
} from './builtin.js';

registerBuiltinRewards();
export { verifyLines, verifyMathRecord, verifyCodeRecord, isInputError, mathRecordProblem, codeRecordProblem, type BatchOptions, type BatchResult } from './batch.js';
export { parseRewardSpec, type WeightedRewardName } from './spec.js';
