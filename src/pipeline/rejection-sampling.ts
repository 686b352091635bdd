// Rejection sampling (R1's second data-collection step, and distillation data): K completions
// per problem from a model or a served teacher, graded by the verifiers, passed through the
// readability filters, deduplicated, and written as SFT JSON Lines with provenance. Generation
// and grading are the eval harness's run (so the raw samples file resumes after a crash and
// refuses to mix settings); this file owns the selection and the data set.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { atomicWriteFile } from '../util/atomic.js';
import { AhaError } from '../util/errors.js';
import { writeJsonl } from '../util/jsonl.js';
import type { Generator, SamplingOptions } from '../eval/generator.js';
import { chatTemplateArgsSetting, outputPaths, readSamples, type EvalSettings, type SampleRecord } from '../eval/output.js';
import { runEval } from '../eval/run.js';
import { renderPrompt } from '../eval/templates.js';
import { afterPromptOpening } from '../tasks/task.js';
import { applyFilters, DEFAULT_THRESHOLDS, normaliseCompletion, type FilterName, type FilterThresholds } from './filters.js';
import { loadProblemSet, sourceName, type ProblemSet } from './problems.js';
import { openGenerator, type GeneratorSpec } from '../eval/open-generator.js';
import type { GenerationConfig, SampleConfig } from './configs.js';
import type { SamplingPrecision } from '../model/sampling-precision.js';

export type KeepMode = 'correct' | 'all';

export interface RejectionSamplingOptions {
  problems: ProblemSet;
  generator: Generator;
  sampling: SamplingOptions;
  /** K: completions per problem. */
  samples: number;
  /** The SFT data set to write (JSON Lines). The raw samples go to `<out>.samples.jsonl`. */
  out: string;
  keep: KeepMode;
  filters: readonly FilterName[];
  thresholds?: FilterThresholds;
  /** Provenance: the model folder or "endpoint model". */
  source: string;
  /** What decides a sample besides the data and template (model, sampling …): checked on resume. */
  settings: EvalSettings;
  concurrency: number;
  samplesPerRequest?: number;
  seed: number;
  maxFailures?: number;
  quiet?: boolean;
  /**
   * Raw samples made under other settings are deleted and sampling starts over (the pipeline,
   * whose recipe is the record of the settings); by default such a file is an error.
   */
  restartOnNewSettings?: boolean;
  /** Stop starting requests once aborted (runEval's EvalStopped then propagates; the samples drawn are kept). */
  signal?: AbortSignal;
  /** The timestamp written into the records (tests pin it). */
  now?: () => Date;
}

/** One line of the SFT data set. */
export interface SftSampleRecord {
  prompt: string;
  completion: string;
  source: string;
  problem_id: string;
  sample: number;
  /** 1 when the verifier accepted the answer, else 0. */
  reward: number;
  answer: string | null;
  gold: string;
  filters_passed: FilterName[];
  created_at: string;
}

export interface RejectionSamplingSummary {
  problems: number;
  /** Completions judged (K per problem). */
  samples: number;
  generated: number;
  resumed: number;
  kept: number;
  /** Problems with at least one kept completion. */
  problemsKept: number;
  /** Rejections by their first reason: incorrect, truncated, a filter's name, duplicate. */
  rejected: Record<string, number>;
  /** Share of the judged completions the verifier accepted. */
  accuracy: number;
  out: string;
  samplesFile: string;
  seconds: number;
}

/** `runs/x.jsonl` -> `runs/x.samples.jsonl`: where the raw, resumable samples go. */
export function rawSamplesFile(out: string): string {
  return (out.endsWith('.jsonl') ? out.slice(0, -'.jsonl'.length) : out) + '.samples.jsonl';
}

export function summaryFile(out: string): string {
  return (out.endsWith('.jsonl') ? out.slice(0, -'.jsonl'.length) : out) + '.summary.json';
}

interface Decision {
  keep: boolean;
  reason?: string;
  passed: FilterName[];
}

/** Why a sample is not kept (its first reason), or that it is, with the filters it passed. */
export function judgeSample(rec: Pick<SampleRecord, 'completion' | 'correct' | 'finish_reason'>, keep: KeepMode, filters: readonly FilterName[], t: FilterThresholds): Decision {
  const report = applyFilters(rec.completion, filters, t);
  if (keep === 'correct' && !rec.correct) return { keep: false, reason: 'incorrect', passed: report.passed };
  // A completion cut by the token limit is not a whole trace, whatever it contains.
  if (rec.finish_reason === 'length') return { keep: false, reason: 'truncated', passed: report.passed };
  if (report.failed.length > 0) return { keep: false, reason: report.failed[0].filter, passed: report.passed };
  return { keep: true, passed: report.passed };
}

/**
 * The whole trace a sample stands for, as the filters judge it and the SFT data holds it. A
 * reasoning model's thinking can come apart from its answer in two ways: a server's reasoning
 * parser returns it on its own (vLLM's and SGLang's `reasoning_content`, kept as `reasoning`), and
 * a chat template that opens the think block itself (R1-Distill's ends its generation prompt with
 * "<think>\n") leaves the completion starting inside the block, with a "</think>" and no "<think>".
 * Either way the thinking goes back inside <think> … </think> before the answer: otherwise the tags
 * filter would reject every such sample, or the student would be distilled on answers alone.
 */
export function fullTrace(rec: Pick<SampleRecord, 'completion' | 'reasoning'>): string {
  const c = rec.completion;
  const reasoning = rec.reasoning?.trim() ?? '';
  if (reasoning !== '' && !c.includes('<think>') && !c.includes('</think>')) {
    // A parser that found no closing tag leaves the content empty, and the sample's text is then
    // the reasoning itself (eval/remote.ts): the thinking never ended.
    if (c === rec.reasoning) return `<think>\n${reasoning}`;
    return `<think>\n${reasoning}\n</think>\n\n${c.trimStart()}`;
  }
  const close = c.indexOf('</think>');
  const open = c.indexOf('<think>');
  if (close >= 0 && (open < 0 || open > close)) return (c.startsWith('\n') ? '<think>' : '<think>\n') + c;
  return c;
}

/**
 * Selects the kept samples of a finished samples file: problems in order, samples by index,
 * the first copy of a (problem, normalised completion) pair wins.
 */
export function selectSamples(
  problems: ProblemSet,
  have: Map<string, Map<number, SampleRecord>>,
  opts: Pick<RejectionSamplingOptions, 'samples' | 'keep' | 'filters' | 'thresholds' | 'source'> & { createdAt: string },
): { records: SftSampleRecord[]; rejected: Record<string, number>; problemsKept: number; correct: number; judged: number } {
  const t = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const records: SftSampleRecord[] = [];
  const rejected: Record<string, number> = {};
  let problemsKept = 0;
  let correct = 0;
  let judged = 0;
  for (const p of problems.problems) {
    const m = have.get(p.id);
    const seen = new Set<string>();
    let keptHere = 0;
    for (let i = 0; i < opts.samples; i++) {
      const rec = m?.get(i);
      if (!rec) continue;
      judged += 1;
      if (rec.correct) correct += 1;
      const trace = fullTrace(rec);
      const d = judgeSample({ ...rec, completion: trace }, opts.keep, opts.filters, t);
      let reason = d.reason;
      const key = normaliseCompletion(trace);
      if (d.keep && seen.has(key)) reason = 'duplicate';
      if (reason !== undefined) {
        rejected[reason] = (rejected[reason] ?? 0) + 1;
        continue;
      }
      seen.add(key);
      keptHere += 1;
      const prompt = renderPrompt(problems.template, p.problem);
      records.push({
        prompt,
        // The filters judge the whole trace, but a prompt that opened the think block itself
        // (a template ending "<think>") already holds the opening: prompt + completion is the
        // text SFT trains on, where a second <think> would teach the student to open it twice.
        completion: afterPromptOpening(prompt, trace),
        source: opts.source,
        problem_id: p.id,
        sample: i,
        reward: rec.correct ? 1 : 0,
        answer: rec.extracted,
        gold: p.gold,
        filters_passed: d.passed,
        created_at: opts.createdAt,
      });
    }
    if (keptHere > 0) problemsKept += 1;
  }
  return { records, rejected, problemsKept, correct, judged };
}

/** Deletes a raw samples file (and its companions) that was made under other settings. */
function clearIfOtherSettings(samplesFile: string, settings: EvalSettings): void {
  const paths = outputPaths(samplesFile);
  if (!existsSync(paths.settings)) return;
  const old = JSON.parse(readFileSync(paths.settings, 'utf8')) as EvalSettings;
  const same = Object.keys({ ...old, ...settings }).every((k) => JSON.stringify(old[k] ?? null) === JSON.stringify(settings[k] ?? null));
  if (!same) for (const f of [paths.samples, paths.problems, paths.settings]) rmSync(f, { force: true });
}

export async function runRejectionSampling(opts: RejectionSamplingOptions): Promise<RejectionSamplingSummary> {
  if (opts.problems.problems.length === 0) throw new AhaError('rejection sampling: no problems to sample');
  const started = Date.now();
  const samplesFile = rawSamplesFile(opts.out);
  // The data set is written at the end: a file there that no earlier run of this wrote (no raw
  // samples, no summary beside it) is someone's data, refused before sampling, not replaced after.
  if (existsSync(opts.out) && !existsSync(samplesFile) && !existsSync(summaryFile(opts.out))) {
    throw new AhaError(`--out ${opts.out} already exists and was not written by aha sample; choose another --out`);
  }
  const settings: EvalSettings = { ...opts.settings, data: opts.problems.key, template: opts.problems.template.text, seed: opts.seed };
  if (opts.restartOnNewSettings) clearIfOtherSettings(samplesFile, settings);
  const result = await runEval({
    problems: opts.problems.problems,
    samples: opts.samples,
    generator: opts.generator,
    sampling: opts.sampling,
    template: opts.problems.template,
    grader: opts.problems.grader,
    concurrency: opts.concurrency,
    samplesPerRequest: opts.samplesPerRequest ?? 1,
    outFile: samplesFile,
    settings,
    seed: opts.seed,
    maxFailures: opts.maxFailures,
    quiet: opts.quiet,
    signal: opts.signal,
  });
  const have = readSamples(samplesFile);
  const createdAt = (opts.now ?? (() => new Date()))().toISOString();
  const sel = selectSamples(opts.problems, have, { ...opts, createdAt });
  writeJsonl(opts.out, sel.records);
  const summary: RejectionSamplingSummary = {
    problems: opts.problems.problems.length,
    samples: sel.judged,
    generated: result.generated,
    resumed: result.resumed,
    kept: sel.records.length,
    problemsKept: sel.problemsKept,
    rejected: sel.rejected,
    accuracy: sel.judged > 0 ? sel.correct / sel.judged : 0,
    out: opts.out,
    samplesFile,
    seconds: (Date.now() - started) / 1000,
  };
  atomicWriteFile(summaryFile(opts.out), JSON.stringify({ ...summary, filters: opts.filters, keep: opts.keep, thresholds: opts.thresholds ?? DEFAULT_THRESHOLDS, source: opts.source }, null, 2) + '\n');
  return summary;
}

/** Human-readable summary: kept, and rejected by reason. */
export function formatSummary(s: RejectionSamplingSummary): string {
  const reasons = Object.entries(s.rejected).sort((a, b) => b[1] - a[1]);
  const lines = [
    `problems ${s.problems}, completions judged ${s.samples} (${s.generated} new, ${s.resumed} resumed), verifier accuracy ${(100 * s.accuracy).toFixed(1)}%`,
    `kept ${s.kept} (${s.samples > 0 ? ((100 * s.kept) / s.samples).toFixed(1) : '0.0'}%) from ${s.problemsKept} problems -> ${s.out}`,
    `rejected ${reasons.reduce((a, [, n]) => a + n, 0)}${reasons.length > 0 ? ': ' + reasons.map(([r, n]) => `${r} ${n}`).join(', ') : ''}`,
  ];
  return lines.join('\n') + '\n';
}

/** The sampling precision among a samples file's settings: only when not f32, so files written before the option resume as they were. */
export function precisionSetting(c: { samplingPrecision: SamplingPrecision }): { sampling_precision?: SamplingPrecision } {
  return c.samplingPrecision === 'f32' ? {} : { sampling_precision: c.samplingPrecision };
}

/** What opens a generation stage's model or server (the sample and eval stages, `aha sample`); the precision is the caller's. */
export function generatorSpec(c: GenerationConfig): Omit<GeneratorSpec, 'precision'> {
  return {
    model: c.model, endpoint: c.endpoint, api: c.api, system: c.system, timeoutS: c.timeoutS, retries: c.retries,
    ...(Object.keys(c.chatTemplateArgs).length > 0 ? { chatTemplateArgs: c.chatTemplateArgs } : {}),
  };
}

/** Rejection sampling from a resolved config (`aha sample` and the pipeline's sample stage). */
export async function sampleFromConfig(c: SampleConfig, run: { out: string; quiet?: boolean; restartOnNewSettings?: boolean; precisionOption?: string; signal?: AbortSignal }): Promise<RejectionSamplingSummary> {
  // Problems and filters are checked before the model loads or a request goes out.
  const problems = await loadProblemSet({ data: c.data, split: c.split, count: c.count, difficulty: c.difficulty, dataSeed: c.dataSeed, limit: c.limit, promptTemplate: c.promptTemplate, fields: c.fields, api: c.api });
  const gen: GeneratorSpec = { ...generatorSpec(c), precision: { value: c.samplingPrecision, option: run.precisionOption ?? 'sampling_precision' } };
  const generator = await openGenerator(gen);
  const sampling: SamplingOptions = { temperature: c.temperature, topP: c.topP, maxTokens: c.maxTokens };
  return runRejectionSampling({
    problems,
    generator,
    sampling,
    samples: c.samples,
    out: run.out,
    keep: c.keep,
    filters: c.filters,
    thresholds: c.thresholds,
    source: sourceName(gen),
    settings: { backend: c.endpoint !== undefined ? 'remote' : 'local', model: sourceName(gen), api: c.api, system: c.system ?? null, ...chatTemplateArgsSetting(c.chatTemplateArgs), temperature: c.temperature, top_p: c.topP, max_tokens: c.maxTokens, ...precisionSetting(c) },
    concurrency: c.concurrency,
    samplesPerRequest: c.samplesPerRequest,
    seed: c.seed,
    maxFailures: c.maxFailures,
    quiet: run.quiet,
    restartOnNewSettings: run.restartOnNewSettings,
    signal: run.signal,
  });
}
