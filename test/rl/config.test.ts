import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, parseRewardSpecs, readConfigFile, validateConfig, type GrpoConfig } from '../../src/rl/config.js';
import { AhaError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';

const base = (over: Partial<GrpoConfig> = {}): GrpoConfig => ({ ...DEFAULT_CONFIG, task: 'arithmetic', ...over });

test('reward specs: name:weight pairs, weight defaults to 1', () => {
  assert.deepEqual(parseRewardSpecs('accuracy:1,format:0.5'), [{ name: 'accuracy', weight: 1 }, { name: 'format', weight: 0.5 }]);
  assert.deepEqual(parseRewardSpecs(['accuracy', 'format:-0.25']), [{ name: 'accuracy', weight: 1 }, { name: 'format', weight: -0.25 }]);
  assert.throws(() => parseRewardSpecs('accuracy:abc'), /"accuracy:abc": the weight after the name must be a number/);
  // Rewards are logged by name: a second "accuracy" would be summed in while one log vanished.
  assert.throws(() => parseRewardSpecs('accuracy:1,format:0.2,accuracy:0.5'), /--reward: reward "accuracy" is given twice/);
  assert.throws(() => validateConfig(base({ rewards: [{ name: 'format', weight: 1 }, { name: 'format', weight: 1 }] })), /rewards: "format" is given twice/);
});

test('validation rejects bad settings with a clear AhaError', () => {
  const bad: [Partial<GrpoConfig>, RegExp][] = [
    [{ num_generations: 1 }, /group size .* >= 2/],
    [{ eval_problems: -1 }, /eval_problems must be an integer >= 0/],
    [{ eval_problems: 10, task: null, data: 'x.jsonl' }, /eval_problems needs a --task/],
    [{ loss_type: 'ppo' as never }, /unknown loss_type "ppo"; choose one of grpo, bnpo, dr_grpo, dapo, cispo/],
    [{ scale_rewards: 'row' as never }, /unknown scale_rewards/],
    [{ beta: -1 }, /beta must be >= 0/],
    [{ importance_sampling_level: 'seq' as never }, /unknown importance_sampling_level "seq"; choose token or sequence/],
    [{ delta: 1.1 }, /delta must be > 1 \+ epsilon_high \(1.2\)/],
    [{ delta: 4, loss_type: 'cispo' }, /cispo has none/],
    [{ use_bias_correction_kl: true }, /needs beta > 0/],
    [{ entropy_coef: -0.1 }, /entropy_coef must be >= 0/],
    [{ top_entropy_quantile: 0 }, /top_entropy_quantile must be in \(0, 1\]/],
    [{ top_entropy_quantile: 1.5 }, /top_entropy_quantile must be in/],
    [{ vllm_importance_sampling_mode: 'token' as never }, /unknown vllm_importance_sampling_mode "token"/],
    [{ vllm_importance_sampling_clip_max: 0.5 }, /vllm_importance_sampling_clip_max must be >= 1/],
    [{ vllm_importance_sampling_correction: true, temperature: 0.7 }, /needs temperature 1/],
    [{ multi_objective_aggregation: 'sum' as never }, /unknown multi_objective_aggregation "sum"/],
    [{ multi_objective_aggregation: 'normalize_then_sum', advantage_estimator: 'rloo' }, /use it with advantage_estimator grpo/],
    [{ off_policy_mask_threshold: -1 }, /off_policy_mask_threshold must be >= 0 or null/],
    [{ sync_ref_model: true }, /only exists with beta > 0/],
    [{ ref_model_mixup_alpha: 1.5 }, /ref_model_mixup_alpha must be in \[0, 1\]/],
    [{ ref_model_sync_steps: 0 }, /ref_model_sync_steps must be an integer >= 1/],
    [{ advantage_estimator: 'gae' as never }, /unknown advantage_estimator "gae"; choose one of grpo, rloo, reinforce_plus_plus/],
    [{ advantage_estimator: 'reinforce_plus_plus', beta: 0.01, importance_sampling_level: 'sequence' }, /need GSPO-token/],
    [{ advantage_estimator: 'reinforce_plus_plus', beta: 0.01, use_bias_correction_kl: true }, /no term to correct/],
    [{ entropy_target: 0.5 }, /entropy_target is read only with use_adaptive_entropy/],
    [{ entropy_coef_max: 0.1 }, /entropy_coef_max is read only with use_adaptive_entropy/],
    [{ use_adaptive_entropy: true, entropy_coef_delta: 0 }, /entropy_coef_delta must be > 0/],
    [{ use_adaptive_entropy: true, entropy_coef_min: 0.5, entropy_coef_max: 0.1 }, /0 <= min <= max/],
    [{ use_adaptive_entropy: true, entropy_coef: 2 }, /must lie in \[entropy_coef_min, entropy_coef_max\]/],
    [{ use_adaptive_entropy: true, entropy_target: -1 }, /entropy_target must be >= 0/],
    [{ epsilon: 0 }, /epsilon must be in/],
    [{ temperature: 0 }, /temperature/],
    [{ top_k: 1.5 }, /top_k must be an integer >= 0/],
    [{ min_p: 2 }, /min_p must be in \[0, 1\]/],
    [{ repetition_penalty: 0 }, /repetition_penalty must be > 0/],
    [{ sync_ref_model: true, beta: 0.04, lora: 'r=4' }, /sync_ref_model with lora/],
    [{ num_iterations: 0 }, /num_iterations/],
    [{ save_total_limit: 0 }, /save_total_limit must be an integer >= 1 \(or null to keep every checkpoint\), got 0/],
    [{ save_total_limit: 1.5 }, /save_total_limit must be an integer >= 1/],
    [{ task: null }, /give a task/],
    [{ data: 'x.jsonl' }, /exclusive/],
    [{ prompts_per_step: 2, num_generations: 2, gradient_accumulation_steps: 5 }, /gradient_accumulation_steps must be an integer from 1 to .*\(4\)/],
  ];
  for (const [over, re] of bad) assert.throws(() => validateConfig(base(over)), (e: unknown) => e instanceof AhaError && re.test(e.message), JSON.stringify(over));
});

test('epsilon_high defaults to epsilon, and is kept when given (DAPO clip-higher)', () => {
  assert.equal(validateConfig(base({ epsilon: 0.3 })).epsilon_high, 0.3);
  assert.equal(validateConfig(base({ epsilon_high: 0.28 })).epsilon_high, 0.28);
  // cispo's epsilon_high is an absolute cap on the weight: 5 unless given (ScaleRL via TRL).
  assert.equal(validateConfig(base({ loss_type: 'cispo' })).epsilon_high, 5);
  assert.equal(validateConfig(base({ loss_type: 'cispo', epsilon_high: 4 })).epsilon_high, 4);
});

test('config files: JSON and YAML, TRL names and aliases, unknown keys rejected', () => {
  const dir = scratchDir('aha-rl-cfg-');
  const y = join(dir, 'c.yaml');
  writeFileSync(y, 'loss_type: dapo\ngroup_size: 4\nreward: accuracy:1,format:0.2\nmask_truncated_completions: true\n');
  const c = readConfigFile(y);
  assert.equal(c.loss_type, 'dapo');
  assert.equal(c.num_generations, 4);
  assert.deepEqual(c.rewards, [{ name: 'accuracy', weight: 1 }, { name: 'format', weight: 0.2 }]);
  assert.equal(c.mask_truncated_completions, true);
  const j = join(dir, 'c.json');
  writeFileSync(j, JSON.stringify({ beta: 0.04, rewards: [{ name: 'accuracy' }] }));
  assert.deepEqual(readConfigFile(j), { beta: 0.04, rewards: [{ name: 'accuracy', weight: 1 }] });
  writeFileSync(y, 'rewards:\n  accuracy: 1\n  overlong: 0.5\n');
  assert.deepEqual(readConfigFile(y).rewards, [{ name: 'accuracy', weight: 1 }, { name: 'overlong', weight: 0.5 }]);
  writeFileSync(j, JSON.stringify({ betta: 1 }));
  assert.throws(() => readConfigFile(j), /field "betta": unknown option/);
  assert.throws(() => readConfigFile(join(dir, 'missing.json')), /config file not found/);
});

test('config files: a misspelt key names the near option, a wrong type names its type, JSON as strict as YAML', () => {
  const dir = scratchDir('aha-rl-cfg-');
  const y = join(dir, 'c.yaml');
  const j = join(dir, 'c.json');
  writeFileSync(y, 'num_generation: 4\n');
  assert.throws(() => readConfigFile(y), /field "num_generation": unknown option \(did you mean "num_generations"\?\)/);
  writeFileSync(y, 'num_generations: 4\n<<: {beta: 0.04, seed: 3}\nseed: 5\n');
  assert.deepEqual(readConfigFile(y), { num_generations: 4, beta: 0.04, seed: 5 });
  writeFileSync(y, 'numGenerations: 4\n');
  assert.throws(() => readConfigFile(y), /did you mean "num_generations"/);
  // A quoted number in YAML is a string: named as one, not as "got 1e-4", which reads right.
  writeFileSync(y, 'learning_rate: "1e-4"\n');
  assert.throws(() => validateConfig(base(readConfigFile(y))), /learning_rate must be a number, got the string "1e-4" \(write it without quotes\)/);
  assert.throws(() => validateConfig(base({ max_steps: null as unknown as number })), /max_steps must be a number, got null/);
  assert.throws(() => validateConfig(base({ epsilon_high: '0.28' as unknown as number })), /epsilon_high must be a number or null, got the string "0.28"/);
  // JSON.parse keeps the last of two equal keys silently; YAML refuses them, and so does JSON now.
  writeFileSync(j, '{"beta": 0.04,\n "beta": 0}');
  assert.throws(() => readConfigFile(j), /c\.json:2, field "beta": given twice/);
  writeFileSync(j, '{"beta": 0.04\n "seed": 1}');
  assert.throws(() => readConfigFile(j), /c\.json:2: not valid JSON \(.* at column 2\)/);
  writeFileSync(j, '\ufeff{"beta": 0.04}');
  assert.deepEqual(readConfigFile(j), { beta: 0.04 });
  writeFileSync(j, '');
  assert.throws(() => readConfigFile(j), /c\.json: the file is empty/);
  writeFileSync(y, Buffer.from('task: arithmetic\nmodel: caf\xe9\n', 'latin1'));
  assert.throws(() => readConfigFile(y), /c\.yaml:2: not UTF-8 text/);
});

test('config files take TRL\'s batch sizes, boolean scale_rewards and reward_weights as the library does, and say why a TRL option is not taken', () => {
  const dir = scratchDir('aha-rl-cfg-');
  const y = join(dir, 'trl.yaml');
  // TRL counts completions: 16 per step in groups of 4 are 4 prompts per step.
  writeFileSync(y, 'num_generations: 4\nper_device_train_batch_size: 8\ngradient_accumulation_steps: 2\nscale_rewards: false\nrewards: [accuracy, format]\nreward_weights: [1, 0.25]\n');
  const c = readConfigFile(y);
  assert.equal(c.prompts_per_step, 4);
  assert.equal(c.scale_rewards, 'none');
  assert.deepEqual(c.rewards, [{ name: 'accuracy', weight: 1 }, { name: 'format', weight: 0.25 }]);
  writeFileSync(y, 'num_generations: 4\ngeneration_batch_size: 6\n');
  assert.throws(() => readConfigFile(y), /trl\.yaml, field "generation_batch_size": generation_batch_size 6 must be a multiple of num_generations \(4\)/);
  writeFileSync(y, 'per_device_train_batch_size: 16\nprompts_per_step: 3\n');
  assert.throws(() => readConfigFile(y), /field "per_device_train_batch_size": gives 2 prompts per step .* but prompts_per_step is 3/);
  writeFileSync(y, 'reward_weights: [1, 2]\n');
  assert.throws(() => readConfigFile(y), /field "reward_weights": one weight per reward of "rewards" in the same file/);
  writeFileSync(y, 'num_train_epochs: 3\n');
  assert.throws(() => readConfigFile(y), /field "num_train_epochs": TRL's option is not supported: aha trains for max_steps steps/);
});
