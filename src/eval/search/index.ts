// Test-time compute search's public surface: the experiment as one call, the strategies and
// scorers to compose by hand, the difficulty bins and the compute-optimal rule.
export { search, checkSearchOptions, parseStrategySpec, budgetToReach, STRATEGY_NAMES, DEFAULT_BUDGETS, type SearchOptions, type SearchResult, type SearchSummary, type SearchResultRow, type StrategySummary, type StrategyPoint, type StrategyName } from './run.js';
export { parallelStrategy, beamStrategy, revisionStrategy, SamplePool, affordable, type Strategy, type BudgetOutcome, type BudgetUnit, type SearchContext, type Attempt, type BeamOptions, type RevisionOptions, type ParallelKind } from './strategies.js';
export { verifierScorer, monteCarloScorer, lastStepValue, type OutcomeScorer, type StepScorer, type StepScoreOptions, type MonteCarloOptions } from './scorers.js';
export { rewardModelScorer, type RewardModelLike, type RewardModelKindLike } from './reward-model-scorer.js';
export { pickMajority, pickBest, pickWeighted, type Pick } from './select.js';
export { quantileBins, foldOf, computeOptimal, budgetToMatch, type CorrectTable, type OptimalPoint } from './compute-optimal.js';
export { taskJudge, searchProblems, type Judge, type Judgement, type SearchProblem } from './problem.js';
export { Policy, TokenMeter, seedOf, type Continuation, type ContinueOptions, type ContextLimit } from './policy.js';
// likelihood-scorer.ts is imported on demand (search() does): it loads the compute core.
