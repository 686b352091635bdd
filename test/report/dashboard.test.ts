// The dashboard server over HTTP: the page, incremental updates after a cursor, chart rebuilds
// only when new lines appear, restarts, bad input, and shutdown.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDashboard, type Dashboard, type Update } from '../../src/report/dashboard.js';
import { loadRun } from '../../src/report/run-data.js';
import { scratchDir } from '../scratch-dir.js';

const RUN_DIR = resolve(process.env.AHA_REPORT_RUN_DIR ?? 'test/fixtures/run-small');

describe('dashboard server', () => {
  let dir: string;
  let dash: Dashboard;
  before(async () => {
    dir = join(scratchDir('aha-dash-'), 'run');
    cpSync(RUN_DIR, dir, { recursive: true });
    dash = await startDashboard([dir], { port: 0 });
  });
  after(async () => {
    await dash.close();
  });

  const updates = async (cursor: unknown, sig = ''): Promise<{ status: number; body: Update & { error?: string } }> => {
    const res = await fetch(`${dash.url}api/updates?cursor=${encodeURIComponent(JSON.stringify(cursor))}&sig=${encodeURIComponent(sig)}`);
    return { status: res.status, body: await res.json() };
  };

  it('listens on loopback and serves the live page', async () => {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(dash.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /"live":\{"pollMs":2000\}/);
    assert.equal((await fetch(`${dash.url}nope`)).status, 404);
    assert.equal((await fetch(dash.url, { method: 'POST' })).status, 405);
  });

  it('returns only the lines after the cursor, and charts only when the set of lines changed', async () => {
    const run = loadRun(dir);
    const cursor = [{ m: run.metrics.length, c: run.completions.length, e: run.evals.length, x: run.evalCompletions.length }];
    const first = await updates(cursor);
    assert.equal(first.status, 200);
    assert.ok(first.body.charts, 'an unknown signature gets the charts');
    assert.deepEqual(first.body.runs[0].metrics, []);
    const sig = first.body.sig;

    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":100,"reward/mean":0.9}\n');
    // A split the run already has: new points, no new chart.
    appendFileSync(join(dir, 'eval.jsonl'), JSON.stringify({ step: 100, split: run.evals[0].split, accuracy: 0.8 }) + '\n');
    const second = await updates(cursor, sig);
    assert.equal(second.body.charts, undefined, 'same lines: just points');
    assert.deepEqual(second.body.runs[0].metrics, [{ step: 100, 'reward/mean': 0.9 }]);
    assert.equal(second.body.runs[0].evals.length, 1);
    assert.deepEqual(second.body.cursor, [{ m: cursor[0].m + 1, c: cursor[0].c, e: cursor[0].e + 1, x: cursor[0].x }]);
    assert.equal(second.body.runs[0].summary.lastStep, 100);

    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":101,"new_metric":1}\n');
    const third = await updates(second.body.cursor, sig);
    assert.ok(third.body.charts?.some((c) => c.id === 'metric-new-metric'), 'a new metric brings new charts');
  });

  it('rejects a malformed cursor and reports a bad line with its file and line', async () => {
    assert.equal((await updates({ m: 1 })).status, 400);
    assert.equal((await updates([{ m: -1, c: 0, e: 0, x: 0 }])).status, 400);
    const before = loadRun(dir);
    appendFileSync(join(dir, 'completions.jsonl'), 'not json\n');
    const bad = await updates([{ m: 0, c: 0, e: 0, x: 0 }]);
    assert.equal(bad.status, 500);
    assert.match(bad.body.error ?? '', new RegExp(`completions\\.jsonl:${before.completions.length + 1}: not valid JSON`));
    writeFileSync(join(dir, 'completions.jsonl'), '');
  });

  it('bumps the generation when a run restarts (its files shrink)', async () => {
    const g0 = (await updates([{ m: 0, c: 0, e: 0, x: 0 }])).body.generation;
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":1}\n');
    const res = await updates([{ m: 0, c: 0, e: 0, x: 0 }]);
    assert.equal(res.body.generation, g0 + 1);
    assert.deepEqual(res.body.runs[0].metrics, [{ step: 1, loss: 1 }]);
  });
});

describe('startDashboard', () => {
  it('can be started on a run folder the trainer has not written to yet', async () => {
    const dir = scratchDir('aha-dash-empty-');
    const dash = await startDashboard([dir], { port: 0 });
    try {
      assert.equal((await fetch(dash.url)).status, 200);
      writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"reward/mean":0.1}\n');
      const res = await fetch(`${dash.url}api/updates?cursor=${encodeURIComponent('[{"m":0,"c":0,"e":0,"x":0}]')}&sig=x`);
      const body = (await res.json()) as Update;
      assert.deepEqual(body.runs[0].metrics, [{ step: 1, 'reward/mean': 0.1 }]);
      assert.deepEqual(body.charts?.map((c) => c.id), ['reward']);
    } finally {
      await dash.close();
    }
  });


  it('says clearly when the port is taken', async () => {
    const a = await startDashboard([RUN_DIR], { port: 0 });
    try {
      await assert.rejects(startDashboard([RUN_DIR], { port: a.port }), new RegExp(`port ${a.port} on 127.0.0.1 is already in use`));
    } finally {
      await a.close();
    }
  });
});
