// The pipeline's eval stage scores a benchmark as `aha eval` does: the same stop strings reach
// the server (HumanEval on the completions API ends at the next top-level statement).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_RUNNERS } from '../../src/pipeline/stages.js';
import { HUMANEVAL_STOP } from '../../src/eval/defaults.js';
import { outputPaths } from '../../src/eval/output.js';
import { startFakeServer } from '../eval/fake-openai-server.js';
import { tempDir } from '../eval/helpers.js';
import { packageRoot } from '../../src/util/paths.js';

test('the eval stage sends aha eval\'s HumanEval stop strings on the completions API, so a model that goes on past the function still passes', async () => {
  const first = JSON.parse(readFileSync(join(packageRoot(), 'data/benchmarks/humaneval/HumanEval.jsonl'), 'utf8').split('\n')[0]) as { canonical_solution: string };
  // A model continuing past the function body with a demo line it never finished; a server cuts
  // the text at the first stop string it was given.
  const continued = `${first.canonical_solution}\nprint(has_close_elements([1.0, 2.0], 0.5)`;
  const server = await startFakeServer({
    reply: (_prompt, _choice, req) => {
      const stops = (req.body.stop as string[] | undefined) ?? [];
      const cut = Math.min(...stops.map((s) => continued.indexOf(s)).filter((i) => i >= 0), continued.length);
      return continued.slice(0, cut);
    },
  });
  try {
    const dir = join(tempDir(), 'eval');
    const config = { endpoint: server.url, model: 'fake', data: 'humaneval', api: 'completions', limit: 1, samples: 1, max_tokens: 64 };
    const out = await STAGE_RUNNERS.eval({ name: 'e', kind: 'eval', config, dir, resume: false, quiet: true, log: () => {} });
    assert.deepEqual(server.requests[0].body.stop, [...HUMANEVAL_STOP]);
    assert.equal(out.metrics['pass@1'], 1);
    assert.deepEqual(JSON.parse(readFileSync(outputPaths(out.output).settings, 'utf8')).stop, [...HUMANEVAL_STOP]);
  } finally {
    await server.close();
  }
});
