// Loading run folders: the documented layout, normalised rows, and clear errors for what is not a run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadRun, loadRuns, runNames } from '../../src/report/run-data.js';
import { AhaError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';
import { captureStderr } from '../stderr-capture.js';

const RUN_DIR = resolve(process.env.AHA_REPORT_RUN_DIR ?? 'test/fixtures/run-small');
const lineCount = (f: string) => readFileSync(join(RUN_DIR, f), 'utf8').split('\n').filter((l) => l.trim() !== '').length;

describe('loadRun', () => {
  it('reads every line of the three logs and the config', () => {
    const run = loadRun(RUN_DIR);
    assert.equal(run.metrics.length, lineCount('metrics.jsonl'));
    assert.equal(run.completions.length, lineCount('completions.jsonl'));
    assert.equal(run.evals.length, lineCount('eval.jsonl'));
    assert.equal(typeof run.config, 'object');
    assert.ok(run.metrics.every((m) => Number.isFinite(m.step)));
    assert.ok(run.completions.every((c) => typeof c.completion === 'string'));
  });

  it('keeps numeric metrics only and fills absent completion fields with null', () => {
    const dir = scratchDir('aha-run-');
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"kl":0.1,"note":"text","nested":{"a":1}}\n');
    writeFileSync(join(dir, 'completions.jsonl'), '{"step":1,"completion":"hi","rewards":{"format":1,"bad":"x"}}\n');
    writeFileSync(join(dir, 'eval.jsonl'), '{"step":2,"accuracy":0.5}\n');
    const run = loadRun(dir);
    assert.deepEqual(run.metrics, [{ step: 1, kl: 0.1 }]);
    assert.deepEqual(run.completions[0], {
      step: 1, problem_id: '', prompt: '', completion: 'hi', reward: null, rewards: { format: 1 }, correct: null, length: null, gold: null, extracted: null, segments: null,
    });
    assert.deepEqual(run.evals, [{ step: 2, split: 'eval', accuracy: 0.5 }]);
    assert.equal(run.config, null);
  });

  it('leaves out a last line a killed run cut short, with a warning naming it', async () => {
    const dir = scratchDir('aha-run-');
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":2}\n{"step":2,"loss":1}\n{"step":3,"lo');
    const { value: run, stderr } = await captureStderr(() => loadRun(dir));
    assert.deepEqual(run.metrics.map((m) => m.step), [1, 2]);
    assert.match(stderr, new RegExp(`warning: .*metrics\\.jsonl:3: the last line is incomplete .*left out of the report`));
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":2}\n');
    assert.equal((await captureStderr(() => loadRun(dir))).stderr, '', 'no warning for a whole file');
  });

  it('names the file, line and field of a bad record', () => {
    const dir = scratchDir('aha-run-');
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1}\n{"loss":2}\n');
    assert.throws(() => loadRun(dir), (e: unknown) => e instanceof AhaError && /metrics\.jsonl:2, field "step": expected a number/.test(e.message));
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1}\n');
    writeFileSync(join(dir, 'completions.jsonl'), '{"step":1}\n');
    assert.throws(() => loadRun(dir), /completions\.jsonl:1, field "completion"/);
    writeFileSync(join(dir, 'completions.jsonl'), '{"step":1,"completion":"x","segments":[{"kind":"env","text":"x"}]}\n');
    assert.throws(() => loadRun(dir), /completions\.jsonl:1, field "segments"/);
  });

  it('reads the model and tool segments of a tool-using completion', () => {
    const dir = scratchDir('aha-run-');
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1}\n');
    const segments = [{ kind: 'model', text: '<search>a</search>', tokens: 18 }, { kind: 'tool', text: 'found', tokens: 5, tool: 'search', invalid: false }];
    writeFileSync(join(dir, 'completions.jsonl'), JSON.stringify({ step: 1, completion: '<search>a</search>found', segments }) + '\n');
    assert.deepEqual(loadRun(dir).completions[0].segments, [
      { kind: 'model', text: '<search>a</search>', tool: null, invalid: false },
      { kind: 'tool', text: 'found', tool: 'search', invalid: false },
    ]);
  });

  it('refuses folders that are missing or hold no run files', () => {
    assert.throws(() => loadRun('/nonexistent/run'), /run folder not found: \/nonexistent\/run/);
    const empty = scratchDir('aha-run-');
    assert.throws(() => loadRun(empty), /is not a run folder: it has none of metrics\.jsonl/);
    assert.throws(() => loadRuns([]), /at least one run folder/);
  });

  it('gives runs with the same folder name distinct names', () => {
    const root = scratchDir('aha-run-');
    mkdirSync(join(root, 'a', 'grpo'), { recursive: true });
    mkdirSync(join(root, 'b', 'grpo'), { recursive: true });
    assert.deepEqual(runNames([join(root, 'a', 'grpo'), join(root, 'b', 'grpo'), root]), ['grpo#1', 'grpo#2', root.split('/').pop()]);
  });
});
