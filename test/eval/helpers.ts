// Shared fixtures for the eval tests: temp folders and a tiny injected math verifier (the
// harness is tested here, not the real verifier, which the rewards part tests).
import { writeFileSync } from 'node:fs';
import type { MathVerifier } from '../../src/eval/grading.js';
import { scratchDir } from '../scratch-dir.js';

export function tempDir(): string {
  return scratchDir('aha-eval-test-');
}

export function writeLines(file: string, lines: readonly (string | object)[]): string {
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

/** Content of the last \boxed{...} (no nesting needed for these fixtures). */
export function simpleBoxed(text: string): string | null {
  const all = [...text.matchAll(/\\boxed\{([^{}]*)\}/g)];
  return all.length > 0 ? all[all.length - 1][1] : null;
}

/** Answers equal when they are the same number (or the same trimmed text). */
export const numericVerifier: MathVerifier = {
  extractAnswer: simpleBoxed,
  isEqual: (pred, gold) => ({ equal: pred.trim() === gold.trim() || (pred.trim() !== '' && Number(pred) === Number(gold)) }),
  answersEquivalent: (a, b) => a.trim() === b.trim() || (a.trim() !== '' && Number(a) === Number(b)),
};
