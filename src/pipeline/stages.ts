// The real stage runners of `aha pipeline`: sft (src/sft's runSft), grpo (src/rl's prepareGrpo
// and runGrpo), sample (rejection sampling) and eval (the eval harness). Each runs in its stage
// folder, continues an interrupted attempt from its checkpoint or samples file when there is
// one, and reports its output path and a few metrics for pipeline.json.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { atomicWriteFile } from '../util/atomic.js';
import { parseJsonl } from '../util/jsonl.js';
import { readUtf8File } from '../util/text-file.js';
import { AhaError } from '../util/errors.js';
import { latestCheckpoint } from '../model/training-checkpoint.js';
import { EvalStopped, runEval } from '../eval/run.js';
import { evalConfig, grpoConfig, rewardModelConfig, sampleConfig, sftConfig } from './configs.js';
import { loadProblemSet, sourceName } from './problems.js';
import { openGenerator } from '../eval/open-generator.js';
import { generatorSpec, precisionSetting, sampleFromConfig } from './rejection-sampling.js';
import { chatTemplateArgsSetting } from '../eval/output.js';
import { stderrFields } from '../eval/summary.js';
import { runSft } from '../sft/sft-run.js';
import type { StageContext, StageOutcome, StageRunners } from './runner.js';

/** Starts clean unless an earlier attempt left a checkpoint to continue from. */
function continueOrClear(ctx: StageContext): boolean {
  const resume = ctx.resume && latestCheckpoint(ctx.dir) !== null;
  if (!resume && existsSync(ctx.dir)) rmSync(ctx.dir, { recursive: true, force: true });
  return resume;
}

/** Several SFT files are mixed into one (R1's second SFT mixes reasoning and general data). */
export function mixedData(ctx: Pick<StageContext, 'dir' | 'name' | 'log'>, files: string[]): string {
  if (files.length === 1) return files[0];
  const out = join(dirname(ctx.dir), `${ctx.name}.data.jsonl`);
  // Each file is read strictly and parsed here, so a bad line is named in its own file, not in the mix.
  const text = files
    .map((f) => {
      const t = readUtf8File(f);
      parseJsonl(t, f);
      return t.replace(/\n*$/, '\n');
    })
    .join('');
  atomicWriteFile(out, text);
  ctx.log(`pipeline: ${ctx.name}: mixed ${files.length} data files into ${out}`);
  return out;
}

async function sftStage(ctx: StageContext): Promise<StageOutcome> {
  const { options, data } = sftConfig(ctx.config);
  const resume = continueOrClear(ctx);
  const log = ctx.quiet ? () => {} : ctx.log;
  const r = resume
    ? await runSft({ runDir: ctx.dir, resume: true, quiet: ctx.quiet, signal: ctx.signal, onStep: ctx.onStep, log })
    : await runSft({ runDir: ctx.dir, options: { ...options, data: mixedData(ctx, data) }, quiet: ctx.quiet, signal: ctx.signal, onStep: ctx.onStep, log });
  const metrics = { steps: r.state.step, loss: r.lastLoss, eval_loss: r.lastEvalLoss, train_examples: r.trainExamples, held_out_examples: r.heldOutExamples };
  return { output: r.modelDir ?? '', metrics, interrupted: r.interrupted || r.modelDir === null };
}

const GRPO_METRICS = ['accuracy', 'reward/mean', 'completion_length/mean', 'reflect_rate', 'kl', 'entropy', 'watch/hacking_flag'];

async function grpoStage(ctx: StageContext): Promise<StageOutcome> {
  const cfg = grpoConfig(ctx.config, ctx.dir);
  const resume = continueOrClear(ctx);
  // The compute core loads only when a training stage runs.
  const { prepareGrpo } = await import('../rl/setup.js');
  const { runGrpo } = await import('../rl/trainer.js');
  // learned_on (R1's final stage) is a GRPO option: the config carries it to the trainer.
  const run = prepareGrpo(cfg, { resume, quiet: ctx.quiet });
  run.signal = ctx.signal;
  run.onStep = ctx.onStep;
  const r = await runGrpo(run);
  const metrics: Record<string, unknown> = { steps: r.state.step };
  for (const k of GRPO_METRICS) if (r.lastMetrics?.[k] !== undefined) metrics[k] = r.lastMetrics[k];
  // Per source: each reward's mean over the rows it scored, and with learned_on the trainer's source/* metrics.
  for (const [k, v] of Object.entries(r.lastMetrics ?? {})) if ((k.startsWith('reward/') && k.endsWith('/mean')) || k.startsWith('source/')) metrics[k] = v;
  // The final checkpoint is a model folder; a run resumed after its last step reports none, so look.
  const output = r.checkpointDir ?? latestCheckpoint(ctx.dir) ?? '';
  return { output, metrics, interrupted: r.interrupted || r.state.step < cfg.max_steps || output === '' };
}

/** The work's result, or the EvalStopped it ended with (the pipeline's signal stopped it). */
async function unlessStopped<T>(work: Promise<T>): Promise<T | EvalStopped> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof EvalStopped) return err;
    throw err;
  }
}

/** A sample or eval stage stopped by the pipeline's signal: its samples so far are kept for the re-run. */
function stoppedStage(ctx: StageContext, err: EvalStopped): StageOutcome {
  ctx.log(`pipeline: ${ctx.name}: ${err.message}`);
  return { output: '', metrics: {}, interrupted: true };
}

async function sampleStage(ctx: StageContext): Promise<StageOutcome> {
  const c = sampleConfig(ctx.config);
  const out = join(ctx.dir, 'data.jsonl');
  const s = await unlessStopped(sampleFromConfig(c, { out, quiet: ctx.quiet, restartOnNewSettings: true, signal: ctx.signal }));
  if (s instanceof EvalStopped) return stoppedStage(ctx, s);
  ctx.log(`pipeline: ${ctx.name}: kept ${s.kept} of ${s.samples} completions (${Object.entries(s.rejected).map(([k, n]) => `${k} ${n}`).join(', ') || 'none rejected'})`);
  if (s.kept < c.minKept) {
    throw new AhaError(`kept ${s.kept} of ${s.samples} completions, fewer than min_kept ${c.minKept} (verifier accuracy ${(100 * s.accuracy).toFixed(1)}%). Raise samples or count, loosen filters, or set min_kept; the raw samples in ${s.samplesFile} are reused on re-run`);
  }
  return { output: out, metrics: { problems: s.problems, samples: s.samples, kept: s.kept, problems_kept: s.problemsKept, accuracy: s.accuracy, rejected: s.rejected } };
}

async function evalStage(ctx: StageContext): Promise<StageOutcome> {
  const c = evalConfig(ctx.config);
  const problems = await loadProblemSet({ data: c.data, split: c.split, count: c.count, difficulty: c.difficulty, dataSeed: c.dataSeed, limit: c.limit, promptTemplate: c.promptTemplate, fields: c.fields, api: c.api });
  const gen = { ...generatorSpec(c), precision: { value: c.samplingPrecision, option: 'sampling_precision' } };
  const generator = await openGenerator(gen);
  const outFile = join(ctx.dir, 'samples.jsonl');
  // aha eval's stop strings (HumanEval on the completions API ends at the next top-level
  // statement; MultiPL-E records bring their own), so the stage scores a benchmark as `aha eval` does.
  const stop = problems.stop ?? null;
  const r = await unlessStopped(runEval({
    problems: problems.problems,
    samples: c.samples,
    generator,
    sampling: { temperature: c.temperature, topP: c.topP, maxTokens: c.maxTokens, ...(stop !== null ? { stop } : {}) },
    template: problems.template,
    grader: problems.grader,
    concurrency: c.concurrency,
    samplesPerRequest: c.samplesPerRequest,
    outFile,
    settings: { data: problems.key, model: sourceName(gen), api: c.api, template: problems.template.text, ...chatTemplateArgsSetting(c.chatTemplateArgs), temperature: c.temperature, top_p: c.topP, max_tokens: c.maxTokens, stop, seed: c.seed, ...precisionSetting(c) },
    seed: c.seed,
    maxFailures: c.maxFailures,
    quiet: ctx.quiet,
    signal: ctx.signal,
  }));
  if (r instanceof EvalStopped) return stoppedStage(ctx, r);
  // Each metric's standard error over problems beside it, as aha eval --json writes them.
  atomicWriteFile(join(ctx.dir, 'eval.json'), JSON.stringify({ data: problems.label, model: sourceName(gen), problems: r.problems, samples: r.samples, ...r.metrics, ...stderrFields(r) }, null, 2) + '\n');
  return { output: outFile, metrics: { data: problems.label, problems: r.problems, samples: r.samples, ...r.metrics } };
}

/** Trains a reward model (`aha rm train`) into the stage folder; its output is the reward model folder. */
async function rewardModelStage(ctx: StageContext): Promise<StageOutcome> {
  const options = rewardModelConfig(ctx.config);
  if (existsSync(ctx.dir)) rmSync(ctx.dir, { recursive: true, force: true });
  const { trainRewardModel } = await import('../rm/train.js');
  const output = join(ctx.dir, 'rm');
  const r = trainRewardModel({ ...options, output, quiet: ctx.quiet });
  return { output, metrics: { kind: r.kind, steps: r.steps, train_loss: r.train_loss, ...Object.fromEntries(Object.entries(r.heldout).map(([k, v]) => [`heldout_${k}`, v])) } };
}

/** The runners `aha pipeline` uses. */
export const STAGE_RUNNERS: StageRunners = { sft: sftStage, grpo: grpoStage, sample: sampleStage, eval: evalStage, reward_model: rewardModelStage };
