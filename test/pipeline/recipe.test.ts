// Recipe validation before anything runs: kinds, names, references, config keys and values,
// missing model folders and data, each error naming the file, YAML line, stage and field; and
// the shipped recipes, which validate once their models exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecipe, readRecipe } from '../../src/pipeline/recipe.js';
import { fakeModelDir, tempDir, writeRecipe } from './helpers.js';

const dir = tempDir();
const model = fakeModelDir(dir);

function check(yaml: string) {
  return parseRecipe(yaml, 'r.yaml', { runDir: join(dir, 'runs') });
}

const stage = (name: string, kind: string, config: string) => `  - name: ${name}\n    kind: ${kind}\n    config:\n${config.split('\n').map((l) => '      ' + l).join('\n')}\n`;
const sample = stage('traces', 'sample', `model: ${model}\ndata: arithmetic`);

test('a valid recipe parses into stages with hashes and lines', () => {
  const r = check(`name: ok\nstages:\n${sample}${stage('sft1', 'sft', `model: ${model}\ndata: \${stages.traces.output}`)}`);
  assert.deepEqual(r.stages.map((s) => [s.name, s.kind, s.line]), [['traces', 'sample', 3], ['sft1', 'sft', 8]]);
  assert.equal(r.runDir, join(dir, 'runs'));
  assert.notEqual(r.stages[0].hash, r.stages[1].hash);
  assert.equal(parseRecipe(`name: ok\nstages:\n${sample}`, 'r.yaml').runDir, join(process.cwd(), 'runs', 'ok'));
});

test('structure errors name the line, stage and field', () => {
  assert.throws(() => check(`name: x\nstages:\n${sample}  - name: b\n    kind: train\n`), /^InputError: r\.yaml:9: stage "b", field "kind": must be one of sft, grpo, sample, eval, reward_model, got "train"/);
  assert.throws(() => check(`name: x\nstages:\n${sample}${sample}`), /r\.yaml:8: stage "traces", field "name": another stage already has this name/);
  assert.throws(() => check(`name: x\nstages: []\n`), /r\.yaml:2: field "stages": required: a non-empty list/);
  assert.throws(() => check(`stages:\n${sample}`), /field "name": required: the pipeline name/);
  assert.throws(() => check(`name: x\nstage:\n${sample}`), /r\.yaml:2: field "stage": unknown key \(did you mean "stages"\?\); known: name, run_dir, description, stages/);
  assert.throws(() => check(`name: x\nstages:\n  - name: a\n    kind: eval\n    confg: {}\n`), /r\.yaml:5: stage "a", field "confg": unknown key/);
  assert.throws(() => check(`name: x\nstages:\n  - name: [a\n`), /r\.yaml:\d+: not valid YAML/);
});

test('references must name an earlier stage by ${stages.<name>.output}', () => {
  const later = `name: x\nstages:\n${stage('s1', 'sft', `model: ${model}\ndata: \${stages.traces.output}`)}${sample}`;
  assert.throws(() => check(later), /r\.yaml:7: stage "s1", field "data": \$\{stages\.traces\.output\} refers to a stage that runs later/);
  assert.throws(() => check(`name: x\nstages:\n${stage('s1', 'sft', `model: ${model}\ndata: \${stages.ghost.output}`)}`), /field "data": \$\{stages\.ghost\.output\}: there is no stage "ghost"/);
  assert.throws(() => check(`name: x\nstages:\n${sample}${stage('s1', 'sft', `model: ${model}\ndata: \${traces.output}`)}`), /field "data": unknown reference \$\{traces\.output\}/);
});

test('config keys and values are checked per kind, naming the stage, field and line', () => {
  assert.throws(() => check(`name: x\nstages:\n${stage('t', 'sample', `model: ${model}\ndata: arithmetic\nsampels: 4`)}`), /r\.yaml:8: stage "t", field "sampels": unknown option \(did you mean "samples"\?\); known: model, endpoint/);
  assert.throws(() => check(`name: x\nstages:\n${stage('t', 'sample', `model: ${model}\ndata: arithmetic\nsamples: 0`)}`), /stage "t", field "samples": must be between 1 and 1024, got 0/);
  assert.throws(() => check(`name: x\nstages:\n${stage('t', 'sample', `model: ${model}\ndata: arithmetic\nfilters: [tags, spelling]`)}`), /field "filters": unknown filter "spelling"/);
  assert.throws(() => check(`name: x\nstages:\n${stage('t', 'sft', `data: arithmetic`)}`), /stage "t", field "model": required/);
  assert.throws(() => check(`name: x\nstages:\n${stage('t', 'sft', `model: ${model}\ndata: d.jsonl\nlr: fast`)}`), /field "lr": must be a number, got "fast"/);
  assert.throws(() => check(`name: x\nstages:\n${stage('g', 'grpo', `model: ${model}\nnum_generations: 1`)}`), /r\.yaml:7: stage "g", field "num_generations": group size \(num_generations\) must be an integer >= 2/);
  assert.throws(() => check(`name: x\nstages:\n${stage('g', 'grpo', `model: ${model}\nrewards: "accuracy:1,formatt:0.2"`)}`), /stage "g", field "rewards": unknown reward "formatt"/);
  assert.throws(() => check(`name: x\nstages:\n${stage('g', 'grpo', `model: ${model}\noutput_dir: elsewhere`)}`), /field "output_dir": set by the pipeline/);
  assert.throws(() => check(`name: x\nstages:\n${stage('e', 'eval', `model: ${model}\ndata: nonsense-bench`)}`), /stage "e", field "data": data "nonsense-bench" is not a JSON Lines file, a task \(arithmetic, countdown, world\)/);
});

test('missing model folders and data files are named before anything runs', () => {
  assert.throws(() => check(`name: x\nstages:\n${stage('cold', 'sft', `model: models/no-such-model\ndata: x.jsonl`)}`), /r\.yaml:6: stage "cold", field "model": model folder .*models\/no-such-model does not exist/);
  assert.throws(() => check(`name: x\nstages:\n${stage('cold', 'sft', `model: ${model}\ndata: ${join(dir, 'missing.jsonl')}`)}`), /stage "cold", field "data": file .*missing\.jsonl does not exist/);
  assert.throws(() => check(`name: x\nstages:\n${stage('cold', 'sft', `model: ${dir}\ndata: x`)}`), /field "model": .* is not a model folder \(no config\.json\)/);
  // grpo without a model means the bundled one, which ships with the package.
  check(`name: x\nstages:\n${stage('rl', 'grpo', `task: arithmetic`)}`);
  // A served teacher's model is a name, not a folder.
  check(`name: x\nstages:\n${stage('t', 'sample', `model: deepseek-r1\nendpoint: http://127.0.0.1:8000/v1\ndata: gsm8k`)}`);
});

test('the shipped recipes validate once their model folders exist', () => {
  // The distillation student is pretrained by a command named in the recipe, not shipped.
  const student = fakeModelDir(dir, 'student');
  for (const name of ['r1-arithmetic.yaml', 'distill-arithmetic.yaml']) {
    const shipped = readFileSync(join('recipes', name), 'utf8');
    assert.match(shipped, /model: models\/aha-tiny-base/);
    const text = shipped.replaceAll('models/aha-tiny-base', model).replaceAll('runs/student-64/model', student);
    const r = readRecipe(writeRecipe(dir, text, name));
    assert.ok(r.stages.length >= 3);
  }
  const r1 = readRecipe(join(dir, 'r1-arithmetic.yaml'));
  assert.deepEqual(r1.stages.map((s) => s.kind), ['sample', 'sft', 'grpo', 'sample', 'sft', 'grpo', 'eval']);
  assert.match(JSON.stringify(r1.stages[2].config.rewards), /language/);
  const distill = readRecipe(join(dir, 'distill-arithmetic.yaml'));
  assert.deepEqual(distill.stages.map((s) => s.kind), ['grpo', 'eval', 'eval', 'sample', 'sft', 'eval', 'grpo', 'eval', 'grpo', 'eval']);
});

test('a recipe, and each SFT file a stage mixes, must be UTF-8; a bad line is named in its own file', async () => {
  const { writeFileSync } = await import('node:fs');
  const { mixedData } = await import('../../src/pipeline/stages.js');
  const dir = tempDir();
  const recipe = join(dir, 'latin1.yaml');
  writeFileSync(recipe, Buffer.from('name: x\nstages:\n  - name: caf\xe9\n', 'latin1'));
  assert.throws(() => readRecipe(recipe), /latin1\.yaml:3: not UTF-8 text/);
  const good = join(dir, 'a.jsonl');
  const bad = join(dir, 'b.jsonl');
  writeFileSync(good, '{"prompt": "1", "completion": "2"}\n');
  writeFileSync(bad, '{"prompt": "1", "completion": "2"}\n{"prompt": "1",\n');
  const ctx = { dir: join(dir, 'stage'), name: 'stage', log: () => {} };
  assert.throws(() => mixedData(ctx, [good, bad]), /b\.jsonl:2: not valid JSON/);
  writeFileSync(bad, Buffer.from('{"prompt": "caf\xe9", "completion": "2"}\n', 'latin1'));
  assert.throws(() => mixedData(ctx, [good, bad]), /b\.jsonl:1: not UTF-8 text/);
});

test('stages may share settings through YAML merge keys (<<: *anchor), as PyYAML reads them', () => {
  const text = `name: x\nstages:\n  - name: a\n    kind: sample\n    config: &common\n      model: ${model}\n      data: arithmetic\n      samples: 2\n  - name: b\n    kind: sample\n    config:\n      <<: *common\n      samples: 3\n`;
  const r = check(text);
  assert.equal(r.stages[1].config.samples, 3);
  assert.equal(r.stages[1].config.data, 'arithmetic');
});

test('a training stage on an earlier LoRA stage\'s output trains those adapters on; new adapters there are refused before anything runs', () => {
  const data = join(dir, 'cold.jsonl');
  writeFileSync(data, '{"prompt": "1+1=", "completion": "2"}\n');
  const cold = stage('cold', 'sft', `model: ${model}\ndata: ${data}\nlora: r=8`);
  const rl = (extra: string) => stage('rl', 'grpo', `model: \${stages.cold.output}\ntask: arithmetic${extra}`);
  assert.deepEqual(check(`name: x\nstages:\n${cold}${rl('')}`).stages.map((s) => s.name), ['cold', 'rl']);
  assert.throws(() => check(`name: x\nstages:\n${cold}${rl('\nlora: r=8')}`), /r\.yaml:\d+: stage "rl", field "lora": stage "cold" trains LoRA adapters, so its output is an adapter folder, whose adapters this stage trains further; drop lora: here/);
  assert.equal(check(`name: x\nstages:\n${cold}${rl('\nbeta: 0.04')}`).stages.length, 2);
  // Without lora: on the first stage its output is a full model folder: both are fine.
  const full = stage('cold', 'sft', `model: ${model}\ndata: ${data}`);
  assert.equal(check(`name: x\nstages:\n${full}${rl('\nlora: r=8\nbeta: 0.04')}`).stages.length, 2);
});
