// SCoRe's recipe (docs/self-correction.md, ## SCoRe): the warm-up, then the two-attempt GRPO run.
// A base model pretrained on single-turn documents writes broken text after the instruction, so
// with score_warmup_prompts > 0 the run first samples G answers of the starting model at that many
// training prompts, pairs each with another sample of the same problem as its second answer
// (rl/self-correction.ts reattemptPairs), and fine-tunes on those transcripts: a second attempt
// that is a fair re-attempt, no better than the first. Stage I and II then start from that model,
// which is also their reference. Layout: <output_dir>/warmup/ holds reattempts.jsonl, the SFT run
// (sft/, the model in sft/model) and warmup.json (what the transcripts teach); the GRPO run is
// <output_dir> itself, as for any `aha train`.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { atomicWriteFile } from '../util/atomic.js';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG, validateConfig, type GrpoConfig } from '../rl/config.js';
import { rollout } from '../rl/rollout.js';
import { reattemptCounts, reattemptPairs, SCORE_DEFAULTS, secondAttemptPrompt } from '../rl/self-correction.js';
import { readPromptFile } from '../rl/prompts.js';
import { prepareGrpo, type PrepareOptions } from '../rl/setup.js';
import type { GrpoRunOptions } from '../rl/trainer.js';
import { SFTTrainer } from '../sft/sft-trainer.js';
import { cpuSeconds } from '../util/cpu-time.js';
import { AhaError } from '../util/errors.js';
import { hashFileInto } from '../util/file-hash.js';
import { Rng } from '../util/rng.js';
import { assertFreshRunDir, holdsRun } from '../util/run-dir.js';

/** The warm-up's folder inside the run's output_dir. */
export const WARMUP_DIR = 'warmup';
const SUMMARY_FILE = 'warmup.json';
/** The warm-up's options switched off: a config for prepareGrpo on a model as it is (the warm-up's sampler, a baseline's). */
export const WARMUP_OFF = {
  score_warmup_prompts: 0, score_warmup_epochs: SCORE_DEFAULTS.score_warmup_epochs,
  score_warmup_learning_rate: SCORE_DEFAULTS.score_warmup_learning_rate, score_warmup_batch_size: SCORE_DEFAULTS.score_warmup_batch_size,
};

/** What a warm-up did (its warmup.json). */
export interface ScoreWarmup {
  /** The warmed-up model folder the SCoRe run starts from. */
  model: string;
  /** The model it started from. */
  from: string;
  /** modelDigest of that folder when the warm-up ran (absent in warm-ups made before it was recorded). */
  from_digest?: string;
  samples: number;
  /** Share of the sampled first attempts the verifier judged right. */
  sample_accuracy: number;
  /** Transcripts trained on, and what their second answers do to the first (fix, break, stay). */
  pairs: number;
  fixes: number;
  breaks: number;
  right_right: number;
  wrong_wrong: number;
  sft_steps: number;
  training_loss: number;
  seconds: number;
  /** Process CPU seconds (every thread), the machine-independent cost. */
  cpu_seconds: number;
}

/** The files of a model folder that decide what is loaded: config, weights, tokenizer and chat template (not a README). */
const MODEL_FILE = /^(config\.json|generation_config\.json|tokenizer(_config)?\.json|special_tokens_map\.json|chat_template\.(jinja|json)|vocab\.(json|txt)|merges\.txt|.+\.safetensors(\.index\.json)?)$/;

/**
 * SHA-256 over a model folder's config, weights and tokenizer files (names and bytes, in name
 * order): the same model copied to another path has the same digest, a different one does not.
 */
export function modelDigest(dir: string): string {
  if (!existsSync(join(dir, 'config.json'))) throw new AhaError(`${dir}: not a model folder (no config.json)`);
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).filter((n) => MODEL_FILE.test(n) && statSync(join(dir, n)).isFile()).sort()) {
    hashFileInto(hash.update(`${name}\0${statSync(join(dir, name)).size}\0`), join(dir, name));
  }
  return hash.digest('hex');
}

/** The config keys a warm-up depends on (scoreWarmup): a kept warm-up is reused only when these match. */
export const WARMUP_INPUTS = ['task', 'data', 'difficulty', 'rewards', 'seed', 'num_generations', 'max_completion_length', 'temperature', 'top_p', 'top_k', 'min_p', 'repetition_penalty',
  'sampling_precision', 'score_instruction', 'score_first_attempt_context', 'score_warmup_prompts', 'score_warmup_epochs', 'score_warmup_learning_rate', 'score_warmup_batch_size'] as const;

/**
 * Copies the finished warm-up of an earlier run (`keptRunDir`, a SCoRe run folder with its
 * config.json and warmup/) into the fresh run folder `runDir`, so that prepareScoreRun with
 * `resume` finds it finished. Refused unless it was made with the same WARMUP_INPUTS as `config`
 * and from a model with the same contents as `config.model` (modelDigest; the folder's path does
 * not matter, so a warm-up kept elsewhere, from a copy of the same model, is accepted). The
 * warm-up is deterministic per seed and settings, so the reuse changes nothing downstream.
 */
export function reuseScoreWarmup(keptRunDir: string, config: GrpoConfig, runDir: string): ScoreWarmup {
  const summaryFile = join(keptRunDir, WARMUP_DIR, SUMMARY_FILE);
  const configFile = join(keptRunDir, 'config.json');
  if (!existsSync(summaryFile) || !existsSync(configFile)) throw new AhaError(`--warmup-from: ${keptRunDir} holds no finished warm-up with its run's config.json`);
  const kept = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  const now = config as unknown as Record<string, unknown>;
  for (const k of WARMUP_INPUTS) {
    // A key newer than the kept run's config.json: that run had the default's behaviour.
    if (!(k in kept)) kept[k] = (DEFAULT_CONFIG as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(kept[k]) !== JSON.stringify(now[k])) throw new AhaError(`--warmup-from: ${keptRunDir} was warmed up with ${k} ${JSON.stringify(kept[k])}, this run has ${JSON.stringify(now[k])}`);
  }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as ScoreWarmup;
  if (config.model === null) throw new AhaError('--warmup-from: the run names no model to compare the warm-up\'s starting model with');
  // A warm-up made before from_digest was recorded: its starting folder must still be there to compare.
  if (summary.from_digest === undefined && !existsSync(join(summary.from, 'config.json'))) {
    throw new AhaError(`--warmup-from: ${summaryFile} records no digest of its starting model and ${summary.from} is gone, so it cannot be compared with ${config.model}`);
  }
  const keptFrom = summary.from_digest ?? modelDigest(summary.from);
  if (keptFrom !== modelDigest(config.model)) throw new AhaError(`--warmup-from: ${keptRunDir} was warmed up from ${summary.from}, whose config, weights or tokenizer differ from ${config.model}`);
  mkdirSync(runDir, { recursive: true });
  cpSync(join(keptRunDir, WARMUP_DIR), join(runDir, WARMUP_DIR), { recursive: true });
  // The run folder stays whole on its own: its warm-up names the copied model.
  const copied: ScoreWarmup = { ...summary, model: join(resolve(runDir), WARMUP_DIR, 'sft', 'model'), from_digest: keptFrom };
  atomicWriteFile(join(runDir, WARMUP_DIR, SUMMARY_FILE), JSON.stringify(copied, null, 2) + '\n');
  return copied;
}

/**
 * Runs the warm-up of a SCoRe config into <output_dir>/warmup, or returns the finished one found
 * there (a resumed run; an interrupted SFT continues from its checkpoint). The config is validated first.
 */
export async function scoreWarmup(raw: GrpoConfig, opts: { quiet?: boolean; resume?: boolean } = {}): Promise<ScoreWarmup> {
  const config = validateConfig(raw);
  if (config.self_correction !== 'score' || config.score_warmup_prompts === 0) throw new AhaError('score_warmup_prompts: the warm-up needs self_correction: score and score_warmup_prompts > 0');
  // The warm-up's SFT trains on text transcripts; a chat's second turn is its template's to frame,
  // and a chat model already writes one.
  if (config.data !== null && readPromptFile(config.data, config.chat_template_kwargs).some((it) => it.messages !== undefined)) {
    throw new AhaError(`score_warmup_prompts: ${config.data} holds conversational prompts, whose second attempt continues the chat in the model's own template; the warm-up gives a base model a second turn in text prompts only. Set score_warmup_prompts: 0 (a chat model already answers a second user turn)`);
  }
  const dir = join(resolve(config.output_dir), WARMUP_DIR);
  const summaryFile = join(dir, SUMMARY_FILE);
  if (existsSync(summaryFile)) {
    if (!opts.resume) throw new AhaError(`${dir} holds a finished warm-up; pass --resume to continue the run, or choose another --output`);
    return JSON.parse(readFileSync(summaryFile, 'utf8')) as ScoreWarmup;
  }
  const sftDir = join(dir, 'sft');
  const data = join(dir, 'reattempts.jsonl');
  const t0 = performance.now();
  const c0 = cpuSeconds();
  // The starting model's sampler, prompts and verifier, with every check of the real run (context,
  // rewards, data) and no reference model: the warm-up has no KL.
  const run = prepareGrpo({ ...config, ...WARMUP_OFF, beta: 0, score_beta_first: 0, output_dir: join(dir, 'sample') }, { quiet: true });
  const from = String(run.configRecord!.model);
  const fromDigest = modelDigest(from);
  const G = config.num_generations;
  const items = Array.from({ length: config.score_warmup_prompts }, () => run.prompts.next());
  const r = await rollout({
    items, groupSize: G, encode: run.encodePrompt ?? ((p) => run.tokenizer.encode(p)), sampler: run.sampler, rng: new Rng((config.seed ^ 0x3a9) >>> 0),
    judges: run.judges, weights: run.rewardWeights, maxCompletionTokens: config.max_completion_length,
  });
  const pairs = reattemptPairs(r.rows, G, secondAttemptPrompt(run.config.score_instruction, run.tokenizer, run.config.score_first_attempt_context));
  if (pairs.length === 0) throw new AhaError(`score_warmup_prompts: every one of the ${r.rows.length} warm-up samples ran to max_completion_length (${config.max_completion_length}), so no second answer has an end to learn; raise max_completion_length`);
  const counts = reattemptCounts(r.rows, G);
  const resumeSft = opts.resume === true && holdsRun(sftDir);
  if (!resumeSft) {
    // A warm-up stopped before its SFT saved anything is redone from its samples (the same seed gives the same ones).
    rmSync(sftDir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(data, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  }
  const trainer = new SFTTrainer({
    model: from, train_dataset: data,
    args: {
      output_dir: sftDir, learning_rate: config.score_warmup_learning_rate, num_train_epochs: config.score_warmup_epochs, per_device_train_batch_size: config.score_warmup_batch_size,
      max_length: run.model.config.max_position_embeddings, seed: config.seed, save_steps: 0, disable_tqdm: opts.quiet === true, eval_fraction: 0, ...(config.threads > 0 ? { threads: config.threads } : {}),
    },
  });
  const out = await trainer.train({ resume_from_checkpoint: resumeSft });
  if (out.model_dir === null) throw new AhaError(`the warm-up's SFT in ${sftDir} was stopped; continue with --resume`);
  const summary: ScoreWarmup = {
    model: out.model_dir, from, from_digest: fromDigest, samples: r.rows.length, sample_accuracy: r.rows.filter((x) => x.correct).length / r.rows.length, ...counts,
    sft_steps: out.global_step, training_loss: out.training_loss, seconds: (performance.now() - t0) / 1000, cpu_seconds: cpuSeconds() - c0,
  };
  // Its presence marks the warm-up finished, so a kill mid-write must not leave half of it.
  atomicWriteFile(summaryFile, JSON.stringify(summary, null, 2) + '\n');
  if (!opts.quiet) {
    process.stderr.write(`warm-up: ${pairs.length} re-attempt transcripts from ${r.rows.length} samples (${(summary.sample_accuracy * 100).toFixed(1)}% right; ` +
      `${counts.fixes} fix, ${counts.breaks} break, ${counts.right_right} stay right, ${counts.wrong_wrong} stay wrong), SFT loss ${out.training_loss.toFixed(3)}, ${summary.seconds.toFixed(0)} s\n`);
  }
  return summary;
}

/** A prepared SCoRe run and the warm-up it starts from (null without one). */
export interface ScoreRun {
  run: GrpoRunOptions;
  warmup: ScoreWarmup | null;
}

/**
 * prepareGrpo for any config, with SCoRe's warm-up first when score_warmup_prompts > 0: the run
 * then starts from (and keeps as its reference) the warmed-up model. Every option is checked, and
 * the output folder found fresh, before the warm-up samples anything.
 */
export async function prepareScoreRun(config: GrpoConfig, opts: PrepareOptions = {}): Promise<ScoreRun> {
  const checked = validateConfig(config);
  if (checked.self_correction !== 'score' || checked.score_warmup_prompts === 0) return { run: prepareGrpo(config, opts), warmup: null };
  const out = resolve(config.output_dir);
  if (!opts.resume) assertFreshRunDir(out, '--output');
  const warmup = await scoreWarmup(config, { quiet: opts.quiet, resume: opts.resume });
  // A run stopped during the warm-up has no GRPO checkpoint yet: its GRPO stage starts fresh.
  const run = prepareGrpo({ ...config, model: warmup.model }, { ...opts, resume: opts.resume === true && holdsRun(out), preparedParts: [WARMUP_DIR], scoreWarmedUp: true });
  return { run, warmup };
}
