// evaluate(): the evaluation harness as one library call — pass@1 over K samples, unbiased
// pass@k and maj@K on a bundled benchmark or a JSON Lines file, with a local model folder or an
// OpenAI-compatible server. It wires the harness's parts (problems, templates, graders,
// generators, runEval) with the defaults `aha eval` documents; the samples file makes a repeated
// call resume.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { AhaError } from '../util/errors.js';
import { benchmarkNames, benchmarkPath, findBenchmark, type BenchmarkFormat } from '../tasks/benchmarks.js';
import type { ApiKind, Generator, SamplingOptions } from './generator.js';
import { loadProblems, type FieldOptions } from './problems.js';
import { RemoteGenerator } from './remote.js';
import { runEval, type EvalResult } from './run.js';
import { defaultTemplateName, resolveTemplate } from './templates.js';
import { graderFor, lastBoxed } from './verifiers.js';

export interface EvaluateOptions {
  /** A bundled benchmark (gsm8k, math500, aime24, amc23, humaneval, mbpp) or a JSON Lines file. */
  data: string;
  /** A model folder, or with `endpoint` the name the server serves. */
  model: string;
  /** OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; absent = the local model folder. */
  endpoint?: string;
  /** chat (default): the prompt is the user message; completions: the raw prompt. */
  api?: ApiKind;
  /** K, samples per problem (default 1). */
  samples?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Completion token limit (default 4096 remote, 512 local). */
  maxTokens?: number;
  stop?: string[];
  /** Requests in flight (remote) or prompts decoded together (local); default 8. */
  concurrency?: number;
  samplesPerRequest?: number;
  /** Base seed; each sample's seed derives from it (default 0). */
  seed?: number;
  /** Only the first n problems. */
  limit?: number;
  /** The samples file (default runs/eval-<data>-<model>.jsonl); the summary goes next to it. */
  out?: string;
  /** A named template or a file with a {problem} placeholder. */
  promptTemplate?: string;
  system?: string;
  /** How records are graded (default: the benchmark's, or detected from the fields). */
  format?: BenchmarkFormat;
  fields?: FieldOptions;
  /** Take the last number when a completion states no answer (default true). */
  lastNumberFallback?: boolean;
  /** Limit of one sandboxed test program, ms (default 10000). */
  codeTimeoutMs?: number;
  apiKey?: string;
  /** Per-request timeout, ms (default 600000). */
  timeoutMs?: number;
  retries?: number;
  maxFailures?: number;
  /** Grade the samples already in `out` again. */
  regrade?: boolean;
  /** No progress bar (default true: a library call prints nothing). */
  quiet?: boolean;
}

/** Stops that end a HumanEval function body when a raw completion goes on past it. */
const HUMANEVAL_STOP = ['\ndef ', '\nclass ', '\nif __name__', '\nprint(', '\n#'];

const slug = (s: string) => s.replace(/\/+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(-60) || 'model';

const KNOWN = [
  'data', 'model', 'endpoint', 'api', 'samples', 'temperature', 'topP', 'topK', 'maxTokens', 'stop', 'concurrency', 'samplesPerRequest', 'seed', 'limit', 'out',
  'promptTemplate', 'system', 'format', 'fields', 'lastNumberFallback', 'codeTimeoutMs', 'apiKey', 'timeoutMs', 'retries', 'maxFailures', 'regrade', 'quiet',
];

/** Numeric options: [name, least value, integer?, greatest value]. */
const RANGES: [keyof EvaluateOptions, number, boolean, number][] = [
  ['samples', 1, true, 1024], ['temperature', 0, false, 5], ['topP', Number.MIN_VALUE, false, 1], ['topK', 0, true, Infinity], ['maxTokens', 1, true, Infinity],
  ['concurrency', 1, true, 4096], ['samplesPerRequest', 1, true, 1024], ['seed', 0, true, 2 ** 31 - 1], ['limit', 1, true, Infinity],
  ['codeTimeoutMs', 100, false, 600_000], ['timeoutMs', 1, false, Infinity], ['retries', 0, true, 100], ['maxFailures', 1, true, Infinity],
];

function checkOptions(o: EvaluateOptions): void {
  if (o === null || typeof o !== 'object') throw new AhaError('evaluate: expected an options object { data, model }');
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) throw new AhaError(`evaluate: unknown option "${k}"; known: ${KNOWN.join(', ')}`);
  for (const [k, min, integer, max] of RANGES) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
      throw new AhaError(`evaluate: ${k} must be ${integer ? 'an integer' : 'a number'} from ${min === Number.MIN_VALUE ? 'above 0' : min}${max === Infinity ? ' up' : ` to ${max}`}, got ${JSON.stringify(v)}`);
    }
  }
  if (o.api !== undefined && o.api !== 'chat' && o.api !== 'completions') throw new AhaError(`evaluate: api must be chat or completions, got ${JSON.stringify(o.api)}`);
}

/** Evaluates a model on a data set and returns pass@k / maj@K with per-problem results. */
export async function evaluate(o: EvaluateOptions): Promise<EvalResult> {
  checkOptions(o);
  if (typeof o.data !== 'string') throw new AhaError(`evaluate: data is required: a JSON Lines file or a bundled benchmark (${benchmarkNames().join(', ')})`);
  if (typeof o.model !== 'string') throw new AhaError('evaluate: model is required: a model folder, or with endpoint the served model name');
  const remote = o.endpoint !== undefined;
  const api = o.api ?? 'chat';
  const bench = existsSync(o.data) ? undefined : findBenchmark(o.data);
  if (!existsSync(o.data) && !bench) throw new AhaError(`evaluate: data ${o.data}: no such file, and not a bundled benchmark (${benchmarkNames().join(', ')})`);
  const file = bench ? benchmarkPath(bench) : o.data;
  const label = bench ? bench.name : basename(o.data).replace(/\.jsonl$/, '');
  const loaded = loadProblems({ file, label: o.data, format: o.format ?? bench?.format, fields: o.fields, include: bench?.include, lastBoxed });
  const problems = o.limit !== undefined ? loaded.problems.slice(0, o.limit) : loaded.problems;
  const template = resolveTemplate(o.promptTemplate ?? defaultTemplateName(loaded.format, api));
  const sampling: SamplingOptions = { temperature: o.temperature ?? 0.6, topP: o.topP ?? 0.95, maxTokens: o.maxTokens ?? (remote ? 4096 : 512) };
  if (o.topK !== undefined) sampling.topK = o.topK;
  if (o.stop !== undefined) sampling.stop = o.stop;
  else if (loaded.format === 'humaneval' && api === 'completions') sampling.stop = HUMANEVAL_STOP;
  const lastNumberFallback = o.lastNumberFallback ?? true;
  const codeTimeoutMs = o.codeTimeoutMs ?? 10_000;
  const grader = graderFor(loaded.format, { lastNumberFallback, codeTimeoutMs });
  let generator: Generator;
  if (remote) {
    generator = new RemoteGenerator({
      endpoint: o.endpoint!, model: o.model, api, apiKey: o.apiKey ?? process.env.OPENAI_API_KEY, system: o.system,
      timeoutMs: o.timeoutMs ?? 600_000, retries: o.retries ?? 5, backoffBaseMs: 1000, backoffMaxMs: 60_000,
    });
  } else {
    // Loaded only here: remote evaluation never needs the compute core.
    const { LocalGenerator } = await import('./local.js');
    generator = LocalGenerator.open(o.model, { api, system: o.system });
  }
  const seed = o.seed ?? 0;
  return runEval({
    problems,
    samples: o.samples ?? 1,
    generator,
    sampling,
    template,
    grader,
    concurrency: o.concurrency ?? 8,
    samplesPerRequest: o.samplesPerRequest ?? 1,
    outFile: o.out ?? `runs/eval-${label}-${slug(remote ? o.model : basename(o.model))}.jsonl`,
    settings: {
      data: bench ? `bundled:${bench.name}` : resolve(file), format: loaded.format, backend: remote ? 'remote' : 'local', model: o.model, api,
      template: template.text, system: o.system ?? null, temperature: sampling.temperature, top_p: sampling.topP, top_k: sampling.topK ?? null,
      max_tokens: sampling.maxTokens, stop: sampling.stop ?? null, seed,
    },
    gradingSettings: { last_number_fallback: lastNumberFallback, code_timeout_s: codeTimeoutMs / 1000 },
    seed,
    maxFailures: o.maxFailures ?? 10,
    regrade: o.regrade === true,
    quiet: o.quiet ?? true,
  });
}
