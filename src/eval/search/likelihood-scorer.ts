// The policy's own confidence as an outcome scorer: the geometric mean of the per-token
// probabilities of a completion (exp of the mean log-probability, in 0..1 so that the weighted
// vote adds like probabilities) under a local model (normally the policy itself). It needs no labels and no trained
// verifier, so unlike the verifier and Monte Carlo oracles it is a scorer one could deploy; it is
// also a weak one (a fluent wrong answer scores well).
import type { LoadedModel } from '../../model/load-model.js';
import { scoreCompletions } from '../../model/scoring.js';
import type { OutcomeScorer } from './scorers.js';

export function likelihoodScorer(loaded: LoadedModel): OutcomeScorer {
  const tok = loaded.tokenizer;
  return {
    name: 'likelihood',
    async score(problem, completions) {
      const prompt = tok.encode(problem.prompt, { addSpecialTokens: true });
      const rows = completions.map((c) => tok.encode(c, { addSpecialTokens: false }));
      const logprobs = scoreCompletions(loaded.model, rows.map(() => prompt), rows);
      // An empty completion says nothing: the lowest score.
      return logprobs.map((lp) => (lp.length === 0 ? 0 : Math.exp(lp.reduce((s, x) => s + x, 0) / lp.length)));
    },
  };
}
