// COAT's stage 1 from the model's own samples (demo_source: self): its options checked by field
// before any work, and a tiny run whose demonstrations are the critic's (tasks/coat-critic.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coatOptions, runCoat } from '../../src/pipeline/coat.js';
import { tempDir } from '../model/tmp.js';

test('coat options: demo_source and the sampling counts are checked, naming the field, before anything is written', async () => {
  const out = join(tempDir('coat-self-opts'), 'run');
  await assert.rejects(runCoat({ output_dir: out, demo_source: 'selfish' }), /"demo_source" must be one of program, self, got "selfish"/);
  await assert.rejects(runCoat({ output_dir: out, demo_source: 'self', self_samples: 0 }), /"self_samples" must be an integer ≥ 1, got 0/);
  await assert.rejects(runCoat({ output_dir: out, demo_source: 'self', self_puzzles: 2.5 }), /"self_puzzles" must be an integer ≥ 1/);
  assert.equal(existsSync(out), false, 'nothing written');
  // Options of the other source are refused, not ignored.
  assert.throws(() => coatOptions({ output_dir: 'x', self_puzzles: 50 }), /"self_puzzles" applies only with demo_source self \(demo_source is program\)/);
  assert.throws(() => coatOptions({ output_dir: 'x', demo_source: 'self', demos: 300 }), /"demos" applies only with demo_source program/);
  assert.throws(() => coatOptions({ output_dir: 'x', demo_source: 'self', demo_verdict: 'digits' }), /"demo_verdict" applies only with demo_source program/);
  assert.equal(coatOptions({ output_dir: 'x' }).demo_source, 'program');
  assert.equal(coatOptions({ output_dir: 'x', demo_source: 'self', self_puzzles: 3 }).self_puzzles, 3);
});

test('a tiny COAT run from self demos: the base model samples training puzzles, the critic\'s demos are format-tuned on', async () => {
  const out = join(tempDir('coat-self-run'), 'run');
  const r = await runCoat({
    output_dir: out, seed: 5, demo_source: 'self', self_puzzles: 6, self_samples: 3, format_steps: 2, format_batch_size: 4, rl_steps: 1, restart_problems: 4,
    rl: { prompts_per_step: 2, num_generations: 2, max_completion_length: 150 },
  });
  const report = r.selfDemos!;
  assert.equal(report.samples, 18);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'self-demos.json'), 'utf8')), report);
  const demos = readFileSync(join(out, 'format-demos.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; completion: string });
  assert.equal(demos.length, report.demos);
  assert.ok(report.demos > 0 && report.demos + report.unparsed + report.repeats + report.unbalanced === report.samples, JSON.stringify(report));
  for (const d of demos) assert.match(d.completion, /^<think>\n[\s\S]*<\/think>\n<answer>\n\d+(?:[-+]\d+)+\n<\/answer>$/);
  assert.ok(existsSync(join(r.formatTuned, 'model.safetensors')));
  assert.equal(r.rlSteps, 1);
});
