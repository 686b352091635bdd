// A real tiny pipeline (random 2-layer model, character tokenizer): sft (two data files mixed) ->
// grpo -> sample -> eval, with the real stage runners. The GRPO stage is stopped after its first step (as Ctrl-C would)
// and the re-run continues it from its checkpoint; a crash in eval is continued from its
// samples file. Checks the files each stage leaves and what pipeline.json records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecipe } from '../../src/pipeline/recipe.js';
import { readState, runPipeline, type StageRunners } from '../../src/pipeline/runner.js';
import { STAGE_RUNNERS } from '../../src/pipeline/stages.js';
import { readJsonl } from '../../src/util/jsonl.js';
import { additionData, tinyModelDir } from '../sft/helpers.js';
import { tempDir, writeRecipe } from './helpers.js';

test('a real sft -> grpo -> sample -> eval pipeline runs, stops, and resumes inside its stages', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const model = tinyModelDir();
  const data = additionData(12);
  const general = additionData(6, 3);
  const file = writeRecipe(
    dir,
    `name: tiny
stages:
  - name: cold_start
    kind: sft
    config: { model: ${model}, data: [${data}, ${general}], steps: 2, batch_size: 4, lr: 0.001, eval_fraction: 0, max_length: 64 }
  - name: rl
    kind: grpo
    config: { model: "\${stages.cold_start.output}", task: arithmetic, max_steps: 2, prompts_per_step: 1, num_generations: 2, max_completion_length: 8, save_steps: 1, log_completions_steps: 0, learning_rate: 0.001 }
  - name: rs
    kind: sample
    config: { model: "\${stages.rl.output}", data: arithmetic, count: 2, samples: 2, max_tokens: 8, keep: all, filters: none, min_kept: 0 }
  - name: final_eval
    kind: eval
    config: { model: "\${stages.rl.output}", data: arithmetic, split: heldout, count: 2, samples: 2, max_tokens: 8 }
`,
  );
  const runDir = join(dir, 'runs', 'tiny');
  const recipe = () => readRecipe(file, { runDir });
  const quiet = () => {};

  // First call: GRPO is told to stop after its first step (what Ctrl-C does).
  const stop = new AbortController();
  const onStep = (stage: string) => {
    if (stage === 'rl') stop.abort();
  };
  const first = await runPipeline({ recipe: recipe(), runners: STAGE_RUNNERS, quiet: true, log: quiet, signal: stop.signal, onStep });
  assert.equal(first.interrupted, true);
  let state = readState(runDir)!;
  assert.deepEqual(state.stages.map((s) => s.status), ['done', 'running', 'pending', 'pending']);
  assert.equal(state.stages[0].output, join(runDir, 'cold_start', 'model'));
  assert.ok(existsSync(join(runDir, 'cold_start', 'model', 'model.safetensors')));
  assert.equal(state.stages[0].metrics.steps, 2);
  // Two data files are mixed into one, next to the stage folder.
  assert.equal(state.stages[0].metrics.train_examples, 18);
  assert.equal(readJsonl(join(runDir, 'cold_start.data.jsonl')).length, 18);
  assert.ok(existsSync(join(runDir, 'rl', 'checkpoints', 'step-1')));

  // Second call: GRPO continues from step 1; then rejection sampling; eval crashes once.
  let evalCalls = 0;
  const crashing: StageRunners = {
    ...STAGE_RUNNERS,
    eval: async () => {
      evalCalls += 1;
      throw new Error('simulated eval crash');
    },
  };
  await assert.rejects(runPipeline({ recipe: recipe(), runners: crashing, quiet: true, log: quiet }), /simulated eval crash/);
  assert.equal(evalCalls, 1);
  state = readState(runDir)!;
  assert.deepEqual(state.stages.map((s) => s.status), ['done', 'done', 'done', 'failed']);
  assert.equal(state.stages[1].output, join(runDir, 'rl', 'checkpoints', 'step-2'));
  assert.equal(state.stages[1].metrics.steps, 2);
  assert.equal(state.stages[1].attempts, 2);
  const metrics = readJsonl(join(runDir, 'rl', 'metrics.jsonl')).map((r) => r.value.step);
  assert.deepEqual(metrics, [1, 2]);
  const rs = state.stages[2];
  assert.equal(rs.output, join(runDir, 'rs', 'data.jsonl'));
  assert.equal((rs.metrics as { samples: number }).samples, 4);
  assert.equal(readJsonl(join(runDir, 'rs', 'data.samples.jsonl')).length, 4);
  assert.ok(existsSync(rs.output!));

  // Third call: only eval runs.
  const third = await runPipeline({ recipe: recipe(), runners: STAGE_RUNNERS, quiet: true, log: quiet });
  assert.deepEqual(third.ran, ['final_eval']);
  assert.deepEqual(third.skipped, ['cold_start', 'rl', 'rs']);
  state = readState(runDir)!;
  assert.ok(state.stages.every((s) => s.status === 'done'));
  const ev = JSON.parse(readFileSync(join(runDir, 'final_eval', 'eval.json'), 'utf8'));
  assert.equal(ev.problems, 2);
  assert.equal(typeof ev['pass@1'], 'number');
  assert.equal(typeof ev['pass@1_stderr'], 'number', 'the standard error beside each metric, as aha eval --json writes it');
  assert.equal(state.stages[3].metrics['pass@1'], ev['pass@1']);
});
