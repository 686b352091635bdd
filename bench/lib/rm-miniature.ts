// The over-optimisation miniature's gold preference and its training pairs (bench:rm, and the
// preference data of recipes/r1-arithmetic-rm.yaml): on arithmetic levels 2-3,
//   gold = correct + 0.25 · lenient format − 0.25 · min(1, tokens / max_completion_length)
// (right, in the required format, concise), and pairs of the base policy's own samples (K per
// problem) whose gold differs by at least 0.05, the higher one chosen.
import { loadModel } from '../../src/model/load-model.js';
import { sample } from '../../src/model/sampling.js';
import { lenientFormat } from '../../src/rewards/format.js';
import { getTask } from '../../src/tasks/registry.js';
import type { Problem } from '../../src/tasks/task.js';
import { Rng } from '../../src/util/rng.js';

export const task = getTask('arithmetic');
export const DIFFICULTY = [2, 3];

export function goldScore(text: string, tokens: number, problem: Problem, maxLen: number): number {
  const correct = task.verify(text, problem).correct ? 1 : 0;
  return correct + 0.25 * lenientFormat(text) - 0.25 * Math.min(1, tokens / maxLen);
}

export interface Pair {
  prompt: string;
  chosen: string;
  rejected: string;
}

/** Up to `wanted` gold-ranked pairs of the base policy's samples on fresh training problems. */
export function goldRankedPairs(baseDir: string, seed: number, wanted: number, maxLen: number, K = 4): Pair[] {
  const { model, tokenizer, eosIds } = loadModel(baseDir);
  const problems = task.generate({ split: 'train', count: Math.ceil(wanted / 3), seed: seed + 1000, difficulty: DIFFICULTY });
  const prompts = problems.flatMap((p) => Array.from({ length: K }, () => tokenizer.encode(task.prompt(p))));
  const samples = sample(model, prompts, { maxNewTokens: maxLen, temperature: 1, eosIds, tokenizer, seed });
  const pairs: Pair[] = [];
  problems.forEach((p, i) => {
    const group = samples.slice(i * K, (i + 1) * K).map((s) => ({ text: s.text, g: goldScore(s.text, s.tokens.length, p, maxLen) }));
    for (let a = 0; a < K; a++) {
      for (let b = a + 1; b < K; b++) {
        if (Math.abs(group[a].g - group[b].g) < 0.05) continue;
        const [c, r] = group[a].g > group[b].g ? [group[a], group[b]] : [group[b], group[a]];
        pairs.push({ prompt: task.prompt(p), chosen: c.text, rejected: r.text });
      }
    }
  });
  return new Rng(seed).shuffle(pairs).slice(0, wanted);
}
