// Configuration errors surface as AhaErrors before any model is loaded or sampled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError } from '../../src/util/errors.js';
import { DEFAULT_CONFIG, savedRunConfig, type GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo, defaultRewards, correctnessReward, resolveModelDir, verifierRewardIndex } from '../../src/rl/setup.js';
import { packageRoot } from '../../src/util/paths.js';
import { checkConfig, configFromFlags, wantsDemo } from '../../src/cli/commands/train.js';
import { demoConfig, demoConfigFile } from '../../src/rl/demo.js';
import { configFieldOf, validateConfig } from '../../src/rl/config.js';
import { scratchDir } from '../scratch-dir.js';

const cfg = (over: Partial<GrpoConfig>): GrpoConfig => ({ ...DEFAULT_CONFIG, task: 'arithmetic', ...over });
const aha = (re: RegExp) => (e: unknown) => e instanceof AhaError && re.test(e.message);

test('unknown reward, unknown task, missing or broken model folder: clear errors', () => {
  assert.throws(() => prepareGrpo(cfg({ model: '/nonexistent', rewards: [{ name: 'nope', weight: 1 }] })), aha(/unknown reward "nope"; known rewards: .*accuracy/));
  assert.throws(() => prepareGrpo(cfg({ model: '/nonexistent', task: 'chess' })), aha(/unknown task "chess"/));
  assert.throws(() => prepareGrpo(cfg({ model: '/nonexistent' })), aha(/model folder \/nonexistent does not exist/));
  const dir = scratchDir('aha-rl-setup-');
  assert.throws(() => prepareGrpo(cfg({ model: dir })), aha(/is not a model folder \(no config.json\)/));
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'config.json'), '{"model_type": "llama"');
  assert.throws(() => prepareGrpo(cfg({ model: broken })), (e: unknown) => e instanceof AhaError && e.message.includes(broken));
  assert.throws(() => prepareGrpo(cfg({ model: '/nonexistent', num_generations: 1 })), aha(/group size/));
  assert.throws(() => prepareGrpo(cfg({ model: '/nonexistent', data: join(dir, 'missing.jsonl'), task: null })), aha(/missing\.jsonl: file not found/));
});

test('--resume without a checkpoint is an error', () => {
  const dir = scratchDir('aha-rl-setup-');
  writeFileSync(join(dir, 'config.json'), '{}');
  // the model folder check comes first, so point it at a folder that has a config.json
  assert.throws(() => prepareGrpo(cfg({ model: dir, output_dir: join(dir, 'run') }), { resume: true }), aha(/--resume: no complete checkpoint[^;]*$/));
  // A run killed before its first checkpoint: fresh start and resume are both refused, so say what to do.
  mkdirSync(join(dir, 'killed'));
  writeFileSync(join(dir, 'killed', 'config.json'), '{}');
  assert.throws(() => prepareGrpo(cfg({ model: dir, output_dir: join(dir, 'killed') }), { resume: true }), aha(/no complete checkpoint .*; the run stopped before its first checkpoint, so there is nothing to continue: delete the folder to start it again/));
});

test('a fresh run refuses a folder that holds another run, before loading anything', () => {
  const dir = scratchDir('aha-rl-setup-');
  writeFileSync(join(dir, 'config.json'), '{}'); // a model folder, as far as the existence check goes
  const run = join(dir, 'run');
  mkdirSync(run);
  writeFileSync(join(run, 'metrics.jsonl'), '{"step":1}\n');
  assert.throws(() => prepareGrpo(cfg({ model: dir, output_dir: run })), aha(/already holds a run; pass --resume to continue it, or choose another --output/));
});

test('no --model, --data or --config: the Countdown demo on its bundled model, which validates and trains only on accuracy and format', () => {
  assert.equal(wantsDemo({}), true);
  assert.equal(wantsDemo({ steps: '5' }), true);
  assert.equal(wantsDemo({ model: 'm' }), false);
  assert.equal(wantsDemo({ config: 'c.yaml' }), false);
  assert.equal(demoConfigFile(), 'configs/r1-zero-countdown.yaml');
  const demo = demoConfig();
  validateConfig(demo);
  assert.equal(demo.task, 'countdown');
  assert.deepEqual(demo.difficulty, [0]);
  // The bundled model, resolved inside the package, so the demo runs from any working folder.
  assert.equal(demo.model, join(packageRoot(), 'models/aha-tiny-countdown'));
  assert.ok(existsSync(join(demo.model, 'config.json')));
  assert.ok(demo.eval_problems > 0, 'held-out evaluation before and after');
  // R1-Zero: rule-based accuracy and format rewards only; nothing pays for length or reflection words.
  assert.deepEqual(demo.rewards.map((r) => r.name).sort(), ['countdown_accuracy', 'format_lenient']);
  const c = configFromFlags({ steps: '7' }, demo);
  assert.equal(c.max_steps, 7);
  assert.equal(c.learning_rate, demo.learning_rate);
});

test('--task arithmetic alone runs the arithmetic demo on the arithmetic base model; an unknown task falls through to validation', () => {
  assert.equal(demoConfigFile('arithmetic'), 'configs/r1-zero-arithmetic.yaml');
  const demo = configFromFlags({ task: 'arithmetic' }, demoConfig(demoConfigFile('arithmetic')));
  validateConfig(demo);
  assert.equal(demo.task, 'arithmetic');
  assert.deepEqual(demo.difficulty, [2, 3]);
  assert.equal(demo.model, null);
  assert.equal(resolveModelDir(demo.model, demo.task), join(packageRoot(), 'models/aha-tiny-base'));
  assert.deepEqual(demo.rewards.map((r) => r.name).sort(), ['arithmetic_accuracy', 'format_lenient']);
  assert.equal(demoConfigFile('toString'), demoConfigFile(), 'only the tasks with a demo');
  const unknown = configFromFlags({ task: 'sudoku', output: join(scratchDir('aha-rl-demo-'), 'run') }, demoConfig(demoConfigFile('sudoku')));
  assert.throws(() => prepareGrpo(unknown, { quiet: true }), aha(/unknown task "sudoku"/));
});

test('with no --model, each task trains its own bundled base model', () => {
  assert.equal(resolveModelDir(null, 'countdown'), join(packageRoot(), 'models/aha-tiny-countdown'));
  assert.equal(resolveModelDir(null, 'arithmetic'), join(packageRoot(), 'models/aha-tiny-base'));
  assert.equal(resolveModelDir(null, null), join(packageRoot(), 'models/aha-tiny-base'), 'a data file: the arithmetic base model');
});

test('default rewards: the task verifier plus the lenient format reward', () => {
  assert.deepEqual(defaultRewards('countdown').map((r) => r.name), ['countdown_accuracy', 'format_lenient']);
  assert.deepEqual(defaultRewards(null).map((r) => r.name), ['accuracy', 'format_lenient']);
});

test('flags: defaults, then the config file, then flags; --data alone means no task', () => {
  const dir = scratchDir('aha-rl-flags-');
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ beta: 0.04, loss_type: 'dapo', num_generations: 4 }));
  const c = configFromFlags({ config: file, groupSize: '6', epsilonHigh: '0.28', dynamicSampling: true, reward: ['accuracy:1', 'format:0.5'] });
  assert.equal(c.beta, 0.04);
  assert.equal(c.loss_type, 'dapo');
  assert.equal(c.num_generations, 6);
  assert.equal(c.epsilon_high, 0.28);
  assert.equal(c.dynamic_sampling, true);
  assert.equal(c.task, 'arithmetic');
  assert.deepEqual(c.rewards, [{ name: 'accuracy', weight: 1 }, { name: 'format', weight: 0.5 }]);
  const d = configFromFlags({ data: 'x.jsonl' });
  assert.equal(d.task, null);
  assert.throws(() => configFromFlags({ groupSize: '2.5' }), aha(/--group-size must be an integer, got "2.5"/));
});

test('an option out of range is refused naming where it was set: the config file and field, or the flag', () => {
  const dir = scratchDir('aha-rl-where-');
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'max_steps: -3\nepsilon: 0.2\nepsilon_high: 0.1\ndelta: 1.05\n');
  const refusal = (flags: Record<string, unknown>): string => {
    const sources = new Map<string, string>();
    const config = configFromFlags({ config: file, ...flags }, undefined, sources);
    try {
      checkConfig(config, sources);
    } catch (e) {
      assert.ok(e instanceof AhaError);
      return e.message;
    }
    return 'accepted';
  };
  assert.equal(refusal({}), `${file}, field "max_steps": max_steps must be an integer >= 1, got -3`);
  // A flag overrides the file's value: a bad flag is named as the flag, a good one clears the file's error.
  assert.equal(refusal({ steps: '0' }), '--steps: max_steps must be an integer >= 1, got 0');
  // delta's message also names epsilon_high: the option it is about is the one named first.
  assert.ok(refusal({ steps: '5' }).startsWith(`${file}, field "delta": delta must be > 1 + epsilon_high`));
  assert.equal(refusal({ steps: '5', delta: '3' }), 'accepted');
  // An option the user did not set (a default) leaves the message as validateConfig wrote it.
  assert.throws(() => checkConfig(cfg({ max_steps: 0 }), new Map()), (e: unknown) => e instanceof AhaError && e.message === 'max_steps must be an integer >= 1, got 0');
});

test('configFieldOf reads whole option names only, the first named', () => {
  assert.equal(configFieldOf('epsilon_high must be > 0, got -1', ['epsilon', 'epsilon_high']), 'epsilon_high');
  assert.equal(configFieldOf('epsilon must be in (0, 1), got 2', ['epsilon_high']), null);
  assert.equal(configFieldOf('group size (num_generations) must be an integer >= 2', ['num_generations', 'beta']), 'num_generations');
  assert.equal(configFieldOf('use_bias_correction_kl corrects the KL term: it needs beta > 0', ['beta', 'use_bias_correction_kl']), 'use_bias_correction_kl');
});

test('--resume starts from the options saved in the run folder; flags still override', () => {
  const dir = scratchDir('aha-rl-resume-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...DEFAULT_CONFIG, task: 'countdown', learning_rate: 3e-4, num_generations: 4, model: '/m', prompts: 'task:countdown' }));
  const saved = savedRunConfig(dir)!;
  assert.equal(saved.learning_rate, 3e-4);
  assert.equal((saved as unknown as Record<string, unknown>).prompts, undefined);
  const c = configFromFlags({ steps: '9' }, saved);
  assert.equal(c.task, 'countdown');
  assert.equal(c.model, '/m');
  assert.equal(c.num_generations, 4);
  assert.equal(c.max_steps, 9);
  assert.equal(savedRunConfig(join(dir, 'none')), null);
});

test('difficulty levels are checked against the task', () => {
  assert.throws(() => prepareGrpo(cfg({ model: '/nonexistent', difficulty: [9] })), aha(/difficulty 9 is not a level of arithmetic; its levels are 1, 2, 3, 4/));
  assert.deepEqual(configFromFlags({ difficulty: '1,2' }).difficulty, [1, 2]);
  assert.throws(() => configFromFlags({ difficulty: '1,x' }), aha(/--difficulty must be an integer/));
});

test('correctness for data files follows the run\'s accuracy-like reward', () => {
  const fmt = { name: 'format', description: '', score: () => 1 };
  const code = { name: 'code', description: '', score: () => 1 };
  assert.equal(correctnessReward([fmt, code])?.name, 'code');
  assert.equal(correctnessReward([fmt])?.name, 'accuracy');
});

test('the reward that is the run\'s verifier is found, so its score is reused as the correctness', () => {
  const fmt = { name: 'format', description: '', score: () => 1 };
  const task = { name: 'arithmetic_accuracy', description: '', score: () => 1 };
  const other = { name: 'countdown_accuracy', description: '', score: () => 1 };
  assert.equal(verifierRewardIndex([fmt, task], 'arithmetic'), 1);
  assert.equal(verifierRewardIndex([fmt, other], 'arithmetic'), null, 'another task\'s verifier does not judge this task');
  assert.equal(verifierRewardIndex([fmt, { ...task, name: 'code' }], null), 1);
  assert.equal(verifierRewardIndex([fmt], null), null, 'the math checker is not among the rewards: it judges on its own');
});
