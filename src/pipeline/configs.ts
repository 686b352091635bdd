// The configuration of each stage kind: which keys a recipe may give (the CLI command's option
// names in snake_case, or the trainer's config names for grpo), their types, ranges and
// defaults. Checking is cheap and opens no model, so a whole recipe is validated before its
// first stage runs. `aha sample` parses its flags into the same SampleConfig.
import { AhaError } from '../util/errors.js';
import { configFieldOf, DEFAULT_CONFIG as GRPO_DEFAULTS, parseRewardSpecs, validateConfig, type GrpoConfig, type RewardSpec } from '../rl/config.js';
import { SFT_DEFAULTS, type SftOptions } from '../sft/sft-run.js';
import { assertTrainable, parseLoraSpec } from '../model/lora.js';
import { DEFAULT_FILTERS, DEFAULT_THRESHOLDS, FILTER_NAMES, parseFilterNames, type FilterName, type FilterThresholds } from './filters.js';
import type { KeepMode } from './rejection-sampling.js';
import type { FieldOptions } from '../eval/problems.js';
import { EVAL_DEFAULTS } from '../eval/defaults.js';
import { listTasks } from '../tasks/index.js';
import type { RmTrainOptions } from '../rm/train.js';
import { SAMPLING_PRECISIONS, type SamplingPrecision } from '../model/sampling-precision.js';
import { chatTemplateArgsProblem, type ChatTemplateArgs } from '../model/chat-template.js';
import { didYouMean } from '../util/near-name.js';

export type StageKind = 'sft' | 'grpo' | 'sample' | 'eval' | 'reward_model';
export const STAGE_KINDS: readonly StageKind[] = ['sft', 'grpo', 'sample', 'eval', 'reward_model'];

type FieldType = 'string' | 'int' | 'number' | 'bool' | 'strings' | 'ints' | 'mapping';

interface Field {
  type: FieldType;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /**
   * A mapping's own check (required for type mapping): what is wrong with the value, naming the
   * entry at fault (`name`, reported as field.name) or the whole (null); null when it is fine.
   */
  check?: (v: unknown) => { name: string | null; problem: string } | null;
}

export type Schema = Record<string, Field>;

/** Thrown with the offending key so callers can name the stage, field and YAML line. */
export class ConfigFieldError extends AhaError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`field "${field}": ${problem}`);
    this.name = 'ConfigFieldError';
  }
}

function checkField(key: string, f: Field, v: unknown): unknown {
  const bad = (what: string) => new ConfigFieldError(key, `${what}, got ${JSON.stringify(v)?.slice(0, 60)}`);
  const range = (x: number) => {
    const least = f.min === Number.MIN_VALUE ? 'above 0' : f.max !== undefined ? `between ${f.min}` : `>= ${f.min}`;
    if ((f.min !== undefined && x < f.min) || (f.max !== undefined && x > f.max)) throw bad(`must be ${least}${f.max !== undefined ? ` and ${f.min === Number.MIN_VALUE ? 'at most ' : ''}${f.max}` : ''}`);
  };
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string' || v === '') throw bad('must be a non-empty string');
      if (f.choices && !f.choices.includes(v)) throw bad(`must be one of ${f.choices.join(', ')}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad('must be true or false');
      return v;
    case 'int':
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v) || (f.type === 'int' && !Number.isInteger(v))) throw bad(`must be ${f.type === 'int' ? 'an integer' : 'a number'}`);
      range(v);
      return v;
    case 'strings': {
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x !== '')) throw bad('must be a string or a list of strings');
      return list;
    }
    case 'mapping': {
      // A YAML mapping (`chat_template_kwargs: {enable_thinking: false}`), not a name=value list.
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('must be a mapping of names to values');
      const p = f.check!(v);
      if (p !== null) throw new ConfigFieldError(p.name === null ? key : `${key}.${p.name}`, p.problem);
      return v;
    }
    case 'ints': {
      const list = typeof v === 'number' ? [v] : v;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isInteger(x))) throw bad('must be an integer or a list of integers');
      (list as number[]).forEach(range);
      return list;
    }
  }
}

/** Checks every key against the schema (unknown keys are errors) and returns the typed values. */
export function checkSchema(schema: Schema, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    const f = schema[k];
    if (!f) throw new ConfigFieldError(k, `unknown option${didYouMean(k, Object.keys(schema))}; known: ${Object.keys(schema).join(', ')}`);
    if (v === null || v === undefined) continue;
    out[k] = checkField(k, f, v);
  }
  return out;
}

/** Chat-template variables (TRL's / vLLM's chat_template_kwargs), checked as every command checks them. */
const TEMPLATE_ARGS: Field = { type: 'mapping', check: chatTemplateArgsProblem };

// ---- sample and eval: generation over a problem source ----

const GENERATION: Schema = {
  model: { type: 'string' },
  endpoint: { type: 'string' },
  api: { type: 'string', choices: ['chat', 'completions'] },
  system: { type: 'string' },
  data: { type: 'string' },
  split: { type: 'string', choices: ['train', 'heldout'] },
  count: { type: 'int', min: 1 },
  difficulty: { type: 'ints', min: 1 },
  data_seed: { type: 'int', min: 0 },
  limit: { type: 'int', min: 1 },
  prompt_template: { type: 'string' },
  problem_field: { type: 'string' },
  answer_field: { type: 'string' },
  solution_field: { type: 'string' },
  id_field: { type: 'string' },
  samples: { type: 'int', min: 1, max: 1024 },
  temperature: { type: 'number', min: 0, max: 5 },
  top_p: { type: 'number', min: Number.MIN_VALUE, max: 1 },
  max_tokens: { type: 'int', min: 1 },
  concurrency: { type: 'int', min: 1, max: 4096 },
  samples_per_request: { type: 'int', min: 1, max: 1024 },
  seed: { type: 'int', min: 0, max: 2 ** 31 - 1 },
  timeout: { type: 'number', min: 0.001 },
  retries: { type: 'int', min: 0, max: 100 },
  max_failures: { type: 'int', min: 1 },
  sampling_precision: { type: 'string', choices: SAMPLING_PRECISIONS },
  chat_template_kwargs: TEMPLATE_ARGS,
};

export const SAMPLE_SCHEMA: Schema = {
  ...GENERATION,
  keep: { type: 'string', choices: ['correct', 'all'] },
  filters: { type: 'strings' },
  language: { type: 'string' },
  min_language: { type: 'number', min: 0, max: 1 },
  min_chars: { type: 'int', min: 0 },
  max_chars: { type: 'int', min: 1 },
  ngram: { type: 'int', min: 1 },
  max_ngram_repeats: { type: 'int', min: 1 },
  max_paragraph_chars: { type: 'int', min: 1 },
  // Pipeline only: fewer kept samples fail the stage (the next stage would train on nothing).
  min_kept: { type: 'int', min: 0 },
};

export const EVAL_SCHEMA: Schema = GENERATION;

/** A generation stage's settings, resolved with defaults. */
export interface GenerationConfig {
  model: string;
  endpoint?: string;
  api: 'chat' | 'completions';
  system?: string;
  data: string;
  split?: 'train' | 'heldout';
  count?: number;
  difficulty?: number[];
  dataSeed: number;
  limit?: number;
  promptTemplate?: string;
  /** File data: which record fields hold the problem, answer, solution and id (eval harness names). */
  fields: FieldOptions;
  samples: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  concurrency: number;
  samplesPerRequest: number;
  seed: number;
  timeoutS: number;
  retries: number;
  maxFailures: number;
  /** Local model only: the precision it samples in (f32 default, or bf16). */
  samplingPrecision: SamplingPrecision;
  /** Chat API: variables for the chat template (rendered locally, or sent to a server as chat_template_kwargs); none when empty. */
  chatTemplateArgs: ChatTemplateArgs;
}

export interface SampleConfig extends GenerationConfig {
  keep: KeepMode;
  filters: FilterName[];
  thresholds: FilterThresholds;
  /** The pipeline's sample stage fails when it keeps fewer (default 1). */
  minKept: number;
}

/** Options of a task's problem generator (docs/pipeline.md), meaningless for a file or benchmark. */
const TASK_ONLY_FIELDS = ['count', 'split', 'difficulty', 'data_seed'];

function generationConfig(c: Record<string, unknown>, defaults: { samples: number; temperature: number; split: 'train' | 'heldout' }): GenerationConfig {
  if (c.model === undefined) throw new ConfigFieldError('model', c.endpoint !== undefined ? 'required with endpoint (the model name the server serves)' : 'required: a model folder, or with endpoint the served model name');
  if (c.data === undefined) throw new ConfigFieldError('data', 'required: a JSON Lines file, a task name or a bundled benchmark');
  // The problem generator's options mean nothing for a file or a benchmark: refused, not ignored
  // (count 3 on gsm8k would otherwise sample all 1,319 problems).
  const tasks = listTasks().map((t) => t.name);
  const taskOnly = TASK_ONLY_FIELDS.find((f) => c[f] !== undefined);
  if (taskOnly !== undefined && !tasks.includes(c.data as string)) {
    throw new ConfigFieldError(taskOnly, `applies to task data (${tasks.join(', ')}) only; "${c.data as string}" is a file or benchmark, of which limit takes the first n problems`);
  }
  const remote = c.endpoint !== undefined;
  const api = (c.api as GenerationConfig['api'] | undefined) ?? (remote ? 'chat' : 'completions');
  const templateArgs = (c.chat_template_kwargs as ChatTemplateArgs | undefined) ?? {};
  if (Object.keys(templateArgs).length > 0 && api === 'completions') {
    throw new ConfigFieldError('chat_template_kwargs', `applies to api chat: with api completions${c.api === undefined ? ' (the default for a model folder)' : ''} no chat template is rendered`);
  }
  return {
    model: c.model as string,
    endpoint: c.endpoint as string | undefined,
    // Tasks' prompts are complete base-model frames; everything else goes to chat models by default.
    api,
    system: c.system as string | undefined,
    data: c.data as string,
    split: (c.split as GenerationConfig['split']) ?? defaults.split,
    count: c.count as number | undefined,
    difficulty: c.difficulty as number[] | undefined,
    dataSeed: (c.data_seed as number | undefined) ?? 0,
    limit: c.limit as number | undefined,
    promptTemplate: c.prompt_template as string | undefined,
    fields: { problem: c.problem_field as string | undefined, answer: c.answer_field as string | undefined, solution: c.solution_field as string | undefined, id: c.id_field as string | undefined },
    samples: (c.samples as number | undefined) ?? defaults.samples,
    temperature: (c.temperature as number | undefined) ?? defaults.temperature,
    topP: (c.top_p as number | undefined) ?? EVAL_DEFAULTS.topP,
    // aha's own models are sampled shorter here than `aha eval` does: rejection sampling wants many cheap tries.
    maxTokens: (c.max_tokens as number | undefined) ?? (remote ? EVAL_DEFAULTS.maxTokensRemote : 256),
    concurrency: (c.concurrency as number | undefined) ?? EVAL_DEFAULTS.concurrency,
    samplesPerRequest: (c.samples_per_request as number | undefined) ?? EVAL_DEFAULTS.samplesPerRequest,
    seed: (c.seed as number | undefined) ?? EVAL_DEFAULTS.seed,
    timeoutS: (c.timeout as number | undefined) ?? EVAL_DEFAULTS.timeoutS,
    retries: (c.retries as number | undefined) ?? EVAL_DEFAULTS.retries,
    maxFailures: (c.max_failures as number | undefined) ?? EVAL_DEFAULTS.maxFailures,
    samplingPrecision: (c.sampling_precision as SamplingPrecision | undefined) ?? 'f32',
    chatTemplateArgs: templateArgs,
  };
}

export function sampleConfig(raw: Record<string, unknown>): SampleConfig {
  const c = checkSchema(SAMPLE_SCHEMA, raw);
  const g = generationConfig(c, { samples: 4, temperature: 0.7, split: 'train' });
  let filters: FilterName[] = [...DEFAULT_FILTERS];
  if (c.filters !== undefined) {
    const parsed = parseFilterNames(c.filters as string[]);
    if ('unknown' in parsed) throw new ConfigFieldError('filters', `unknown filter "${parsed.unknown}"; known: ${FILTER_NAMES.join(', ')} (or none)`);
    filters = parsed.names;
  }
  const t: FilterThresholds = {
    language: (c.language as string | undefined) ?? DEFAULT_THRESHOLDS.language,
    minLanguage: (c.min_language as number | undefined) ?? DEFAULT_THRESHOLDS.minLanguage,
    minChars: (c.min_chars as number | undefined) ?? DEFAULT_THRESHOLDS.minChars,
    maxChars: (c.max_chars as number | undefined) ?? DEFAULT_THRESHOLDS.maxChars,
    ngram: (c.ngram as number | undefined) ?? DEFAULT_THRESHOLDS.ngram,
    maxNgramRepeats: (c.max_ngram_repeats as number | undefined) ?? DEFAULT_THRESHOLDS.maxNgramRepeats,
    maxParagraphChars: (c.max_paragraph_chars as number | undefined) ?? DEFAULT_THRESHOLDS.maxParagraphChars,
  };
  if (t.maxChars < t.minChars) throw new ConfigFieldError('max_chars', `must be at least min_chars (${t.minChars})`);
  return { ...g, keep: (c.keep as KeepMode | undefined) ?? 'correct', filters, thresholds: t, minKept: (c.min_kept as number | undefined) ?? 1 };
}

export function evalConfig(raw: Record<string, unknown>): GenerationConfig {
  return generationConfig(checkSchema(EVAL_SCHEMA, raw), { samples: EVAL_DEFAULTS.samples, temperature: EVAL_DEFAULTS.temperature, split: 'heldout' });
}

// ---- sft: the `aha sft` flags in snake_case ----

export const SFT_SCHEMA: Schema = {
  model: { type: 'string' },
  data: { type: 'strings' },
  eval_data: { type: 'string' },
  eval_fraction: { type: 'number', min: 0, max: 0.5 },
  epochs: { type: 'int', min: 1 },
  steps: { type: 'int', min: 1 },
  max_length: { type: 'int', min: 2 },
  batch_size: { type: 'int', min: 1 },
  grad_accum: { type: 'int', min: 1 },
  lr: { type: 'number', min: 0 },
  schedule: { type: 'string', choices: ['constant', 'linear', 'cosine'] },
  warmup_steps: { type: 'int', min: 0 },
  min_lr_ratio: { type: 'number', min: 0, max: 1 },
  weight_decay: { type: 'number', min: 0 },
  max_grad_norm: { type: 'number', min: 0 },
  eval_steps: { type: 'int', min: 0 },
  save_steps: { type: 'int', min: 0 },
  seed: { type: 'int', min: 0, max: 2 ** 32 - 1 },
  threads: { type: 'int', min: 1, max: 256 },
  packing: { type: 'bool' },
  lora: { type: 'string' },
  chat_template_kwargs: TEMPLATE_ARGS,
};

/** SFT options from a stage config; `data` may list several files, which are mixed (concatenated). */
export function sftConfig(raw: Record<string, unknown>): { options: Omit<SftOptions, 'data'>; data: string[] } {
  const c = checkSchema(SFT_SCHEMA, raw);
  if (c.model === undefined) throw new ConfigFieldError('model', 'required: the model folder to fine-tune');
  if (c.data === undefined) throw new ConfigFieldError('data', 'required: a JSON Lines file (or a list of files to mix)');
  const d = SFT_DEFAULTS;
  const pick = <T>(key: string, fallback: T): T => (c[key] as T | undefined) ?? fallback;
  return {
    data: c.data as string[],
    options: {
      ...d,
      model: c.model as string,
      evalData: pick<string | null>('eval_data', d.evalData),
      evalFraction: pick('eval_fraction', d.evalFraction),
      epochs: pick('epochs', d.epochs),
      steps: pick<number | null>('steps', d.steps),
      seqLen: pick('max_length', d.seqLen),
      batchSize: pick('batch_size', d.batchSize),
      gradAccum: pick('grad_accum', d.gradAccum),
      lr: pick('lr', d.lr),
      schedule: pick('schedule', d.schedule),
      warmupSteps: pick('warmup_steps', d.warmupSteps),
      minLrRatio: pick('min_lr_ratio', d.minLrRatio),
      weightDecay: pick('weight_decay', d.weightDecay),
      maxGradNorm: pick('max_grad_norm', d.maxGradNorm),
      evalSteps: pick('eval_steps', d.evalSteps),
      saveSteps: pick('save_steps', d.saveSteps),
      seed: pick('seed', d.seed),
      threads: pick<number | null>('threads', d.threads),
      batching: c.packing === true ? 'packed' : d.batching,
      lora: c.lora === undefined ? d.lora : checkLora(c.lora as string),
      chatTemplateArgs: pick<ChatTemplateArgs>('chat_template_kwargs', d.chatTemplateArgs),
    },
  };
}

/** A stage's `lora:` spec, checked as `--lora` is (errors name the field). */
function checkLora(spec: string): string {
  try {
    assertTrainable(parseLoraSpec(spec, 'lora'), 'lora');
  } catch (err) {
    if (err instanceof AhaError) throw new ConfigFieldError('lora', err.message.replace(/^lora: /, ''));
    throw err;
  }
  return spec;
}

// ---- grpo: the trainer's config names (TRL GRPOConfig), as in `aha train --config` ----

const GRPO_ALIASES: Record<string, keyof GrpoConfig> = { group_size: 'num_generations', reward: 'rewards', reward_funcs: 'rewards', warmup: 'warmup_steps' };

/** The GRPO config of a stage (output_dir is the stage folder, set by the pipeline). */
export function grpoConfig(raw: Record<string, unknown>, outputDir: string): GrpoConfig {
  const cfg = { ...GRPO_DEFAULTS, task: 'arithmetic' } as unknown as Record<string, unknown>;
  if ('data' in raw && !('task' in raw)) cfg.task = null;
  for (const [k, v] of Object.entries(raw)) {
    const key = GRPO_ALIASES[k] ?? k;
    if (key === 'output_dir') throw new ConfigFieldError(k, 'set by the pipeline (the stage folder); remove it');
    if (!(key in GRPO_DEFAULTS)) throw new ConfigFieldError(k, `unknown option${didYouMean(k, Object.keys(GRPO_DEFAULTS).filter((x) => x !== 'output_dir'))}; known: ${Object.keys(GRPO_DEFAULTS).filter((x) => x !== 'output_dir').join(', ')}`);
    if (key === 'rewards') {
      let specs: RewardSpec[];
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) specs = parseRewardSpecs(v as string | string[]);
      else if (Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && typeof (x as RewardSpec).name === 'string')) specs = (v as RewardSpec[]).map((x) => ({ name: x.name, weight: x.weight ?? 1 }));
      else throw new ConfigFieldError(k, 'expected "name:weight,..." or a list of {name, weight}');
      cfg.rewards = specs;
    } else {
      // The same check as the other stages' mapping, so an error names the entry and its line.
      if (key === 'chat_template_kwargs') checkField(k, TEMPLATE_ARGS, v);
      cfg[key] = v;
    }
  }
  cfg.output_dir = outputDir;
  const out = cfg as unknown as GrpoConfig;
  try {
    validateConfig(out);
  } catch (err) {
    if (err instanceof AhaError) throw new ConfigFieldError(configFieldOf(err.message, Object.keys(raw)) ?? 'config', err.message);
    throw err;
  }
  return out;
}

const RM_SCHEMA: Schema = {
  model: { type: 'string' },
  data: { type: 'string' },
  kind: { type: 'string', choices: ['preference', 'outcome', 'process'] },
  eval_data: { type: 'string' },
  eval_fraction: { type: 'number', min: 0, max: 0.9 },
  epochs: { type: 'int', min: 1 },
  batch_size: { type: 'int', min: 1 },
  lr: { type: 'number', min: 1e-12 },
  weight_decay: { type: 'number', min: 0 },
  lora: { type: 'string' },
  step_separator: { type: 'string' },
  seed: { type: 'int', min: 0 },
  threads: { type: 'int', min: 0 },
};

/** `aha rm train` options from a reward_model stage config (the output folder is the stage's). */
export function rewardModelConfig(raw: Record<string, unknown>): Omit<RmTrainOptions, 'output'> {
  const c = checkSchema(RM_SCHEMA, raw);
  if (c.model === undefined) throw new ConfigFieldError('model', 'required: the base model folder');
  if (c.data === undefined) throw new ConfigFieldError('data', 'required: JSON Lines of preference pairs, outcome or step labels');
  if (c.lora !== undefined) checkLora(c.lora as string);
  return {
    model: c.model as string,
    data: c.data as string,
    kind: (c.kind as RmTrainOptions['kind']) ?? null,
    evalData: (c.eval_data as string | undefined) ?? null,
    evalFraction: c.eval_fraction as number | undefined,
    epochs: c.epochs as number | undefined,
    batchSize: c.batch_size as number | undefined,
    learningRate: c.lr as number | undefined,
    weightDecay: c.weight_decay as number | undefined,
    lora: (c.lora as string | undefined) ?? null,
    stepSeparator: c.step_separator as string | undefined,
    seed: c.seed as number | undefined,
    threads: c.threads as number | undefined,
  };
}
