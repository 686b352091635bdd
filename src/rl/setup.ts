// Turns a GRPO configuration into everything the training loop needs, cheapest checks first:
// option ranges, reward names, the task or data file, the model folder's existence and the
// checkpoint to resume, and only then the model weights (policy, and the frozen reference when
// beta > 0). Every problem surfaces as an AhaError before any sampling starts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setNumThreads } from '../core/index.js';
import { loadModel, type LoadedModel } from '../model/load-model.js';
import { loadTokenizer } from '../model/tokenizer.js';
import { adapterToTrain, frozenAdaptersOf, isAdapterDir, withNewAdapters } from '../model/adapter.js';
import { adaptersOff, frozenPolicy, isLoraModel, parseLoraSpec, setGradientCheckpointing } from '../model/lora.js';
import { sample } from '../model/sampling.js';
import { assertSamplingPrecision, inSamplingPrecision } from '../model/sampling-precision.js';
import { loadResumeCheckpoint, readRunConfig, resumeCheckpoint, RUN_CONFIG_FILE } from '../model/training-run.js';
import { readTensorFile } from '../model/training-checkpoint.js';
import { restoreReference, SYNCED_REFERENCE_FILE } from './update.js';
import { assertSandbox, codeTestsOf, countReflections, getReward, hasReward } from '../rewards/index.js';
import type { RewardFunction } from '../rewards/types.js';
import { getTask } from '../tasks/registry.js';
import { registerTaskRewards } from '../tasks/rewards.js';
import { AhaError } from '../util/errors.js';
import { bundledPath, packageRoot } from '../util/paths.js';
import { assertFreshRunDir } from '../util/run-dir.js';
import { bundledModel, validateConfig, type GrpoConfig, type RewardSpec } from './config.js';
import { filePrompts, heldoutItems, promptEncoder, readPromptFile, renderChatPrompts, taskPrompts, uncheckableRows, type PromptSource } from './prompts.js';
import { makeCorrectness, type Judges, type Sampler } from './rollout.js';
import { assertInstructionEncodable, needsReference, scoreInstructionFor, secondAttemptPrompt } from './self-correction.js';
import type { GrpoRunOptions, GrpoTrainerState, ResolvedGrpoConfig } from './trainer.js';
import { assertSomeUnverifiable, isLearnedReward, learnedRewardWatch, loadLearnedReward, promptInExample, sampleExamples, withPromptField } from './learned-rewards.js';
import { buildTools } from '../tools/registry.js';
import { toolSampler } from './tools/setup.js';
import { COAT_REFLECTION_REWARD } from './coat-options.js';
import { assertJudgeable, checkMetaActionTokens, coatRun, RESTART_STREAM_SALT } from './coat-run.js';
import { COAT_READERS } from './coat-readers.js';
import { reflectionBonus } from './coat.js';
import type { Tool } from '../tools/tool.js';

/**
 * The default rewards: the task's exact verifier (or, for data files, math `accuracy`, or `code`
 * when the file's records carry code tests) plus the lenient format reward (a think block, then
 * a non-empty answer) at a small weight.
 */
export function defaultRewards(task: string | null, codeData = false): RewardSpec[] {
  const accuracy = task ? `${task}_accuracy` : codeData ? 'code' : 'accuracy';
  return [{ name: accuracy, weight: 1 }, { name: 'format_lenient', weight: 0.2 }];
}

/** The model folder a config names, or the task's bundled base model; an AhaError when it is missing. */
export function resolveModelDir(model: string | null, task: string | null = null): string {
  if (model === null) {
    const bundled = bundledModel(task);
    const dir = join(packageRoot(), bundled);
    if (!existsSync(join(dir, 'config.json'))) {
      throw new AhaError(`the bundled base model is missing (expected at ${dir}); reinstall aha, rebuild it with ` +
        `\`npx aha pretrain\` (${bundled}/README.md gives the exact commands), or pass --model DIR for any Llama/Qwen2 model folder.`);
    }
    return dir;
  }
  const dir = resolve(bundledPath(model));
  if (!existsSync(dir)) throw new AhaError(`model folder ${model} does not exist`);
  if (!existsSync(join(dir, 'config.json')) && !isAdapterDir(dir)) throw new AhaError(`${model} is not a model folder (no config.json) nor a LoRA adapter folder (no adapter_config.json)`);
  return dir;
}

function load(dir: string, what: string): LoadedModel {
  try {
    return loadModel(dir);
  } catch (err) {
    if (err instanceof AhaError) throw err;
    throw new AhaError(`${what} ${dir} does not load: ${(err as Error).message}`);
  }
}

/** Options that may change on resume without breaking the exact continuation. */
const FREE_ON_RESUME = new Set(['max_steps', 'save_steps', 'save_total_limit', 'logging_steps', 'log_completions_steps', 'eval_problems', 'eval_steps', 'threads', 'output_dir', 'gradient_checkpointing']);

/** A resumed run with different training options no longer continues exactly: say which differ. */
function warnChangedOptions(runDir: string, now: Record<string, unknown>): void {
  if (!existsSync(join(runDir, RUN_CONFIG_FILE))) return;
  const saved = readRunConfig(runDir);
  const changed = Object.keys(now).filter((k) => k in saved && !FREE_ON_RESUME.has(k) && JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
  if (changed.length > 0) {
    process.stderr.write(`aha: warning: resuming with changed options (${changed.map((k) => `${k}: ${JSON.stringify(saved[k])} -> ${JSON.stringify(now[k])}`).join(', ')}); the run will not match an uninterrupted one\n`);
  }
}

/**
 * What judges a data-file completion correct (task prompts use the task's verifier): the first
 * accuracy-like reward of the run (`accuracy`, `<task>_accuracy`, `code`), else the math checker.
 */
export function correctnessReward(rewards: readonly RewardFunction[]): RewardFunction | null {
  const own = rewards.find((r) => r.name === 'accuracy' || r.name.endsWith('_accuracy') || r.name === 'code');
  return own ?? (hasReward('accuracy') ? getReward('accuracy') : null);
}

/**
 * The index of the run's reward that already is its verifier, so a completion is verified once
 * (its score is the correctness): the task's `<task>_accuracy` for task prompts, the
 * `correctnessReward` for data files; null when the verifier is not among the rewards.
 */
export function verifierRewardIndex(rewards: readonly RewardFunction[], task: string | null): number | null {
  const k = task !== null ? rewards.findIndex((r) => r.name === `${task}_accuracy`) : rewards.indexOf(correctnessReward(rewards)!);
  return k >= 0 ? k : null;
}

export interface PrepareOptions {
  /** Continue the run in output_dir from its latest checkpoint. */
  resume?: boolean;
  quiet?: boolean;
  /** Reward functions of this run only (the library's TypeScript rewards), found by name before the registry. */
  rewardFunctions?: readonly RewardFunction[];
  /** Tools of this run only (the library's `defineTool`), found by name before the built-in ones. */
  tools?: readonly Tool[];
  /** Entries of output_dir this run wrote before its GRPO stage (SCoRe's `warmup`): the folder counts as fresh with only these in it. */
  preparedParts?: readonly string[];
  /** SCoRe's warm-up has run (pipeline/score.ts prepareScoreRun) and config.model is the warmed-up model. */
  scoreWarmedUp?: boolean;
}

/** Everything runGrpo needs, from a configuration (validated here). */
export function prepareGrpo(raw: GrpoConfig, opts: PrepareOptions = {}): GrpoRunOptions {
  let config: ResolvedGrpoConfig = validateConfig(raw);
  // The warm-up is an SFT stage (pipeline/score.ts); training without it would silently skip it.
  if (config.self_correction === 'score' && config.score_warmup_prompts > 0 && !opts.scoreWarmedUp) {
    throw new AhaError('score_warmup_prompts: the warm-up runs in `aha train` (pipeline/score.ts prepareScoreRun), not here; run the warm-up that way, or set score_warmup_prompts: 0 to train the model as it is');
  }
  const task = config.task !== null ? getTask(config.task) : null;
  for (const d of config.difficulty ?? []) {
    if (!task!.difficulties.includes(d)) throw new AhaError(`difficulty ${d} is not a level of ${task!.name}; its levels are ${task!.difficulties.join(', ')}`);
  }
  registerTaskRewards();
  let items = config.data !== null ? readPromptFile(config.data, config.chat_template_kwargs) : null;
  // SCoRe with conversational prompts: the instruction is the user's turn after y1, so the text
  // frame of the default gives way to the chat wording (config.json records the one used).
  if (config.self_correction === 'score' && items !== null) {
    config = { ...config, score_instruction: scoreInstructionFor(config.score_instruction, items.some((it) => it.messages !== undefined)) };
  }
  const codeData = items !== null && items.some((it) => codeTestsOf(it.example) !== null);
  const given = config.rewards.length > 0 ? config.rewards : defaultRewards(config.task, codeData);
  // COAT: the reflection bonus joins the rewards at weight 1 (its size is coat_reflection_beta) unless listed with a weight of the user's.
  const bonus = config.coat && config.coat_reflection_beta > 0 ? reflectionBonus({ beta: config.coat_reflection_beta, reader: COAT_READERS[config.coat_reader!] }) : null;
  const specs = bonus && !given.some((s) => s.name === bonus.name) ? [...given, { name: COAT_REFLECTION_REWARD, weight: 1 }] : given;
  const ownRewards = [...(opts.rewardFunctions ?? []), ...(bonus ? [bonus] : [])];
  // The bonus is made by a COAT run (or handed in by runCoat, pipeline/coat.ts): it is no registered reward.
  if (specs.some((s) => s.name === COAT_REFLECTION_REWARD) && !ownRewards.some((f) => f.name === COAT_REFLECTION_REWARD)) {
    throw new AhaError(`rewards: ${COAT_REFLECTION_REWARD} is COAT's reflection bonus: set coat: true (--coat) to use it`);
  }
  // What the prompts' examples are like (a task's: a sample of them), for the checks below.
  const promptExamples = () => (items ? items.map((it) => it.example) : sampleExamples(taskPrompts(task!, config.seed, config.difficulty), 64));
  const promptsName = task ? `task:${task.name}` : `data:${config.data}`;
  // learned_on unverifiable with only verifiable prompts: the learned reward would score nothing.
  if (config.learned_on === 'unverifiable') assertSomeUnverifiable(promptExamples(), promptsName);
  const rewardFns: RewardFunction[] = specs.map((s) => ownRewards.find((f) => f.name === s.name) ?? (isLearnedReward(s.name) ? loadLearnedReward(s.name, config.learned_on) : getReward(s.name)));
  const learned = specs.flatMap((s, k) => (isLearnedReward(s.name) ? [k] : []));
  // The code reward runs programs in a sandbox: find out now, not at the first step, if it cannot.
  if (specs.some((s) => s.name === 'code')) assertSandbox();
  if (items !== null) {
    const partly = uncheckableRows(config.data!, items, specs.map((s) => s.name), learned.length > 0);
    if (partly !== null && !opts.quiet) process.stderr.write(`aha: warning: ${partly}\n`);
  }
  // Tools before the model: an unknown name, a missing corpus or no sandbox fail here.
  const tools = buildTools(config, opts.tools);
  const modelDir = resolveModelDir(config.model, config.data === null ? config.task : null);
  // An adapter folder as the model: its adapter trains on (adapterToTrain), against itself as it started.
  const trainsAdapter = isAdapterDir(modelDir);
  // A reader with nothing to judge, or meta-actions the completions' text cannot carry, fail before any weights load.
  if (config.coat) {
    assertJudgeable(config.coat_reader!, promptExamples(), promptsName);
    checkMetaActionTokens(loadTokenizer(modelDir), config.model ?? modelDir);
  }
  // The reference of an adapter trained further is a frozen copy of it, which no update reaches to sync.
  if (trainsAdapter && config.sync_ref_model) {
    throw new AhaError(`sync_ref_model: ${config.model} is a LoRA adapter folder, whose reference is a frozen copy of the adapter as the run started, not a model that could be synced; drop sync_ref_model, or merge the adapter into its base first (npx aha merge)`);
  }
  const runDir = resolve(config.output_dir);
  if (!opts.resume) assertFreshRunDir(runDir, '--output', opts.preparedParts);
  const resumeFrom = opts.resume ? resumeCheckpoint(runDir) : null;
  if (config.threads > 0) setNumThreads(config.threads);

  // A learned reward reads the prompt from the example.
  const makePrompts = (seed = config.seed): PromptSource => withPromptField(task ? taskPrompts(task, seed, config.difficulty) : filePrompts(items!, seed, `data:${config.data}`), learned.length > 0);
  let loaded: LoadedModel;
  let resume: GrpoRunOptions['resume'];
  if (resumeFrom) {
    const ckpt = loadResumeCheckpoint(resumeFrom);
    const ts = ckpt.trainerState as unknown as GrpoTrainerState;
    warnChangedOptions(runDir, { ...config, rewards: specs, model: modelDir });
    if (ts.kind !== 'grpo') throw new AhaError(`${resumeFrom} is not a GRPO checkpoint`);
    loaded = ckpt;
    resume = { from: resumeFrom, optimizerState: ckpt.optimizerState, trainerState: ts };
  } else {
    loaded = trainsAdapter
      ? adapterToTrain(modelDir, config.lora)
      : config.lora !== null ? withNewAdapters(modelDir, parseLoraSpec(config.lora, '--lora'), config.seed) : load(modelDir, 'model folder');
  }
  const { model, tokenizer } = loaded;
  // Conversational prompts are rendered once, with the model's own chat template.
  if (items !== null) items = renderChatPrompts(items, tokenizer, config.data!);
  const encodePrompt = promptEncoder(tokenizer, items);
  // BF16 rollouts: a model the BF16 path cannot serve is refused now, with its reason, before any
  // reference model loads or a step runs (never sampled in f32 instead).
  assertSamplingPrecision(model, config.sampling_precision, { option: 'sampling_precision', model: config.model ?? modelDir });
  if (config.sampling_precision === 'bf16' && raw.vllm_importance_sampling_correction === null && !config.vllm_importance_sampling_correction && !opts.quiet) {
    process.stderr.write(`aha: warning: sampling_precision bf16 at temperature ${config.temperature}: the sampler correction (vllm_importance_sampling_correction) stays off, since the sampler's log-probs are temperature 1's; the rollouts are slightly off-policy, uncorrected\n`);
  }
  if (config.gradient_checkpointing) setGradientCheckpointing(model, true);

  // Prompt plus completion must fit the model's context; check a sample of prompts now.
  const ctx = model.config.max_position_embeddings;
  // Every prompt of a data file; a sample of a task's (its prompts are all of one short shape).
  // SCoRe's second attempt reads prompt + first answer + instruction (with a chat, its turn markers
  // too), then answers: both answers must fit. Attempt 2's prompt with an empty first answer gives
  // what the instruction adds.
  if (config.self_correction === 'score') assertInstructionEncodable(config.score_instruction, tokenizer, modelDir);
  const second = config.self_correction === 'score' ? secondAttemptPrompt(config.score_instruction, tokenizer, config.score_first_attempt_context) : null;
  const probe = makePrompts();
  let longest = 0;
  let longest2 = 0;
  for (let i = 0; i < (items ? items.length : 64); i++) {
    const it = probe.next();
    longest = Math.max(longest, encodePrompt(it.prompt).length);
    if (second) longest2 = Math.max(longest2, encodePrompt(second(it, '')).length);
  }
  if (longest + config.max_completion_length > ctx) {
    throw new AhaError(`prompts of up to ${longest} tokens plus max_completion_length ${config.max_completion_length} exceed the model's context of ${ctx} tokens`);
  }
  if (second && longest2 + 2 * config.max_completion_length > ctx) {
    throw new AhaError(`self_correction score: attempt-2 prompts of up to ${longest2} tokens before the first answer (prompt and score_instruction), and two answers of max_completion_length ${config.max_completion_length}, exceed the model's context of ${ctx} tokens; lower max_completion_length to ${Math.floor((ctx - longest2) / 2)} or less`);
  }

  // The reference is the starting model (not the checkpoint being resumed), loaded once, frozen;
  // with LoRA it is the same network with its adapters switched off.
  // Training on from an adapter folder: the reference is that adapter as the run started (read from
  // the folder, so a resumed run has it too), not the base with the adapters off as TRL takes it.
  const reference = !needsReference(config)
    ? null
    : isLoraModel(model)
      ? trainsAdapter ? frozenPolicy(model, frozenAdaptersOf(model, modelDir)) : adaptersOff(model)
      : load(modelDir, 'reference model folder').model;
  // sync_ref_model: the checkpoint holds the reference as synced so far.
  if (resumeFrom && config.sync_ref_model) restoreReference(reference!, readTensorFile(resumeFrom, SYNCED_REFERENCE_FILE), resumeFrom);
  const eosIds = loaded.eosIds;
  if (eosIds.length === 0) throw new AhaError(`${modelDir}: the model has no EOS token id, so completions could never end`);
  const f32Sampler: Sampler = tools.length > 0 ? toolSampler(model, tokenizer, config, tools, eosIds) : async (prompts, rng) =>
    sample(model, prompts, { maxNewTokens: config.max_completion_length, temperature: config.temperature, topP: config.top_p, topK: config.top_k, minP: config.min_p, repetitionPenalty: config.repetition_penalty, eosIds, tokenizer, rng }).map((s) => ({
      ids: s.tokens,
      text: s.text,
      truncated: s.finishReason === 'length',
      logprobs: s.logprobs,
    }));
  // The rollouts in the run's sampling precision; the held-out evaluation in f32 (what the weights score, comparable across precisions).
  const precision = config.sampling_precision;
  const sampler: Sampler = precision === 'f32' ? f32Sampler : (prompts, rng) => inSamplingPrecision(model, precision, () => f32Sampler(prompts, rng));
  const judges: Judges = {
    rewards: rewardFns,
    correctnessReward: verifierRewardIndex(rewardFns, task ? task.name : null),
    correct: makeCorrectness(correctnessReward(rewardFns)),
    reflections: (text) => countReflections(text),
  };
  // COAT's restart problems come from their own stream, so the training prompts are a plain run's.
  const restartProblems = (src: PromptSource) => Array.from({ length: config.coat_restart_problems }, () => src.next());
  const coat = config.coat ? coatRun({ config, base: makePrompts(), problems: restartProblems(makePrompts((config.seed ^ RESTART_STREAM_SALT) >>> 0)), contextLength: ctx }) : undefined;
  return {
    config,
    model,
    tokenizer,
    reference,
    sampler,
    evalSampler: f32Sampler,
    prompts: coat ? coat.prompts : makePrompts(),
    coat,
    encodePrompt,
    evalItems: task && config.eval_problems > 0 ? heldoutItems(task, config.eval_problems, config.seed, config.difficulty).map((it) => promptInExample(it, learned.length > 0)) : [],
    watch: learnedRewardWatch(learned, task !== null && config.eval_problems > 0, opts.quiet),
    rewardNames: specs.map((s) => s.name),
    rewardWeights: specs.map((s) => s.weight),
    judges,
    runDir,
    configRecord: { ...config, rewards: specs, model: modelDir, model_arg: config.model, prompts: makePrompts().label, resumed_from: resumeFrom },
    resume,
    quiet: opts.quiet,
  };
}
