// evaluate(): the evaluation harness as one library call — pass@1 over K samples, unbiased
// pass@k and maj@K on a bundled benchmark or a JSON Lines file, with a local model folder or an
// OpenAI-compatible server. It wires the harness's parts (problems, templates, graders,
// generators, runEval) with the defaults `aha eval` documents; the samples file makes a repeated
// call resume.
import { basename } from 'node:path';
import { AhaError } from '../util/errors.js';
import { benchmarkNames, type BenchmarkFormat } from '../tasks/benchmarks.js';
import { loadDataSet, resolveDataSource } from './data-set.js';
import { EVAL_DEFAULTS as D } from './defaults.js';
import type { ApiKind, Generator, SamplingOptions } from './generator.js';
import { openGenerator } from './open-generator.js';
import type { FieldOptions } from './problems.js';
import { runEval, type EvalResult } from './run.js';
import { chatTemplateArgsSetting, type EvalSettings } from './output.js';
import { RemoteGenerator } from './remote.js';
import { ToolLoopGenerator, TOOL_PROTOCOLS, type ToolLoopOptions, type ToolProtocol } from './tool-chat.js';
import { TOOL_DEFAULTS, toolOptionsProblem, type ToolOptions } from '../tools/options.js';
import { buildTools, splitTools } from '../tools/registry.js';
import type { Tool } from '../tools/tool.js';
import { samplingPrecisionProblem, type SamplingPrecision } from '../model/sampling-precision.js';
import { checkChatTemplateArgs, type ChatTemplateArgs } from '../model/chat-template.js';
import { didYouMean } from '../util/near-name.js';

export interface EvaluateOptions {
  /** A bundled benchmark (gsm8k, math500, aime24, amc23, humaneval, mbpp) or a JSON Lines file. */
  data: string;
  /** A model folder, or with `endpoint` the name the server serves. */
  model: string;
  /** Local model only: a LoRA adapter folder (PEFT layout) applied to `model`. */
  adapter?: string;
  /** OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; absent = the local model folder. */
  endpoint?: string;
  /** chat (default): the prompt is the user message; completions: the raw prompt. */
  api?: ApiKind;
  /** K, samples per problem (default 1). */
  samples?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
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
  /**
   * Extra chat-template variables (transformers' / vLLM's chat_template_kwargs), e.g.
   * { enable_thinking: false } for Qwen3; chat API only.
   */
  chatTemplateArgs?: ChatTemplateArgs;
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
  /** Tools the served model may call while it answers: search, python, or `defineTool` tools (docs/tools.md); default none. */
  tools?: (string | Tool)[];
  /** Tool calls per sample (default 4); a call past it gets an error result, then one last turn without tools. */
  maxToolCalls?: number;
  /** Limit of one tool call, ms (default 10000). */
  toolTimeoutMs?: number;
  /** JSON Lines passages ({"text": …}) the search tool indexes. */
  searchCorpus?: string;
  /** Passages a search returns (default 3). */
  searchTopK?: number;
  /** chat: the chat API's tool calls; text: `<search>…</search>` in the model's text, as aha-trained models write (default: chat with api chat, text with api completions). */
  toolProtocol?: ToolProtocol;
  /** Local model only: f32 (default) or bf16, BF16 matrix products with f32 accumulation (docs/real-models.md). */
  samplingPrecision?: SamplingPrecision;
}

const slug = (s: string) => s.replace(/\/+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(-60) || 'model';

const KNOWN = [
  'data', 'model', 'adapter', 'endpoint', 'api', 'samples', 'temperature', 'topP', 'topK', 'minP', 'repetitionPenalty', 'maxTokens', 'stop', 'concurrency', 'samplesPerRequest', 'seed', 'limit', 'out',
  'promptTemplate', 'system', 'chatTemplateArgs', 'format', 'fields', 'lastNumberFallback', 'codeTimeoutMs', 'apiKey', 'timeoutMs', 'retries', 'maxFailures', 'regrade', 'quiet',
  'tools', 'maxToolCalls', 'toolTimeoutMs', 'searchCorpus', 'searchTopK', 'toolProtocol', 'samplingPrecision',
];

/** Numeric options: [name, least value, integer?, greatest value]. */
const RANGES: [keyof EvaluateOptions, number, boolean, number][] = [
  ['samples', 1, true, 1024], ['temperature', 0, false, 5], ['topP', Number.MIN_VALUE, false, 1], ['topK', 0, true, Infinity], ['minP', 0, false, 1],
  ['repetitionPenalty', Number.MIN_VALUE, false, Infinity], ['maxTokens', 1, true, Infinity],
  ['concurrency', 1, true, 4096], ['samplesPerRequest', 1, true, 1024], ['seed', 0, true, 2 ** 31 - 1], ['limit', 1, true, Infinity],
  ['codeTimeoutMs', 100, false, 600_000], ['timeoutMs', 1, false, Infinity], ['retries', 0, true, 100], ['maxFailures', 1, true, Infinity],
  ['maxToolCalls', 1, true, Infinity], ['toolTimeoutMs', 1, false, Infinity], ['searchTopK', 1, true, Infinity],
];

function checkOptions(o: EvaluateOptions): void {
  if (o === null || typeof o !== 'object') throw new AhaError('evaluate: expected an options object { data, model }');
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) throw new AhaError(`evaluate: unknown option "${k}"${didYouMean(k, KNOWN)}; known: ${KNOWN.join(', ')}`);
  for (const [k, min, integer, max] of RANGES) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) {
      throw new AhaError(`evaluate: ${k} must be ${integer ? 'an integer' : 'a number'} from ${min === Number.MIN_VALUE ? 'above 0' : min}${max === Infinity ? ' up' : ` to ${max}`}, got ${JSON.stringify(v)}`);
    }
  }
  if (o.api !== undefined && o.api !== 'chat' && o.api !== 'completions') throw new AhaError(`evaluate: api must be chat or completions, got ${JSON.stringify(o.api)}`);
  if (o.toolProtocol !== undefined && !TOOL_PROTOCOLS.includes(o.toolProtocol)) throw new AhaError(`evaluate: toolProtocol must be ${TOOL_PROTOCOLS.join(' or ')}, got ${JSON.stringify(o.toolProtocol)}`);
  if (o.chatTemplateArgs !== undefined) {
    checkChatTemplateArgs(o.chatTemplateArgs, 'evaluate: chatTemplateArgs');
    if (Object.keys(o.chatTemplateArgs).length > 0 && o.api === 'completions') throw new AhaError('evaluate: chatTemplateArgs apply to the chat API (api chat); with api completions no chat template is rendered');
  }
  if (o.samplingPrecision !== undefined) {
    const problem = samplingPrecisionProblem(o.samplingPrecision);
    if (problem !== null) throw new AhaError(`evaluate: samplingPrecision: ${problem}`);
  }
}

/** The run's tools, built and checked (names, corpus file, sandbox) before anything is loaded or sent; null = no tools. */
function evalTools(o: EvaluateOptions, api: ApiKind): { loop: ToolLoopOptions; settings: EvalSettings } | null {
  const given = o.tools ?? [];
  if (!Array.isArray(given)) throw new AhaError('evaluate: tools must be a list of tool names or defineTool tools');
  const { names, own } = splitTools(given);
  const options: ToolOptions = {
    tools: names,
    max_tool_calls: o.maxToolCalls ?? TOOL_DEFAULTS.max_tool_calls,
    tool_timeout: o.toolTimeoutMs === undefined ? TOOL_DEFAULTS.tool_timeout : o.toolTimeoutMs / 1000,
    search_corpus: o.searchCorpus ?? null,
    search_top_k: o.searchTopK ?? TOOL_DEFAULTS.search_top_k,
  };
  const problem = toolOptionsProblem(options);
  if (problem) throw new AhaError(`evaluate: ${problem}`);
  if (names.length === 0) {
    if (o.toolProtocol !== undefined) throw new AhaError('evaluate: toolProtocol is set but tools is empty');
    return null;
  }
  if (o.endpoint === undefined) {
    throw new AhaError('evaluate: tools need an OpenAI-compatible server (endpoint); a local model folder is evaluated with tools by training\'s held-out evaluation (aha train --tools …) or served first');
  }
  const protocol = o.toolProtocol ?? (api === 'chat' ? 'chat' : 'text');
  if (protocol === 'chat' && api !== 'chat') throw new AhaError('evaluate: tool protocol chat needs api chat (the completions API has no tool calls); use tool protocol text');
  const tools = buildTools({ ...options, task: null }, own);
  return {
    loop: { tools, maxToolCalls: options.max_tool_calls, toolTimeoutMs: options.tool_timeout * 1000, protocol },
    settings: { tools: names, tool_protocol: protocol, max_tool_calls: options.max_tool_calls, tool_timeout_s: options.tool_timeout, search_corpus: options.search_corpus, search_top_k: options.search_top_k },
  };
}

/** Evaluates a model on a data set and returns pass@k / maj@K with per-problem results. */
export async function evaluate(o: EvaluateOptions): Promise<EvalResult> {
  return (await runEvaluation(o)).result;
}

/** What `aha eval` prints besides the result: the data set's short name and the generator's description. */
export interface Evaluation {
  result: EvalResult;
  label: string;
  description: string;
}

/**
 * `evaluate`, also returning the names a summary shows. Everything is checked (options, data
 * file, template) before a model loads or a request is sent.
 */
export async function runEvaluation(o: EvaluateOptions, names: { samplingPrecision: string } = { samplingPrecision: 'evaluate: samplingPrecision' }): Promise<Evaluation> {
  checkOptions(o);
  if (typeof o.data !== 'string') throw new AhaError(`evaluate: data is required: a JSON Lines file or a bundled benchmark (${benchmarkNames().join(', ')})`);
  if (typeof o.model !== 'string') throw new AhaError('evaluate: model is required: a model folder, or with endpoint the served model name');
  const remote = o.endpoint !== undefined;
  const api = o.api ?? 'chat';
  const lastNumberFallback = o.lastNumberFallback ?? true;
  const codeTimeoutMs = o.codeTimeoutMs ?? D.codeTimeoutS * 1000;
  const data = await loadDataSet(resolveDataSource(o.data), {
    format: o.format, fields: o.fields, limit: o.limit, promptTemplate: o.promptTemplate, api, lastNumberFallback, codeTimeoutMs,
  });
  const tools = evalTools(o, api);
  const templateArgs = o.chatTemplateArgs !== undefined && Object.keys(o.chatTemplateArgs).length > 0 ? o.chatTemplateArgs : null;
  const sampling: SamplingOptions = { temperature: o.temperature ?? D.temperature, topP: o.topP ?? D.topP, maxTokens: o.maxTokens ?? (remote ? D.maxTokensRemote : D.maxTokensLocal) };
  if (o.topK !== undefined) sampling.topK = o.topK;
  if (o.minP !== undefined) sampling.minP = o.minP;
  if (o.repetitionPenalty !== undefined) sampling.repetitionPenalty = o.repetitionPenalty;
  const stop = o.stop ?? data.stop;
  if (stop !== undefined) sampling.stop = stop;
  const opened = await openGenerator({
    model: o.model, adapter: o.adapter, endpoint: o.endpoint, api, apiKey: o.apiKey, system: o.system,
    ...(templateArgs !== null ? { chatTemplateArgs: templateArgs } : {}),
    timeoutS: o.timeoutMs === undefined ? undefined : o.timeoutMs / 1000, retries: o.retries,
    ...(o.samplingPrecision !== undefined ? { precision: { value: o.samplingPrecision, option: names.samplingPrecision } } : {}),
  });
  let generator: Generator = opened;
  if (tools) {
    if (!(opened instanceof RemoteGenerator)) throw new Error('internal: tools need the remote generator');
    generator = new ToolLoopGenerator(opened, tools.loop);
  }
  const seed = o.seed ?? D.seed;
  const result = await runEval({
    problems: data.problems,
    samples: o.samples ?? D.samples,
    generator,
    sampling,
    template: data.template,
    grader: data.grader,
    concurrency: o.concurrency ?? D.concurrency,
    samplesPerRequest: o.samplesPerRequest ?? D.samplesPerRequest,
    outFile: o.out ?? `runs/eval-${data.label}-${slug(remote ? o.model : basename(o.model))}.jsonl`,
    settings: {
      data: data.key, format: data.format, backend: remote ? 'remote' : 'local', model: o.model, api,
      template: data.template.text, system: o.system ?? null,
      // Recorded only when given, so samples files written before the option resume as they were.
      ...chatTemplateArgsSetting(templateArgs),
      temperature: sampling.temperature, top_p: sampling.topP, top_k: sampling.topK ?? null,
      min_p: sampling.minP ?? null, repetition_penalty: sampling.repetitionPenalty ?? null,
      max_tokens: sampling.maxTokens, stop: sampling.stop ?? null, seed, ...(tools?.settings ?? {}),
      // Recorded only when not f32, so samples files written before the option resume as they were.
      ...(o.samplingPrecision === 'bf16' ? { sampling_precision: 'bf16' } : {}),
    },
    gradingSettings: { last_number_fallback: lastNumberFallback, code_timeout_s: codeTimeoutMs / 1000 },
    seed,
    maxFailures: o.maxFailures ?? D.maxFailures,
    regrade: o.regrade === true,
    quiet: o.quiet ?? true,
  });
  return { result, label: data.label, description: generator.description };
}
