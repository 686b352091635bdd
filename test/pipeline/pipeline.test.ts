// The pipeline runner with injected fake stage runners: stages run in order with earlier outputs
// substituted, pipeline.json records each finished stage, and a re-run resumes at the first
// unfinished stage (continuing an interrupted or crashed one), refuses silently changed finished
// stages, and --from re-runs a stage and everything after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecipe } from '../../src/pipeline/recipe.js';
import { readState, runPipeline, STATE_FILE } from '../../src/pipeline/runner.js';
import { fakeModelDir, recordingRunners, tempDir, writeRecipe, type Call } from './helpers.js';

function fourStages(model: string, steps = 5): string {
  return `name: demo
stages:
  - name: traces
    kind: sample
    config: { model: ${model}, data: arithmetic, count: 4, samples: 2 }
  - name: student
    kind: sft
    config:
      model: ${model}
      data: \${stages.traces.output}
      steps: ${steps}
  - name: rl
    kind: grpo
    config: { model: "\${stages.student.output}", task: arithmetic, max_steps: 3, rewards: "arithmetic_accuracy:1,format:0.2" }
  - name: final
    kind: eval
    config: { model: "\${stages.rl.output}", data: arithmetic, split: heldout, count: 5 }
`;
}

function setup(steps = 5) {
  const dir = tempDir();
  const model = fakeModelDir(dir);
  const file = writeRecipe(dir, fourStages(model, steps));
  const runDir = join(dir, 'runs', 'demo');
  return { dir, model, file, runDir, recipe: () => readRecipe(file, { runDir }) };
}

const quiet = () => {};

test('stages run in order, each gets the earlier outputs, and pipeline.json records them', async () => {
  const s = setup();
  const calls: Call[] = [];
  const seen: (string | null)[][] = [];
  const runners = recordingRunners(calls, () => {
    // What a crash right now would leave behind: every earlier stage is recorded as done.
    seen.push(readState(s.runDir)!.stages.map((x) => x.status));
    return 'ok';
  });
  const r = await runPipeline({ recipe: s.recipe(), runners, log: quiet });
  assert.deepEqual(calls.map((c) => `${c.kind}:${c.name}:${c.resume}`), ['sample:traces:false', 'sft:student:false', 'grpo:rl:false', 'eval:final:false']);
  assert.equal(calls[1].config.data, join(s.runDir, 'traces', 'out'));
  assert.equal(calls[2].config.model, join(s.runDir, 'student', 'out'));
  assert.equal(calls[3].config.model, join(s.runDir, 'rl', 'out'));
  assert.equal(calls[1].config.model, s.model);
  assert.deepEqual(seen, [
    ['running', 'pending', 'pending', 'pending'],
    ['done', 'running', 'pending', 'pending'],
    ['done', 'done', 'running', 'pending'],
    ['done', 'done', 'done', 'running'],
  ]);
  assert.deepEqual(r.ran, ['traces', 'student', 'rl', 'final']);
  const state = JSON.parse(readFileSync(join(s.runDir, STATE_FILE), 'utf8'));
  assert.equal(state.name, 'demo');
  for (const st of state.stages) {
    assert.equal(st.status, 'done');
    // Stored relative to the run folder, read back absolute.
    assert.equal(st.output, `${st.name}/out`);
    assert.equal(st.dir, st.name);
    const read = readState(s.runDir)!.stages.find((x) => x.name === st.name)!;
    assert.equal(read.output, join(s.runDir, st.name, 'out'));
    assert.equal(read.dir, join(s.runDir, st.name));
    assert.deepEqual(st.metrics, { attempt: 1 });
    assert.ok(st.seconds >= 0 && st.started_at && st.finished_at);
  }

  // Everything done: a re-run runs nothing.
  const again: Call[] = [];
  const r2 = await runPipeline({ recipe: s.recipe(), runners: recordingRunners(again), log: quiet });
  assert.deepEqual(again, []);
  assert.deepEqual(r2.skipped, ['traces', 'student', 'rl', 'final']);
});

test('a crashed stage is continued on re-run, earlier stages are not run again', async () => {
  const s = setup();
  const calls: Call[] = [];
  await assert.rejects(
    runPipeline({ recipe: s.recipe(), runners: recordingRunners(calls, (ctx) => (ctx.name === 'rl' ? 'throw' : 'ok')), log: quiet }),
    /simulated crash in rl/,
  );
  const after = readState(s.runDir)!;
  assert.deepEqual(after.stages.map((x) => x.status), ['done', 'done', 'failed', 'pending']);
  assert.match(after.stages[2].error!, /simulated crash/);
  // The crashed stage's folder (its checkpoints) is kept for it to continue from.
  assert.ok(existsSync(join(s.runDir, 'rl')));

  const resumed: Call[] = [];
  const r = await runPipeline({ recipe: s.recipe(), runners: recordingRunners(resumed), log: quiet });
  assert.deepEqual(resumed.map((c) => `${c.name}:${c.resume}`), ['rl:true', 'final:false']);
  // Outputs of the stages done in the first call are still fed forward.
  assert.equal(resumed[0].config.model, join(s.runDir, 'student', 'out'));
  assert.deepEqual(r.skipped, ['traces', 'student']);
  const st = readState(s.runDir)!;
  assert.deepEqual(st.stages.map((x) => x.status), ['done', 'done', 'done', 'done']);
  assert.equal(st.stages[2].attempts, 2);
});

test('an interrupted stage stops the pipeline and continues inside itself on re-run', async () => {
  const s = setup();
  const calls: Call[] = [];
  const r = await runPipeline({ recipe: s.recipe(), runners: recordingRunners(calls, (ctx) => (ctx.name === 'student' ? 'interrupt' : 'ok')), log: quiet });
  assert.equal(r.interrupted, true);
  assert.deepEqual(calls.map((c) => c.name), ['traces', 'student']);
  assert.deepEqual(readState(s.runDir)!.stages.map((x) => x.status), ['done', 'running', 'pending', 'pending']);

  const resumed: Call[] = [];
  await runPipeline({ recipe: s.recipe(), runners: recordingRunners(resumed), log: quiet });
  assert.deepEqual(resumed.map((c) => `${c.name}:${c.resume}`), ['student:true', 'rl:false', 'final:false']);
});

test('a finished stage whose config changed is refused; --from re-runs it and every later stage', async () => {
  const s = setup(5);
  await runPipeline({ recipe: s.recipe(), runners: recordingRunners([]), log: quiet });
  // A leftover in a later stage's folder must not survive its re-run.
  writeFileSync(join(s.runDir, 'rl', 'stale.txt'), 'old');
  writeRecipe(s.dir, fourStages(s.model, 7));
  await assert.rejects(runPipeline({ recipe: s.recipe(), runners: recordingRunners([]), log: quiet }), /stage "student" already finished with a different config .*--from student/);

  const calls: Call[] = [];
  await runPipeline({ recipe: s.recipe(), runners: recordingRunners(calls), from: 'student', log: quiet });
  assert.deepEqual(calls.map((c) => `${c.name}:${c.resume}`), ['student:false', 'rl:false', 'final:false']);
  assert.equal(calls[0].config.steps, 7);
  assert.equal(existsSync(join(s.runDir, 'rl', 'stale.txt')), false);
  await assert.rejects(runPipeline({ recipe: s.recipe(), runners: recordingRunners([]), from: 'nope', log: quiet }), /--from nope: the recipe has no such stage/);
});

test('a run folder of another pipeline is refused', async () => {
  const s = setup();
  await runPipeline({ recipe: s.recipe(), runners: recordingRunners([]), log: quiet });
  const other = writeRecipe(s.dir, fourStages(s.model).replace('name: demo', 'name: other'), 'other.yaml');
  await assert.rejects(runPipeline({ recipe: readRecipe(other, { runDir: s.runDir }), runners: recordingRunners([]), log: quiet }), /holds pipeline "demo", not "other"/);
});

test('a run folder moved elsewhere resumes there, feeding forward the outputs at their new place', async () => {
  const s = setup();
  await assert.rejects(runPipeline({ recipe: s.recipe(), runners: recordingRunners([], (ctx) => (ctx.name === 'rl' ? 'throw' : 'ok')), log: quiet }), /simulated crash in rl/);
  const moved = join(s.dir, 'elsewhere');
  renameSync(s.runDir, moved);
  const calls: Call[] = [];
  await runPipeline({ recipe: readRecipe(s.file, { runDir: moved }), runners: recordingRunners(calls), log: quiet });
  assert.deepEqual(calls.map((c) => `${c.name}:${c.resume}`), ['rl:true', 'final:false']);
  assert.equal(calls[0].config.model, join(moved, 'student', 'out'));
  assert.equal(readState(moved)!.stages[0].output, join(moved, 'traces', 'out'));
  assert.equal(readFileSync(join(moved, STATE_FILE), 'utf8').includes(s.runDir), false);
});
