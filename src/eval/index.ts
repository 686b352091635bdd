// The evaluation harness's public surface: metrics, data loading, generators, grading, runs.
export { passAtK, reportedKs, majorityVote, problemMetrics, aggregate, type Ballot, type VoteResult, type ProblemMetrics } from './metrics.js';
export { loadProblems, detectFormat, goldAnswer, type EvalProblem, type CodeTests, type FieldOptions, type LoadOptions } from './problems.js';
export { loadDataSet, resolveDataSource, benchmarkSource, fileSource, type DataSet, type DataSetOptions, type DataSource } from './data-set.js';
export { EVAL_DEFAULTS, HUMANEVAL_STOP, defaultStop } from './defaults.js';
export { resolveTemplate, renderPrompt, defaultTemplateName, templateNames, type PromptTemplate } from './templates.js';
export type { ApiKind, Generator, GenerationRequest, GenerationResult, GeneratedSample, SamplingOptions, TokenUsage } from './generator.js';
export { RemoteGenerator, resolveEndpointUrl, type RemoteOptions } from './remote.js';
export { openGenerator, type GeneratorSpec } from './open-generator.js';
export { RemoteCallError, withRetries, backoffDelayMs, parseRetryAfter, isRetryableStatus } from './retry.js';
export { mathGrader, codeGrader, assertJob, type AssertJob, type Grade, type Grader, type MathVerifier, type ProgramRunner } from './grading.js';
export { graderFor, type VerifierOptions } from './verifiers.js';
export { runEval, requestSeed, type EvalRunOptions, type EvalResult, type ProblemResult } from './run.js';
export { outputPaths, readSamples, type SampleRecord, type OutputPaths, type EvalSettings } from './output.js';
export { summaryTable, summaryJson } from './summary.js';
// The local backend (src/eval/local.ts) is imported on demand (openGenerator does): it loads the compute core.
