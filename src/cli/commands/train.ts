// `aha train`: GRPO training (R1-Zero). Options follow TRL's GRPOConfig names; defaults, then a
// --config file, then flags. Everything is validated before the model is loaded.
import { join } from 'node:path';
import { holdsRun, nextFreeRunDir } from '../../util/run-dir.js';
import type { Command } from 'commander';
import { parseNumber } from '../flags.js';
import { AhaError, InputError } from '../../util/errors.js';
import { configFieldOf, DEFAULT_CONFIG, parseRewardSpecs, readConfigFile, savedRunConfig, validateConfig, type GrpoConfig } from '../../rl/config.js';
import { DEMO_CONFIG_FILE, DEMO_CONFIG_FILES, demoConfig, demoConfigFile } from '../../rl/demo.js';
import { TOOL_DEFAULTS } from '../../tools/options.js';
import { addChatTemplateArgOption, chatTemplateArgFlag } from '../chat-template-flag.js';

type Kind = 'int' | 'num' | 'str' | 'bool';

/** Flag (commander's camelCase key), config key, value kind, help text. */
const FLAGS: [string, string, keyof GrpoConfig, Kind, string][] = [
  ['--output <dir>', 'output', 'output_dir', 'str', 'run folder (metrics.jsonl, completions.jsonl, checkpoints/)'],
  ['--steps <n>', 'steps', 'max_steps', 'int', 'training steps (each: sample, score, num_iterations updates)'],
  ['--prompts-per-step <n>', 'promptsPerStep', 'prompts_per_step', 'int', 'prompts per step; each gets --group-size completions'],
  ['--group-size <G>', 'groupSize', 'num_generations', 'int', 'completions per prompt, G >= 2 (TRL num_generations; DeepSeekMath GRPO)'],
  ['--max-completion-length <n>', 'maxCompletionLength', 'max_completion_length', 'int', 'new tokens per completion at most'],
  ['--temperature <t>', 'temperature', 'temperature', 'num', 'sampling temperature (the training log-probs use the same, as TRL)'],
  ['--top-p <p>', 'topP', 'top_p', 'num', 'nucleus sampling (1 = off)'],
  ['--top-k <k>', 'topK', 'top_k', 'int', 'sample among the k most likely tokens (0 = off)'],
  ['--min-p <p>', 'minP', 'min_p', 'num', 'drop tokens less likely than p times the most likely one (0 = off)'],
  ['--repetition-penalty <r>', 'repetitionPenalty', 'repetition_penalty', 'num', "CTRL's penalty on tokens already in the prompt or completion (1 = off)"],
  ['--sampling-precision <p>', 'samplingPrecision', 'sampling_precision', 'str', 'f32 (default) or bf16: sample the rollouts with BF16 matrix products (AMX or vdpbf16ps, f32 accumulation; faster on CPUs with them) while training stays f32; with bf16 the sampler correction is on by default and the sampler/trainer log-prob gap is logged (docs/real-models.md). Models the BF16 path cannot serve are refused with the reason'],
  ['--beta <b>', 'beta', 'beta', 'num', 'KL coefficient against the frozen reference, k3 estimator (DeepSeekMath); 0 = no reference model in memory'],
  ['--epsilon <e>', 'epsilon', 'epsilon', 'num', 'lower clip range of the ratio, 1 - epsilon (PPO, DeepSeekMath)'],
  ['--epsilon-high <e>', 'epsilonHigh', 'epsilon_high', 'num', 'upper clip range, 1 + epsilon_high; default = epsilon (DAPO clip-higher uses 0.28); with cispo the absolute cap on the weight, default 5'],
  ['--loss-type <t>', 'lossType', 'loss_type', 'str', 'grpo (per-sequence mean, DeepSeekMath), bnpo, dr_grpo (constant normaliser, Dr. GRPO), dapo (token-level, DAPO), cispo (clipped stop-gradient weight on REINFORCE, MiniMax-M1)'],
  ['--importance-sampling-level <l>', 'importanceSamplingLevel', 'importance_sampling_level', 'str', 'token, or sequence: one length-normalised ratio per completion, clipped per sequence (GSPO; use --epsilon 3e-4 --epsilon-high 4e-4)'],
  ['--delta <d>', 'delta', 'delta', 'num', 'two-sided clipping: cap the ratio at d (> 1 + epsilon_high) for negative advantages too (INTELLECT-2 uses 4; default off)'],
  ['--use-bias-correction-kl', 'useBiasCorrectionKl', 'use_bias_correction_kl', 'bool', 'multiply the k3 KL term by the importance ratio (DeepSeek-V3.2; needs --beta > 0)'],
  ['--entropy-coef <c>', 'entropyCoef', 'entropy_coef', 'num', 'entropy bonus: subtract c times the mean token entropy from the loss (0 = off)'],
  ['--use-adaptive-entropy', 'useAdaptiveEntropy', 'use_adaptive_entropy', 'bool', 'adapt --entropy-coef after every update toward --entropy-target; the bonus applies only while the entropy is at or below it (Skywork-OR1; TRL names)'],
  ['--entropy-target <h>', 'entropyTarget', 'entropy_target', 'num', 'with --use-adaptive-entropy: target mean token entropy in nats (TRL 0.2)'],
  ['--entropy-coef-delta <d>', 'entropyCoefDelta', 'entropy_coef_delta', 'num', 'with --use-adaptive-entropy: change of the coefficient per update (TRL 0.005)'],
  ['--entropy-coef-min <c>', 'entropyCoefMin', 'entropy_coef_min', 'num', 'with --use-adaptive-entropy: lower bound of the coefficient (TRL 0)'],
  ['--entropy-coef-max <c>', 'entropyCoefMax', 'entropy_coef_max', 'num', 'with --use-adaptive-entropy: upper bound of the coefficient (TRL 1)'],
  ['--top-entropy-quantile <q>', 'topEntropyQuantile', 'top_entropy_quantile', 'num', 'train the policy term only on the top q share of tokens by entropy (the 80/20 paper: 0.2; 1 = all)'],
  ['--advantage-estimator <e>', 'advantageEstimator', 'advantage_estimator', 'str', 'grpo (group-normalised), rloo (leave-one-out baseline), reinforce_plus_plus (batch-whitened over tokens; with --beta the KL is a per-token penalty in the return) (verl adv_estimator)'],
  ['--multi-objective-aggregation <a>', 'multiObjectiveAggregation', 'multi_objective_aggregation', 'str', 'sum_then_normalize (default) or normalize_then_sum: normalise each reward function within the group before summing (GDPO; TRL name)'],
  ['--off-policy-mask-threshold <d>', 'offPolicyMaskThreshold', 'off_policy_mask_threshold', 'num', 'drop negative-advantage completions whose mean log(pi_old/pi) exceeds d from the policy term (DeepSeek-V3.2; TRL suggests 0.5; default off)'],
  ['--sync-ref-model', 'syncRefModel', 'sync_ref_model', 'bool', 'mix the policy into the reference model every --ref-model-sync-steps updates (TR-DPO; needs --beta > 0)'],
  ['--ref-model-mixup-alpha <a>', 'refModelMixupAlpha', 'ref_model_mixup_alpha', 'num', 'alpha in ref = alpha * policy + (1 - alpha) * ref (TRL 0.6)'],
  ['--ref-model-sync-steps <n>', 'refModelSyncSteps', 'ref_model_sync_steps', 'int', 'optimiser updates between reference syncs (TRL 512)'],
  ['--vllm-importance-sampling-correction', 'vllmImportanceSamplingCorrection', 'vllm_importance_sampling_correction', 'bool', "weight the policy term by exp(trainer log-prob - sampler log-prob), capped (TIS) or masked (TRL's name; needs temperature 1). Default: on with --sampling-precision bf16, off otherwise; --no-vllm-importance-sampling-correction turns it off"],
  ['--vllm-importance-sampling-mode <m>', 'vllmImportanceSamplingMode', 'vllm_importance_sampling_mode', 'str', 'token_truncate, token_mask, sequence_truncate or sequence_mask (TRL default)'],
  ['--vllm-importance-sampling-clip-max <c>', 'vllmImportanceSamplingClipMax', 'vllm_importance_sampling_clip_max', 'num', 'the cap C on the sampler-mismatch weight (TRL 3)'],
  ['--scale-rewards <s>', 'scaleRewards', 'scale_rewards', 'str', 'advantage scaling: group (DeepSeekMath), batch, none (Dr. GRPO)'],
  ['--advantage-eps <e>', 'advantageEps', 'advantage_eps', 'num', 'added to the std in (r - mean)/(std + eps) (TRL 1e-4)'],
  ['--num-iterations <n>', 'numIterations', 'num_iterations', 'int', 'optimisation passes per batch of samples, mu (DeepSeekMath)'],
  ['--mask-truncated-completions', 'maskTruncatedCompletions', 'mask_truncated_completions', 'bool', 'leave completions that hit the length limit out of the loss (DAPO)'],
  ['--dynamic-sampling', 'dynamicSampling', 'dynamic_sampling', 'bool', 'drop groups whose rewards are all equal and sample more prompts to refill (DAPO)'],
  ['--max-sampling-rounds <n>', 'maxSamplingRounds', 'max_sampling_rounds', 'int', 'with --dynamic-sampling: sampling rounds per step at most (DAPO max_num_gen_batches)'],
  ['--lr <lr>', 'lr', 'learning_rate', 'num', 'peak learning rate (AdamW)'],
  ['--lr-scheduler <kind>', 'lrScheduler', 'lr_scheduler_type', 'str', 'constant, linear or cosine decay after warm-up'],
  ['--warmup <steps>', 'warmup', 'warmup_steps', 'int', 'linear learning-rate warm-up, in optimiser updates'],
  ['--weight-decay <w>', 'weightDecay', 'weight_decay', 'num', 'AdamW weight decay'],
  ['--grad-accum <n>', 'gradAccum', 'gradient_accumulation_steps', 'int', 'micro-batches each update is split into (gradient accumulation)'],
  ['--max-grad-norm <n>', 'maxGradNorm', 'max_grad_norm', 'num', 'clip the global gradient norm (0 = off)'],
  ['--seed <n>', 'seed', 'seed', 'int', 'seed of prompts, sampling and everything random'],
  ['--save-steps <n>', 'saveSteps', 'save_steps', 'int', 'checkpoint every n steps (and at the end; 0 = only at the end)'],
  ['--save-total-limit <n>', 'saveTotalLimit', 'save_total_limit', 'int', 'keep at most n complete checkpoints, deleting the oldest (never the newest; default: keep all)'],
  ['--logging-steps <n>', 'loggingSteps', 'logging_steps', 'int', 'write metrics every n steps'],
  ['--log-completions-steps <n>', 'logCompletionsSteps', 'log_completions_steps', 'int', 'write the sampled completions every n steps (0 = never)'],
  ['--eval-problems <n>', 'evalProblems', 'eval_problems', 'int', 'held-out task problems evaluated before training, every --eval-steps and at the end, into eval.jsonl (0 = none)'],
  ['--eval-steps <n>', 'evalSteps', 'eval_steps', 'int', 'held-out evaluation every n steps (0 = only before and after training)'],
  ['--threads <n>', 'threads', 'threads', 'int', 'compute threads (0 = default)'],
  ['--lora <spec>', 'lora', 'lora', 'str', 'train LoRA adapters on a frozen base instead of every weight, e.g. r=16,alpha=32,dropout=0,targets=all-linear (or targets=q_proj,v_proj); trainable_tokens=<a>+<b> also trains those token rows (PEFT\'s trainable tokens; trainable_tokens_lm_head=true for an untied lm_head); checkpoints are PEFT adapter folders'],
  ['--gradient-checkpointing', 'gradientCheckpointing', 'gradient_checkpointing', 'bool', 'recompute each layer in the backward pass instead of keeping its activations (less memory, about one more forward pass)'],
  ['--max-tool-calls <n>', 'maxToolCalls', 'max_tool_calls', 'int', 'tool calls per completion at most; a call past it gets an error result (docs/tools.md)'],
  ['--tool-timeout <s>', 'toolTimeout', 'tool_timeout', 'num', 'seconds one tool call may take; a slower call gets an error result'],
  ['--search-corpus <file>', 'searchCorpus', 'search_corpus', 'str', 'JSON Lines passages ({"text": ...}) the search tool indexes with BM25 (default: the task\'s own corpus)'],
  ['--search-top-k <k>', 'searchTopK', 'search_top_k', 'int', 'passages a search returns at most'],
  ['--learned-on <rows>', 'learnedOn', 'learned_on', 'str', 'rows a learned reward (--reward rm:<folder>) scores: all, or unverifiable (only prompts without gold or code tests; the rule-based rewards score the rest, R1\'s final stage; docs/reward-models.md)'],
  ['--self-correction <kind>', 'selfCorrection', 'self_correction', 'str', 'none, or score: two attempts per rollout, the second after an instruction to fix the first, trained in SCoRe\'s two stages (docs/self-correction.md)'],
  ['--score-stage <s>', 'scoreStage', 'score_stage', 'str', 'SCoRe stage: 1 (reward the second attempt, KL holds the first), 2 (both, shaped bonus) or both (Stage I, then Stage II)'],
  ['--score-stage-one-steps <n>', 'scoreStageOneSteps', 'score_stage_one_steps', 'int', 'with --score-stage both: steps of Stage I (default half of --steps)'],
  ['--score-alpha <a>', 'scoreAlpha', 'score_alpha', 'num', 'Stage II bonus alpha * (r(y2) - r(y1)) on the second attempt (paper 10)'],
  ['--score-beta-first <b>', 'scoreBetaFirst', 'score_beta_first', 'num', 'Stage I KL coefficient on the first attempt (paper 0.1)'],
  ['--score-second-baseline <b>', 'scoreSecondBaseline', 'score_second_baseline', 'str', 'Stage II baseline of the second attempt: group (all G second attempts of a prompt) or first_outcome (those after a right first attempt apart from those after a wrong one)'],
  ['--score-instruction <text>', 'scoreInstruction', 'score_instruction', 'str', 'between the attempts: text appended after the first answer, or with chat prompts the user turn after it'],
  ['--score-first-attempt-context <c>', 'scoreFirstAttemptContext', 'score_first_attempt_context', 'str', 'what the second attempt reads of the first: full (all of it) or answer (without its think block, as Qwen3\'s chat template keeps an earlier turn)'],
  ['--score-warmup-prompts <n>', 'scoreWarmupPrompts', 'score_warmup_prompts', 'int', 'SCoRe warm-up before Stage I: SFT on the model\'s own samples of this many prompts, a second sample as the re-attempt, so the second turn starts fair (0 = none)'],
  ['--score-warmup-epochs <n>', 'scoreWarmupEpochs', 'score_warmup_epochs', 'int', 'passes of the warm-up SFT over its transcripts'],
  ['--score-warmup-lr <lr>', 'scoreWarmupLr', 'score_warmup_learning_rate', 'num', 'learning rate of the warm-up SFT'],
  ['--score-warmup-batch-size <n>', 'scoreWarmupBatchSize', 'score_warmup_batch_size', 'int', 'transcripts per step of the warm-up SFT'],
  ['--coat', 'coat', 'coat', 'bool', 'Satori\'s COAT stage 2: a share of each step\'s prompts restart from the policy\'s own trajectories with <|reflect|> appended, and the reflection bonus (coat_reflection) joins the rewards; the model needs the meta-action tokens (aha tokens add; docs/self-correction.md)'],
  ['--coat-restart-share <s>', 'coatRestartShare', 'coat_restart_share', 'num', 'share of each step\'s prompts that are restart states, in [0, 1) (default 0.25)'],
  ['--coat-restart-problems <n>', 'coatRestartProblems', 'coat_restart_problems', 'int', 'training prompts the policy answers at the start; their trajectories, right and wrong, are cut into restart states (default 64)'],
  ['--coat-restart-max-drop <t>', 'coatRestartMaxDrop', 'coat_restart_max_drop', 'int', 'steps dropped from a trajectory\'s end at most when cutting restart states (Satori\'s T = 2)'],
  ['--coat-reflection-beta <b>', 'coatReflectionBeta', 'coat_reflection_beta', 'num', 'reflection bonus: +b when a <|reflect|> turns a wrong intermediate answer right, -b when it turns a right one wrong (Satori 0.5; 0 = none)'],
  ['--coat-reader <name>', 'coatReader', 'coat_reader', 'str', 'how intermediate answers are read and judged: math (the last \\boxed{} or final-answer statement, by the math verifier against the gold) or countdown (default: countdown for --task countdown, else math)'],
];

/** Built-in recipes of --recipe: their settings file (over the defaults, under --config and flags). */
const RECIPES: Readonly<Record<string, string>> = { score: 'configs/score-countdown.yaml' };

function parseValue(flag: string, kind: Kind, v: unknown): unknown {
  if (kind === 'bool') return v === true;
  if (kind === 'str') return String(v);
  return parseNumber(flag.split(' ')[0], v, { integer: kind === 'int' });
}

/**
 * Defaults (or the resumed run's saved options) < --config file < flags. With --data and no --task,
 * no task. `sources`, when given, is filled with where each option the user set came from: the
 * config file's name, or the flag.
 */
export function configFromFlags(flags: Record<string, unknown>, base: GrpoConfig = { ...DEFAULT_CONFIG, task: 'arithmetic' }, sources?: Map<string, string>): GrpoConfig {
  const cfg: GrpoConfig = { ...base };
  if (typeof flags.config === 'string') {
    const file = readConfigFile(flags.config);
    if (file.data !== undefined && file.task === undefined) cfg.task = null;
    Object.assign(cfg, file);
    for (const k of Object.keys(file)) sources?.set(k, flags.config);
  }
  const set = <K extends keyof GrpoConfig>(key: K, value: GrpoConfig[K], flag: string) => {
    cfg[key] = value;
    sources?.set(key, flag);
  };
  if (typeof flags.model === 'string') set('model', flags.model, '--model');
  if (typeof flags.data === 'string') {
    set('data', flags.data, '--data');
    if (typeof flags.task !== 'string') cfg.task = null;
  }
  if (typeof flags.task === 'string') set('task', flags.task, '--task');
  if (typeof flags.difficulty === 'string') set('difficulty', flags.difficulty.split(',').map((d) => parseValue('--difficulty', 'int', d) as number), '--difficulty');
  // --tools none turns the tools off with their settings (a config's max_tool_calls would be refused).
  if (flags.tools === 'none') Object.assign(cfg, TOOL_DEFAULTS);
  else if (typeof flags.tools === 'string') set('tools', flags.tools.split(',').map((t) => t.trim()), '--tools');
  if (Array.isArray(flags.reward) && flags.reward.length > 0) set('rewards', parseRewardSpecs(flags.reward as string[]), '--reward');
  // Each --chat-template-arg sets one variable over the config file's chat_template_kwargs.
  const templateArgs = chatTemplateArgFlag(flags);
  if (templateArgs !== null) set('chat_template_kwargs', { ...cfg.chat_template_kwargs, ...templateArgs }, '--chat-template-arg');
  const mutable = cfg as unknown as Record<string, unknown>;
  for (const [flag, key, cfgKey, kind] of FLAGS) {
    if (flags[key] === undefined) continue;
    mutable[cfgKey] = parseValue(flag, kind, flags[key]);
    sources?.set(cfgKey, flag.split(' ')[0]);
  }
  return cfg;
}

/**
 * validateConfig, with a refusal naming where the bad option was set: `FILE, field "x": …` for a
 * config file's option, `--flag: …` for a flag's (options from defaults or a recipe: the message alone).
 */
export function checkConfig(config: GrpoConfig, sources: ReadonlyMap<string, string>): void {
  try {
    validateConfig(config);
  } catch (err) {
    if (!(err instanceof AhaError) || err instanceof InputError) throw err;
    const field = configFieldOf(err.message, sources.keys());
    const source = field === null ? undefined : sources.get(field);
    if (field === null || source === undefined) throw err;
    // "lora: unknown key …" names the option already: the source takes its place, not a second prefix.
    const problem = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
    throw source.startsWith('--') ? new AhaError(`${source}: ${problem}`) : new InputError({ file: source, field }, problem);
  }
}

/**
 * The base settings of --recipe: alone, the recipe's settings file (its miniature); with a model,
 * data or config file, those settings (the defaults) with the recipe's switch on. Null without --recipe.
 */
export function recipeBase(flags: Record<string, unknown>): GrpoConfig | null {
  if (flags.recipe === undefined) return null;
  const name = String(flags.recipe);
  if (!Object.hasOwn(RECIPES, name)) throw new AhaError(`--recipe: unknown recipe "${name}"; known: ${Object.keys(RECIPES).join(', ')}`);
  return wantsDemo(flags) ? demoConfig(RECIPES[name]) : { ...DEFAULT_CONFIG, task: 'arithmetic', self_correction: 'score' };
}

/** No model, data or config file named: the user asked for the demo. */
export function wantsDemo(flags: Record<string, unknown>): boolean {
  return flags.model === undefined && flags.data === undefined && flags.config === undefined;
}

/** TRL's names (the config keys) of the flags named otherwise here: max_steps is --steps, num_generations --group-size, ... */
export const TRAIN_FOREIGN_FLAGS: Readonly<Record<string, string>> = Object.fromEntries(
  FLAGS.map(([flag, , key]) => [key, flag.split(' ')[0]]).filter(([key, flag]) => flag !== `--${key.replace(/_/g, '-')}`),
);

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description(
      'GRPO training (R1-Zero): sample a group of completions per prompt, score them with rule-based rewards, ' +
        'normalise within the group and push the policy toward the better ones. With no arguments: the R1-Zero demo ' +
        `(the bundled Countdown base model, ${DEMO_CONFIG_FILE}; with --task arithmetic, ${DEMO_CONFIG_FILES.arithmetic}), held-out evaluation before and after, and report.html.`,
    )
    .option('--model <dir>', `model folder (Hugging Face layout), or a LoRA adapter folder whose adapter trains on (docs/real-models.md); default: the task's bundled base model (models/aha-tiny-countdown, or models/aha-tiny-base for arithmetic and data files), with that task's demo settings unless --data or --config is given`)
    .option('--task <name>', 'built-in task: countdown (the default demo), arithmetic, or world (the tool-use miniature, with search)')
    .option('--difficulty <levels>', 'task difficulty levels to draw from, e.g. 1,2 (default: all levels)')
    .option('--data <file>', 'JSON Lines prompts: "prompt" (verbatim) or "problem"/"question" (framed), with "answer" or "gold", or code tests in any form of docs/rewards.md (then the code reward by default)')
    .option('--reward <spec...>', 'reward functions with weights, e.g. accuracy:1,format:0.5, or a reward model folder rm:<dir>[:<weight>] (default: the task accuracy:1 and format_lenient:0.2)')
    .option('--config <file>', 'options from a JSON or YAML file, by the config keys of docs/grpo.md (TRL GRPOConfig names, its batch sizes included); flags override it')
    .option('--tools <names>', 'tools the model may call mid-answer: search, python (comma-separated; none = no tools); docs/tools.md')
    .option('--recipe <name>', `a built-in recipe: score (SCoRe self-correction, ${RECIPES.score}; with --model, --data or --config, their settings with self_correction: score)`)
    .option('--resume', 'continue the run in --output from its latest checkpoint (optimizer, RNG, data position, step)')
    .option('--quiet', 'no progress bar');
  for (const [flag, , , , help] of FLAGS) cmd.option(flag, help);
  addChatTemplateArgOption(cmd, 'renders a data file\'s prompts given as lists of messages; over the config file\'s chat_template_kwargs');
  // Its default depends on --sampling-precision, so it can be turned off as well as on.
  cmd.option('--no-vllm-importance-sampling-correction', 'turn the sampler correction off (also with --sampling-precision bf16)');
  cmd.action(async (flags: Record<string, unknown>) => {
    const recipe = recipeBase(flags);
    const sources = new Map<string, string>();
    let config = configFromFlags(flags, recipe ?? (wantsDemo(flags) ? demoConfig(demoConfigFile(typeof flags.task === 'string' ? flags.task : undefined)) : undefined), sources);
    if (recipe && config.self_correction !== 'score') throw new AhaError(`--recipe score conflicts with --self-correction ${config.self_correction}`);
    // --resume starts from the options the run was started with, so `--output DIR --resume` is enough.
    if (flags.resume === true) config = configFromFlags(flags, savedRunConfig(config.output_dir) ?? config);
    // A fresh run with no --output goes to the next free folder (runs/r1-zero, runs/r1-zero-2, ...)
    // rather than failing because the last run is there.
    else if (flags.output === undefined && holdsRun(config.output_dir)) config = { ...config, output_dir: nextFreeRunDir(config.output_dir) };
    checkConfig(config, sources);
    // Imported here so `aha --help` does not load the compute core.
    const { prepareScoreRun } = await import('../../pipeline/score.js');
    const { runGrpo } = await import('../../rl/trainer.js');
    const { heldoutSummary } = await import('../../rl/metrics.js');
    // prepareGrpo, with SCoRe's warm-up first when the config asks for one (pipeline/score.ts).
    const { run } = await prepareScoreRun(config, { resume: flags.resume === true, quiet: flags.quiet === true });
    const result = await runGrpo(run);
    const m = result.lastMetrics;
    const summary = m ? ` accuracy ${m.accuracy?.toFixed(3)}, mean length ${m['completion_length/mean']?.toFixed(1)}` : '';
    process.stderr.write(
      `${result.interrupted ? 'stopped' : 'done'} at step ${result.state.step}/${config.max_steps}.${summary}\n` +
        (result.checkpointDir ? `checkpoint: ${result.checkpointDir}\n` : '') +
        `metrics: ${run.runDir}/metrics.jsonl\n`,
    );
    // The report people open: curves, held-out evaluations, completions with reflections marked.
    const { writeReport } = await import('../../report/index.js');
    const heldout = heldoutSummary(run.runDir);
    if (heldout) process.stderr.write(heldout + '\n');
    const report = await writeReport([run.runDir], { pngDir: join(run.runDir, 'curves') });
    process.stderr.write(`report: ${report.html} (open it in a browser); curves: ${join(run.runDir, 'curves')}/*.png\n`);
  });
}
