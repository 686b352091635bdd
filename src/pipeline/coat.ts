// Satori's two stages on the bundled Countdown setting, as one library call (`runCoat`):
//   0. the meta-action tokens added to the base model (model/added-tokens.ts);
//   1. format tuning: SFT on COAT demonstrations, written by a program (tasks/coat-demos.ts) or,
//      with `demo_source: 'self'`, made from the token-extended base model's own samples on training
//      puzzles by a program critic (tasks/coat-critic.ts: Satori's generator + critic);
//   2. RL with Restart-and-Explore: GRPO whose prompts are partly restart states cut from the
//      format-tuned model's own trajectories (right and wrong ones) with `<|reflect|>` appended,
//      rewarded by the verifier (the main signal), the lenient format reward and the reflection
//      bonus (rl/coat.ts);
//   3. optionally distill-back: SFT of the token-extended base on the RL model's best trajectories,
//      then RL again.
// Every folder lands under output_dir; `evaluateCoat` measures held-out accuracy and meta-action use.
import { join, resolve } from 'node:path';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { addTokensToFolder } from '../model/added-tokens.js';
import type { CausalLM } from '../model/causal-lm.js';
import { eosIds } from '../model/config-json.js';
import { loadModel } from '../model/load-model.js';
import { sample } from '../model/sampling.js';
import { loadTokenizer, type Tokenizer } from '../model/tokenizer.js';
import { coatMetrics, fittingRestartStates, reflectionBonus, restartPrompts, type CoatMetrics, type RestartState, type Trajectory } from '../rl/coat.js';
import { RESTART_STREAM_SALT } from '../rl/coat-run.js';
import { demoConfig } from '../rl/demo.js';
import { heldoutItems, taskPrompts, type PromptItem } from '../rl/prompts.js';
import { prepareGrpo } from '../rl/setup.js';
import { runGrpo } from '../rl/trainer.js';
import { DEFAULT_CONFIG, type GrpoConfig } from '../rl/config.js';
import { runSft, SFT_DEFAULTS } from '../sft/sft-run.js';
import { selfDemos, type SelfDemoReport } from '../tasks/coat-critic.js';
import { coatDemos, COUNTDOWN_CANDIDATES, COAT_DEMO_LEVEL, COAT_VERDICTS, COAT_OPENINGS, type CoatVerdict, type CoatOpening } from '../tasks/coat-demos.js';
import { countdownTask } from '../tasks/countdown.js';
import { AhaError } from '../util/errors.js';
import { cpuSeconds } from '../util/cpu-time.js';
import { Rng } from '../util/rng.js';
import { didYouMean } from '../util/near-name.js';

/**
 * RL completion limit: the longest demonstration is about 310 tokens (a missed guess worked out,
 * then three sign patterns each judged by a subtraction), and a restart state's prompt (question
 * plus prefix, at most 512 − 320 = 192 tokens) needs room in the 512-token context.
 */
export const COAT_MAX_COMPLETION = 320;

export type DemoSource = 'program' | 'self';
export const DEMO_SOURCES: readonly DemoSource[] = ['program', 'self'];

export interface CoatOptions {
  /** Base model folder; null = the bundled Countdown model. */
  model: string | null;
  /** A format-tuned model folder (a stage 1 of an earlier run): stage 2 starts from it, stages 0-1 are skipped. */
  format_tuned: string | null;
  output_dir: string;
  seed: number;
  /**
   * Where the format-tuning demonstrations come from: `program` (written by tasks/coat-demos.ts) or
   * `self` (the extended base model's own samples on training puzzles, cut and completed by the
   * critic of tasks/coat-critic.ts).
   */
  demo_source: DemoSource;
  /** Format-tuning demonstrations written by the program (`demo_source: program`). */
  demos: number;
  /** Training puzzles the base model answers for self demonstrations (`demo_source: self`). */
  self_puzzles: number;
  /** Samples per puzzle (temperature 1) for self demonstrations. */
  self_samples: number;
  /** How the demonstrations judge a total against the target (tasks/coat-demos.ts `CoatVerdict`). */
  demo_verdict: CoatVerdict;
  /** How the demonstrations' thinking opens (tasks/coat-demos.ts `CoatOpening`). */
  demo_opening: CoatOpening;
  format_steps: number;
  format_lr: number;
  format_batch_size: number;
  /** Training problems whose format-tuned trajectories are cut into restart states. */
  restart_problems: number;
  /** Share of RL prompts that are restart states. */
  restart_share: number;
  /** β of the reflection bonus (Satori: 0.5). */
  reflection_beta: number;
  /** GRPO steps of each RL round. */
  rl_steps: number;
  /** Stop an RL round after the step that passes this many wall seconds (null: no limit). */
  rl_seconds: number | null;
  /**
   * Budget of the whole run in process CPU-seconds (user + system, all threads; null: no limit):
   * RL stops after the step that takes the run's CPU time since its start past it. On a shared
   * machine wall time measures the share of the cores a run got, CPU time the work it did.
   */
  cpu_seconds: number | null;
  /** GRPO settings over the R1-Zero Countdown demo's (configs/r1-zero-countdown.yaml). */
  rl: Partial<GrpoConfig>;
  /** Distill-back: SFT the extended base on the RL model's best trajectories, then RL again. */
  distill: boolean;
  distill_problems: number;
  distill_samples: number;
  /** Compute threads (0 = the default). */
  threads: number;
  quiet: boolean;
}

export const COAT_DEFAULTS: Omit<CoatOptions, 'output_dir'> = {
  model: null,
  format_tuned: null,
  seed: 42,
  demo_source: 'program',
  demos: 1500,
  self_puzzles: 1000,
  self_samples: 4,
  demo_verdict: 'subtraction',
  demo_opening: 'restate',
  format_steps: 400,
  format_lr: 1e-3,
  format_batch_size: 16,
  restart_problems: 64,
  restart_share: 0.25,
  reflection_beta: 0.5,
  rl_steps: 40,
  rl_seconds: null,
  cpu_seconds: null,
  rl: {},
  distill: false,
  distill_problems: 128,
  distill_samples: 4,
  threads: 0,
  quiet: true,
};

/** Options over the defaults; an unknown key or a bad value is an error naming the field. */
export function coatOptions(raw: Record<string, unknown>): CoatOptions {
  const known = new Set([...Object.keys(COAT_DEFAULTS), 'output_dir']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new AhaError(`coat: unknown option "${k}"${didYouMean(k, known)}; options are ${[...known].sort().join(', ')}`);
  const o = { ...COAT_DEFAULTS, ...raw } as CoatOptions;
  if (typeof o.output_dir !== 'string' || o.output_dir === '') throw new AhaError('coat: "output_dir" is required');
  const int = (k: keyof CoatOptions, min: number) => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new AhaError(`coat: "${k}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  };
  for (const k of ['demos', 'self_puzzles', 'self_samples', 'format_steps', 'format_batch_size', 'restart_problems', 'rl_steps', 'distill_problems', 'distill_samples'] as const) int(k, 1);
  int('seed', 0);
  int('threads', 0);
  if (!COAT_VERDICTS.includes(o.demo_verdict)) throw new AhaError(`coat: "demo_verdict" must be one of ${COAT_VERDICTS.join(', ')}, got ${JSON.stringify(o.demo_verdict)}`);
  if (!COAT_OPENINGS.includes(o.demo_opening)) throw new AhaError(`coat: "demo_opening" must be one of ${COAT_OPENINGS.join(', ')}, got ${JSON.stringify(o.demo_opening)}`);
  if (!DEMO_SOURCES.includes(o.demo_source)) throw new AhaError(`coat: "demo_source" must be one of ${DEMO_SOURCES.join(', ')}, got ${JSON.stringify(o.demo_source)}`);
  // Options of the other source are refused when changed, not ignored: self demonstrations are in
  // the model's own words (the corpus's verdicts and openings), their count set by the sampling.
  const otherSource = o.demo_source === 'self' ? (['demos', 'demo_verdict', 'demo_opening'] as const) : (['self_puzzles', 'self_samples'] as const);
  for (const k of otherSource) {
    if (o[k] !== COAT_DEFAULTS[k]) throw new AhaError(`coat: "${k}" applies only with demo_source ${o.demo_source === 'self' ? 'program' : 'self'} (demo_source is ${o.demo_source})`);
  }
  if (!(typeof o.format_lr === 'number' && o.format_lr > 0)) throw new AhaError(`coat: "format_lr" must be > 0`);
  if (!(typeof o.restart_share === 'number' && o.restart_share >= 0 && o.restart_share < 1)) throw new AhaError('coat: "restart_share" must be in [0, 1)');
  if (!(typeof o.reflection_beta === 'number' && o.reflection_beta >= 0)) throw new AhaError('coat: "reflection_beta" must be ≥ 0');
  if (o.rl_seconds !== null && !(typeof o.rl_seconds === 'number' && o.rl_seconds > 0)) throw new AhaError('coat: "rl_seconds" must be > 0 or null');
  if (o.cpu_seconds !== null && !(typeof o.cpu_seconds === 'number' && o.cpu_seconds > 0)) throw new AhaError('coat: "cpu_seconds" must be > 0 or null');
  if (typeof o.rl !== 'object' || o.rl === null || Array.isArray(o.rl)) throw new AhaError('coat: "rl" must be an object of GRPO settings');
  // Every GRPO key is checked, as a config file's are: a misspelt one must not be dropped silently.
  for (const k of Object.keys(o.rl)) if (!(k in DEFAULT_CONFIG)) throw new AhaError(`coat: "rl.${k}" is not a GRPO setting; known: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
  for (const k of ['model', 'output_dir', 'seed', 'max_steps', 'task', 'data'] as const) {
    if (k in o.rl) throw new AhaError(`coat: "rl.${k}" conflicts with the coat option that sets it (${k === 'max_steps' ? 'rl_steps' : k === 'task' || k === 'data' ? 'the Countdown task is fixed' : k})`);
  }
  if (o.format_tuned !== null && (typeof o.format_tuned !== 'string' || !existsSync(join(o.format_tuned, 'config.json')))) throw new AhaError(`coat: "format_tuned" ${JSON.stringify(o.format_tuned)} is not a model folder`);
  if (o.format_tuned !== null && o.distill) throw new AhaError('coat: "distill" needs the token-extended base of stage 0; it conflicts with "format_tuned"');
  if (typeof o.distill !== 'boolean') throw new AhaError('coat: "distill" must be true or false');
  return o;
}

/** One sample per item from `model` (temperature 1), judged by the task's verifier. */
export function sampleTrajectories(model: CausalLM, tokenizer: Tokenizer, items: readonly PromptItem[], maxTokens: number, seed: number): (Trajectory & { text: string })[] {
  const ids = [...new Set([...eosIds(model.config), ...(tokenizer.eosId !== null ? [tokenizer.eosId] : [])])];
  const out = sample(model, items.map((it) => tokenizer.encode(it.prompt)), { maxNewTokens: maxTokens, temperature: 1, eosIds: ids, tokenizer, rng: new Rng(seed) });
  return out.map((s, k) => {
    const item = items[k];
    const prefix = typeof item.example.coat_prefix === 'string' ? item.example.coat_prefix : '';
    const correct = item.problem && item.taskVerify ? item.taskVerify(s.text, item.problem).correct : false;
    return { item, completion: s.text, correct, text: prefix + s.text };
  });
}

/** Held-out accuracy and meta-action use of a model: one sample per problem. */
export function evaluateCoat(model: CausalLM, tokenizer: Tokenizer, items: readonly PromptItem[], maxTokens: number, seed: number): CoatMetrics {
  const rows = sampleTrajectories(model, tokenizer, items, maxTokens, seed);
  return coatMetrics(rows.map((r) => ({ text: r.text, example: r.item.example, correct: r.correct })), COUNTDOWN_CANDIDATES);
}

export interface CoatResult {
  /** Model folders of each stage (`extended` is not written when stage 2 started from `format_tuned`). */
  extended: string;
  formatTuned: string;
  final: { model: CausalLM; tokenizer: Tokenizer };
  rlSteps: number;
  restartStates: number;
  /** Wall seconds of each stage. */
  seconds: { format: number; rl: number; distill: number };
  /** Process CPU-seconds of each stage (the primary measure of work on a shared machine). */
  cpuSeconds: { format: number; rl: number; distill: number };
  /** With `demo_source: self`: what the critic kept and dropped (also in self-demos.json). */
  selfDemos: SelfDemoReport | null;
}

function trainItems(n: number, seed: number): PromptItem[] {
  const src = taskPrompts(countdownTask, seed, [COAT_DEMO_LEVEL]);
  return Array.from({ length: n }, () => src.next());
}

async function formatTune(o: CoatOptions, base: string, dataFile: string, runDir: string): Promise<string> {
  const r = await runSft({
    runDir, quiet: o.quiet, log: o.quiet ? () => {} : undefined,
    options: { ...SFT_DEFAULTS, model: base, data: dataFile, evalData: null, evalFraction: 0.02, steps: o.format_steps, lr: o.format_lr, batchSize: o.format_batch_size, seqLen: 512, warmupSteps: Math.min(10, o.format_steps), schedule: 'cosine', evalSteps: o.format_steps, saveSteps: 0, seed: o.seed, threads: o.threads > 0 ? o.threads : null },
  });
  if (!r.modelDir) throw new AhaError(`coat: format tuning in ${runDir} was interrupted`);
  return r.modelDir;
}

/** One RL round with Restart-and-Explore from `modelDir`; returns the trained model and its step count. */
async function rlRound(o: CoatOptions, modelDir: string, states: readonly RestartState[], runDir: string, cpuStart: number): Promise<{ model: CausalLM; tokenizer: Tokenizer; steps: number }> {
  const bonus = reflectionBonus({ beta: o.reflection_beta, reader: COUNTDOWN_CANDIDATES });
  const demo = demoConfig();
  const config: GrpoConfig = {
    ...demo, task: 'countdown', difficulty: [COAT_DEMO_LEVEL], max_completion_length: COAT_MAX_COMPLETION, eval_problems: 0, eval_steps: 0, save_steps: 0, log_completions_steps: 5,
    rewards: [{ name: 'countdown_accuracy', weight: 1 }, { name: 'format_lenient', weight: 0.2 }, { name: bonus.name, weight: 1 }],
    ...o.rl, model: modelDir, output_dir: runDir, seed: o.seed, max_steps: o.rl_steps, threads: o.threads,
  };
  const run = prepareGrpo(config, { quiet: o.quiet, rewardFunctions: [bonus] });
  if (o.restart_share > 0) run.prompts = restartPrompts(run.prompts, states, { share: o.restart_share, seed: o.seed });
  const abort = new AbortController();
  const t0 = performance.now();
  let steps = 0;
  await runGrpo({
    ...run, signal: abort.signal,
    onStep: () => {
      steps++;
      if (o.rl_seconds !== null && (performance.now() - t0) / 1000 >= o.rl_seconds) abort.abort();
      if (o.cpu_seconds !== null && cpuSeconds() - cpuStart >= o.cpu_seconds) abort.abort();
    },
  });
  return { model: run.model, tokenizer: run.tokenizer, steps };
}

/**
 * Restart states from one format-tuned trajectory per training problem (right and wrong ones),
 * keeping those whose prompt + prefix leaves room for a whole completion in the context.
 */
function restartBuffer(model: CausalLM, tokenizer: Tokenizer, o: CoatOptions, maxTokens: number): RestartState[] {
  const items = trainItems(o.restart_problems, o.seed ^ RESTART_STREAM_SALT);
  const room = model.config.max_position_embeddings - maxTokens;
  return fittingRestartStates(sampleTrajectories(model, tokenizer, items, maxTokens, o.seed + 1), (p) => tokenizer.encode(p), room);
}

/** The RL model's best trajectory per training problem (right ones only, the shortest first) as SFT data. */
function distillData(model: CausalLM, tokenizer: Tokenizer, o: CoatOptions, maxTokens: number, file: string): number {
  const items = trainItems(o.distill_problems, o.seed ^ 0x68e31da4);
  const repeated = items.flatMap((it) => Array.from({ length: o.distill_samples }, () => it));
  const rows = sampleTrajectories(model, tokenizer, repeated, maxTokens, o.seed + 2);
  const lines: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const best = rows.slice(i * o.distill_samples, (i + 1) * o.distill_samples).filter((r) => r.correct).sort((a, b) => a.completion.length - b.completion.length)[0];
    if (best) lines.push(JSON.stringify({ prompt: items[i].prompt, completion: best.completion }));
  }
  if (lines.length === 0) throw new AhaError('coat: distill-back found no right trajectory to learn from');
  writeFileSync(file, lines.join('\n') + '\n');
  return lines.length;
}

/**
 * Refuses demonstrations the model's tokenizer cannot write back: a character it maps to <unk>
 * would be trained as <unk> and the model could never produce that text (";" is not among the
 * bundled character tokenizer's pieces), so format tuning would teach a format the policy cannot use.
 */
export function checkDemosSpellable(demos: readonly { prompt: string; completion: string }[], tokenizer: Tokenizer, where: string): void {
  for (const [k, d] of demos.entries()) {
    for (const text of [d.prompt, d.completion]) {
      const back = tokenizer.decode(tokenizer.encode(text), { skipSpecialTokens: false });
      if (back === text) continue;
      let i = 0;
      while (i < text.length && text[i] === back[i]) i++;
      throw new AhaError(`coat: demonstration ${k + 1} does not survive the tokenizer of ${where}: ${JSON.stringify(text.slice(i, i + 12))} at character ${i} comes back as ${JSON.stringify(back.slice(i, i + 12))}`);
    }
  }
}

/**
 * Format-tuning demonstrations from the model in `modelDir`: it answers `self_puzzles` training
 * puzzles `self_samples` times each at temperature 1 (Satori's generator), and the critic keeps its
 * right lines, inserts the meta-actions, and reflects on and redoes its first wrong line.
 */
export function selfSampledDemos(modelDir: string, o: Pick<CoatOptions, 'self_puzzles' | 'self_samples' | 'seed'>, maxTokens: number): ReturnType<typeof selfDemos> {
  const { model, tokenizer } = loadModel(modelDir);
  const items = trainItems(o.self_puzzles, o.seed ^ 0x2c1b3c6d);
  const repeated = items.flatMap((it) => Array.from({ length: o.self_samples }, () => it));
  const rows = sampleTrajectories(model, tokenizer, repeated, maxTokens, o.seed + 3);
  return selfDemos(rows.map((r) => ({ prompt: r.item.prompt, numbers: r.item.example.numbers as number[], target: r.item.example.target as number, completion: r.completion })), o.seed);
}

/** Runs the stages; see the file header. */
export async function runCoat(raw: Record<string, unknown>): Promise<CoatResult> {
  const o = coatOptions(raw);
  const out = resolve(o.output_dir);
  mkdirSync(out, { recursive: true });
  const maxTokens = o.rl.max_completion_length ?? COAT_MAX_COMPLETION;
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const extended = join(out, 'extended');
  let formatTuned = o.format_tuned;
  let selfReport: SelfDemoReport | null = null;
  if (formatTuned === null) {
    addTokensToFolder(o.model ?? demoConfig().model!, extended);
    const demosFile = join(out, 'format-demos.jsonl');
    let demos: { prompt: string; completion: string }[];
    if (o.demo_source === 'self') {
      const made = selfSampledDemos(extended, o, maxTokens);
      if (made.demos.length === 0) throw new AhaError(`coat: the critic kept no demonstration of ${made.report.samples} samples (${made.report.unparsed} not parsed)`);
      selfReport = made.report;
      writeFileSync(join(out, 'self-demos.json'), JSON.stringify(made.report, null, 2) + '\n');
      demos = made.demos;
    } else {
      demos = coatDemos({ count: o.demos, seed: o.seed, verdict: o.demo_verdict, opening: o.demo_opening });
    }
    checkDemosSpellable(demos, loadTokenizer(extended), extended);
    writeFileSync(demosFile, demos.map((d) => JSON.stringify({ prompt: d.prompt, completion: d.completion })).join('\n') + '\n');
    formatTuned = await formatTune(o, extended, demosFile, join(out, 'format'));
  }
  const t1 = performance.now();
  const c1 = cpuSeconds();
  const ft = loadModel(formatTuned);
  const states = o.restart_share > 0 ? restartBuffer(ft.model, ft.tokenizer, o, maxTokens) : [];
  let rl = await rlRound(o, formatTuned, states, join(out, 'rl'), c0);
  let rlSteps = rl.steps;
  const t2 = performance.now();
  const c2 = cpuSeconds();
  if (o.distill) {
    const file = join(out, 'distill.jsonl');
    distillData(rl.model, rl.tokenizer, o, maxTokens, file);
    const distilled = await formatTune(o, extended, file, join(out, 'distill'));
    let again: typeof states = [];
    if (o.restart_share > 0) {
      const d = loadModel(distilled);
      again = restartBuffer(d.model, d.tokenizer, o, maxTokens);
    }
    rl = await rlRound(o, distilled, again, join(out, 'rl2'), c0);
    rlSteps += rl.steps;
  }
  const t3 = performance.now();
  const c3 = cpuSeconds();
  return {
    extended, formatTuned, final: { model: rl.model, tokenizer: rl.tokenizer }, rlSteps, restartStates: states.length,
    seconds: { format: (t1 - t0) / 1000, rl: (t2 - t1) / 1000, distill: (t3 - t2) / 1000 },
    cpuSeconds: { format: c1 - c0, rl: c2 - c1, distill: c3 - c2 },
    selfDemos: selfReport,
  };
}

/** Held-out Countdown level-0 problems for evaluateCoat (never trained on). */
export function coatHeldout(count: number, seed: number): PromptItem[] {
  return heldoutItems(countdownTask, count, seed, [COAT_DEMO_LEVEL]);
}
