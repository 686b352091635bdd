// The COAT pipeline: options refused by field before any work, and a tiny end-to-end run whose
// folders hold the extended model (meta-actions as single ids), the program-written demos, the
// format-tuned model and an RL run that trained on restart prompts with the reflection bonus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDemosSpellable, coatOptions, runCoat } from '../../src/pipeline/coat.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { coatDemos, COAT_OPENINGS, COAT_VERDICTS } from '../../src/tasks/coat-demos.js';
import { addTokensToFolder } from '../../src/model/added-tokens.js';
import { loadModel } from '../../src/model/load-model.js';
import { readJsonl } from '../../src/util/jsonl.js';
import { tempDir } from '../model/tmp.js';

test('coat options: unknown and conflicting fields are errors naming the field', () => {
  assert.throws(() => coatOptions({ output_dir: 'x', restart_shar: 0.2 }), /unknown option "restart_shar"/);
  assert.throws(() => coatOptions({ output_dir: 'x', restart_share: 1 }), /"restart_share" must be in \[0, 1\)/);
  assert.throws(() => coatOptions({ output_dir: 'x', rl: { max_steps: 3 } }), /"rl.max_steps" conflicts .*rl_steps/);
  assert.throws(() => coatOptions({ output_dir: 'x', rl: { task: 'arithmetic' } }), /"rl.task" conflicts/);
  assert.throws(() => coatOptions({ output_dir: 'x', rl: { num_generation: 4 } as never }), /"rl.num_generation" is not a GRPO setting; known: .*num_generations/);
  assert.throws(() => coatOptions({ output_dir: 'x', demos: 0 }), /"demos" must be an integer ≥ 1/);
  assert.throws(() => coatOptions({}), /"output_dir" is required/);
  assert.throws(() => coatOptions({ output_dir: 'x', cpu_seconds: 0 }), /"cpu_seconds" must be > 0 or null/);
  assert.throws(() => coatOptions({ output_dir: 'x', demo_verdict: 'digit' }), /"demo_verdict" must be one of subtraction, side, digits, got "digit"/);
  assert.throws(() => coatOptions({ output_dir: 'x', demo_opening: 'trying' }), /"demo_opening" must be one of restate, search, got "trying"/);
  assert.equal(coatOptions({ output_dir: 'x' }).reflection_beta, 0.5);
});

test('a tiny COAT run: tokens added, demos written, format tuned, RL on restart prompts with the reflection bonus', async () => {
  const out = join(tempDir('coat-run'), 'run');
  const r = await runCoat({
    output_dir: out, seed: 3, demos: 24, format_steps: 2, format_batch_size: 4, rl_steps: 2, restart_problems: 6, restart_share: 0.75,
    rl: { prompts_per_step: 2, num_generations: 2, max_completion_length: 150, log_completions_steps: 1 },
  });
  const ext = loadModel(r.extended);
  for (const t of ['<|continue|>', '<|reflect|>', '<|explore|>']) assert.equal(ext.tokenizer.encode(t).length, 1);
  assert.equal(ext.config.vocab_size, loadModel(join(r.extended, '..', 'format', 'model')).config.vocab_size);
  const demos = readFileSync(join(out, 'format-demos.jsonl'), 'utf8').trim().split('\n');
  assert.equal(demos.length, 24);
  assert.ok(existsSync(join(r.formatTuned, 'model.safetensors')));
  assert.equal(r.rlSteps, 2);
  assert.ok(r.restartStates > 0);
  const rows = readJsonl(join(out, 'rl', 'completions.jsonl')).map((x) => x.value as { prompt: string; rewards: Record<string, number | null> });
  assert.ok(rows.some((x) => x.prompt.endsWith('<|reflect|>')), 'some prompts restart from a cut trajectory');
  assert.ok(rows.every((x) => 'coat_reflection' in x.rewards));
  const config = JSON.parse(readFileSync(join(out, 'rl', 'config.json'), 'utf8')) as { rewards: { name: string }[] };
  assert.deepEqual(config.rewards.map((x) => x.name), ['countdown_accuracy', 'format_lenient', 'coat_reflection']);
  assert.ok(r.cpuSeconds.format > 0 && r.cpuSeconds.rl > 0);

  // A CPU-seconds budget the run has spent before RL starts: RL stops after its first step.
  const again = await runCoat({
    output_dir: join(out, '..', 'again'), format_tuned: r.formatTuned, seed: 3, rl_steps: 5, restart_problems: 6, cpu_seconds: 1e-3,
    rl: { prompts_per_step: 2, num_generations: 2, max_completion_length: 150 },
  });
  assert.equal(again.rlSteps, 1);
  assert.ok(again.cpuSeconds.format < 0.5, "no format tuning when starting from a format-tuned model");
});

test('coat options: format_tuned must be a model folder and conflicts with distill', () => {
  assert.throws(() => coatOptions({ output_dir: 'x', format_tuned: '/nonexistent/folder' }), /"format_tuned" .* is not a model folder/);
  assert.throws(() => coatOptions({ output_dir: 'x', format_tuned: 'models/aha-tiny-countdown', distill: true }), /conflicts with "format_tuned"/);
});

test('demos the tokenizer cannot write back are refused, naming the demo and the character', () => {
  const out = join(tempDir('coat-spell'), 'run');
  const tokenizer = loadTokenizer('models/aha-tiny-countdown');
  // The bundled tokenizer has no meta-action tokens before `aha tokens add`, and no ";".
  assert.throws(() => checkDemosSpellable(coatDemos({ count: 3, seed: 1 }), tokenizer, out), /demonstration 1 does not survive the tokenizer of .*"\|(continue|reflect|explore)\|>/);
  assert.throws(() => checkDemosSpellable([{ prompt: 'Assistant: ', completion: '12+3; no' }], tokenizer, 'm'), /demonstration 1 .*"; no" at character 4 comes back as "<unk> no"/);
  assert.doesNotThrow(() => checkDemosSpellable([{ prompt: 'Assistant: ', completion: '<think>\n12+3=15, no.\n</think>' }], tokenizer, 'm'));
  // Every verdict and opening the demos offer is spelt by the bundled tokenizer with the meta-actions added.
  const ext = join(tempDir('coat-spell-ext'), 'extended');
  addTokensToFolder('models/aha-tiny-countdown', ext);
  const extTokenizer = loadTokenizer(ext);
  for (const verdict of COAT_VERDICTS) {
    for (const opening of COAT_OPENINGS) assert.doesNotThrow(() => checkDemosSpellable(coatDemos({ count: 40, seed: 2, verdict, opening }), extTokenizer, ext), `${verdict}, ${opening}`);
  }
});
