// `aha pipeline` as a user runs it: --check on a valid recipe lists the stages without running
// anything; an invalid recipe exits with code 2 and one message naming file, line, stage, field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fakeModelDir, tempDir, writeRecipe } from './helpers.js';

function aha(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'pipeline', ...args], { encoding: 'utf8' });
}

test('aha pipeline --check validates without running; a bad recipe is one clear error', () => {
  const dir = tempDir();
  const model = fakeModelDir(dir);
  const good = writeRecipe(dir, `name: demo\nstages:\n  - name: traces\n    kind: sample\n    config: { model: ${model}, data: arithmetic }\n  - name: student\n    kind: sft\n    config: { model: ${model}, data: "\${stages.traces.output}" }\n`);
  const runDir = join(dir, 'runs');
  const ok = aha([good, '--check', '--run-dir', runDir]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid; 2 stages \(traces:sample -> student:sft\)/);
  assert.equal(existsSync(runDir), false);

  const bad = writeRecipe(dir, `name: demo\nstages:\n  - name: cold\n    kind: sft\n    config:\n      model: models/no-such-model\n      data: x.jsonl\n`, 'bad.yaml');
  const r = aha([bad, '--run-dir', runDir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yaml:6: stage "cold", field "model": model folder .*no-such-model does not exist/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(existsSync(runDir), false);
});
