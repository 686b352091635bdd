// The report and the dashboard in a real headless Chromium: charts drawn with data points,
// completions filtering, highlighting, escaping of model output, overlay of several runs, and
// live updates. The run folder under test is AHA_REPORT_RUN_DIR (default test/fixtures/run-small,
// replaceable by a real small run); expectations are computed from its files, not hard-coded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { writeReport } from '../../src/report/report.js';
import { startDashboard, type Dashboard } from '../../src/report/dashboard.js';
import { loadRun } from '../../src/report/run-data.js';
import { countReflections } from '../../src/report/reflection.js';
import { browserSkip, launchBrowser, type Browser } from './browser.js';
import { INJECTION, writeFixtureRun } from './fixture.js';
import { scratchDir } from '../scratch-dir.js';

const RUN_DIR = resolve(process.env.AHA_REPORT_RUN_DIR ?? 'test/fixtures/run-small');
const skip = browserSkip();

interface ChartState {
  id: string;
  labels: string[];
  points: number[];
  drawn: number[];
}

/** Per chart: dataset labels, data lengths, and how many point elements Chart.js laid out in its area. */
function chartStates(page: Page): Promise<ChartState[]> {
  return page.evaluate(() => {
    type C = {
      data: { datasets: { label: string; data: unknown[] }[] };
      getDatasetMeta(i: number): { data: { x: number; y: number }[] };
      chartArea: { left: number; right: number; top: number; bottom: number };
    };
    const charts = (window as unknown as { aha: { charts: Map<string, C> } }).aha.charts;
    return [...charts.entries()].map(([id, c]) => ({
      id,
      labels: c.data.datasets.map((d) => d.label),
      points: c.data.datasets.map((d) => d.data.length),
      drawn: c.data.datasets.map(
        (_, i) => c.getDatasetMeta(i).data.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.x >= c.chartArea.left - 1 && p.x <= c.chartArea.right + 1).length,
      ),
    }));
  });
}

async function count(page: Page): Promise<{ shown: number; total: number }> {
  const text = (await page.textContent('#c-count')) ?? '';
  const m = /^(\d+) of (\d+) completions$/.exec(text);
  assert.ok(m, `unexpected count text "${text}"`);
  return { shown: Number(m[1]), total: Number(m[2]) };
}

describe('report in headless Chromium', { skip }, () => {
  let browser: Browser;
  const work = scratchDir('aha-report-browser-');
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('draws every metric chart with data points, filters completions, and saves a screenshot', async () => {
    const run = loadRun(RUN_DIR);
    const out = join(work, 'report.html');
    await writeReport([RUN_DIR], { out });
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('#c-list .completion-card');

    const charts = await chartStates(page);
    const metricKeys = new Set(run.metrics.flatMap((r) => Object.keys(r)).filter((k) => k !== 'step' && k !== 'time'));
    const charted = new Set(charts.flatMap((c) => c.labels));
    for (const key of metricKeys) assert.ok(charted.has(key), `metric ${key} has no line`);
    for (const c of charts) {
      assert.ok(c.points.some((n) => n > 0), `chart ${c.id} has no data`);
      assert.deepEqual(c.drawn, c.points, `chart ${c.id}: every data point is laid out inside the plot area`);
    }
    const reward = charts.find((c) => c.id === 'reward');
    assert.equal(reward?.points[0], run.metrics.filter((r) => typeof r['reward/mean'] === 'number').length);

    assert.equal(await page.isVisible('#f-run'), false, 'no run filter for a single run');
    // Smoothing redraws the training curves as a moving average over the same steps, and back.
    const rewardLine = () =>
      page.evaluate(() => {
        type D = { data: { x: number; y: number }[] };
        const aha = (window as unknown as { aha: { charts: Map<string, { data: { datasets: D[] } }>; rawPoints: Map<D, { y: number }[]> } }).aha;
        const ds = aha.charts.get('reward')?.data.datasets[0] as D;
        return { drawn: ds.data.map((p) => p.y), raw: (aha.rawPoints.get(ds) ?? []).map((p) => p.y), xs: ds.data.map((p) => p.x) };
      });
    const plain = await rewardLine();
    assert.deepEqual(plain.drawn, plain.raw);
    await page.fill('#smoothing', '0.9');
    const smooth = await rewardLine();
    assert.deepEqual(smooth.xs, plain.xs);
    assert.notDeepEqual(smooth.drawn, plain.drawn);
    const wiggle = (ys: number[]) => ys.slice(1).reduce((s, y, i) => s + Math.abs(y - ys[i]), 0);
    assert.ok(wiggle(smooth.drawn) < wiggle(plain.drawn), 'smoothed line moves less');
    await page.fill('#smoothing', '0');
    assert.deepEqual((await rewardLine()).drawn, plain.raw);

    // Per-step table: one row per logged step, latest first, every metric a column.
    await page.click('#step-table summary');
    // The table is drawn by the details element's toggle event, which fires after the click returns.
    await page.waitForSelector('#st-body tr');
    const table = await page.$$eval('#st-body tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
    const [header, ...body] = table;
    assert.equal(body.length, new Set(run.metrics.map((r) => r.step)).size);
    assert.equal(body[0][0], String(Math.max(...run.metrics.map((r) => r.step))));
    for (const key of metricKeys) assert.ok(header.includes(key), `column ${key}`);

    // Completions browser: totals, then each filter against the same rule applied to the file.
    const total = run.completions.length;
    assert.deepEqual(await count(page), { shown: total, total });
    await page.selectOption('#f-correct', 'correct');
    const correct = run.completions.filter((c) => c.correct === true).length;
    assert.deepEqual(await count(page), { shown: correct, total });
    assert.equal(await page.locator('#c-list .completion-card[data-correct="false"]').count(), 0);
    await page.selectOption('#f-correct', 'any');

    const lastStep = Math.max(...run.completions.map((c) => c.step));
    await page.selectOption('#f-step', String(lastStep));
    const atLast = run.completions.filter((c) => c.step === lastStep).length;
    assert.equal((await count(page)).shown, atLast);
    const steps = await page.$$eval('#c-list .completion-card', (cards) => cards.map((c) => (c as HTMLElement).dataset.step));
    assert.ok(steps.length > 0 && steps.every((s) => s === String(lastStep)));
    await page.selectOption('#f-step', 'all');

    await page.fill('#f-reward-min', '1');
    const rewards = await page.$$eval('#c-list .completion-card', (cards) => cards.map((c) => Number((c as HTMLElement).dataset.reward)));
    assert.equal(rewards.length, Math.min(50, run.completions.filter((c) => c.reward !== null && c.reward >= 1).length));
    assert.ok(rewards.every((r) => r >= 1));
    await page.fill('#f-reward-min', '');

    // A search box holds one line: search for a piece of one line of the last completion.
    const lastLines = run.completions[run.completions.length - 1].completion.split('\n').map((l) => l.trim());
    const needle = (lastLines.find((l) => l.length >= 8) ?? lastLines[0]).slice(0, 12);
    await page.fill('#f-search', needle);
    const expected = run.completions.filter((c) => (c.completion + '\n' + c.prompt + '\n' + c.problem_id).toLowerCase().includes(needle.toLowerCase())).length;
    assert.equal((await count(page)).shown, expected);
    await page.fill('#f-search', '');

    // Highlighting: answer spans and reflection words are marked, as text.
    await page.check('#f-reflect');
    const reflective = await count(page);
    if (reflective.shown > 0) {
      const marks = await page.$$eval('#c-list .completion-card', (cards) => cards.map((c) => c.querySelectorAll('mark.reflect').length));
      assert.ok(marks.every((n) => n > 0), 'every card shown under "with reflection words" has a highlighted word');
    }
    await page.uncheck('#f-reflect');
    // The page highlights exactly what the reflect_rate counter (src/rewards) counts, and the
    // highlighted text is the completion, unchanged.
    const cards = await page.$$eval('#c-list .completion-card', (els) =>
      els.map((c) => ({
        text: c.querySelector('pre.completion')?.textContent ?? '',
        marks: c.querySelectorAll('pre.completion mark.reflect').length,
        tag: [...c.querySelectorAll('.tag')].map((t) => t.textContent ?? '').find((t) => t.endsWith('reflection words')) ?? '',
      })),
    );
    const shownTexts = new Set(run.completions.map((c) => c.completion));
    for (const card of cards) {
      assert.ok(shownTexts.has(card.text), 'completion text shown verbatim');
      assert.equal(card.marks, countReflections(card.text));
      assert.equal(card.tag, `${countReflections(card.text)} reflection words`);
    }
    if (run.completions.some((c) => /<answer>[\s\S]*?<\/answer>/.test(c.completion))) {
      const answer = await page.textContent('#c-list mark.answer');
      assert.match(answer ?? '', /^<answer>[\s\S]*<\/answer>$/);
    }

    // Early vs late: the best few problems answered at two steps (held-out ones when the run logged
    // its evaluations' answers), first and last answer side by side.
    const headings = await page.$$eval('#cmp-body h4', (hs) => hs.map((h) => h.textContent ?? ''));
    const pairCount = (rows: readonly { problem_id: string; step: number }[]) => {
      const logged = new Map<string, Set<number>>();
      for (const c of rows) logged.set(c.problem_id, (logged.get(c.problem_id) ?? new Set()).add(c.step));
      return [...logged.values()].filter((s) => s.size > 1).length;
    };
    const pairs = pairCount(run.evalCompletions) || pairCount(run.completions);
    assert.equal(headings.length, 2 * Math.min(3, pairs));
    for (let i = 0; i < headings.length; i += 2) {
      const [early, late] = [headings[i], headings[i + 1]].map((h) => Number(/step (\d+)/.exec(h)?.[1]));
      assert.ok(early < late, `early step ${early} before late step ${late}`);
    }

    // Evaluation table: one row per eval line.
    assert.equal(await page.locator('#eval-table tbody tr').count(), run.evals.length);
    assert.deepEqual(errors, []);
    const shot = join(tmpdir(), 'aha-report-screenshot.png');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: shot });
    const shotCompletions = join(tmpdir(), 'aha-report-screenshot-completions.png');
    await page.locator('#compare').evaluate((e) => e.scrollIntoView());
    await page.screenshot({ path: shotCompletions });
    process.stdout.write(`# screenshots: ${shot} ${shotCompletions}\n`);
    await page.close();
  });

  it('overlays two runs and shows model output as text, never as markup', async () => {
    const a = join(work, 'run-a');
    const b = join(work, 'run-b');
    writeFixtureRun(a, { seed: 3, steps: 12 });
    writeFixtureRun(b, { seed: 4, steps: 18, boost: 1.5 });
    const out = join(work, 'overlay.html');
    await writeReport([a, b], { out });
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('#c-list .completion-card');
    const reward = (await chartStates(page)).find((c) => c.id === 'reward');
    assert.deepEqual(reward?.labels, ['run-a · reward/mean', 'run-b · reward/mean']);
    assert.deepEqual(reward?.points, [12, 18]);
    assert.equal(await page.isVisible('#f-run'), true);
    await page.selectOption('#f-run', '1');
    const { shown } = await count(page);
    assert.equal(shown, loadRun(b).completions.length);

    await page.selectOption('#f-run', 'all');
    await page.fill('#f-search', 'onerror');
    assert.equal((await count(page)).shown, 2, 'one injected completion per run');
    const text = await page.textContent('#c-list .completion-card pre.completion');
    assert.ok(text?.includes(INJECTION), 'the markup is shown literally');
    assert.equal(await page.locator('#c-list img').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await page.close();
  });

  it('dashboard: the open page picks up appended metrics, completions and new metrics without reload', async () => {
    const dir = join(work, 'live');
    cpSync(RUN_DIR, dir, { recursive: true });
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const head = Math.min(5, lines.length - 1);
    writeFileSync(join(dir, 'metrics.jsonl'), lines.slice(0, head).join('\n') + '\n');
    let dashboard: Dashboard | null = null;
    try {
      dashboard = await startDashboard([dir], { port: 0, pollMs: 150 });
      const page = await browser.context.newPage();
      await page.goto(dashboard.url);
      await page.waitForSelector('#c-list .completion-card');
      const before = await chartStates(page);
      assert.equal(before.find((c) => c.id === 'reward')?.points[0], head);
      await page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 42;
      });

      appendFileSync(join(dir, 'metrics.jsonl'), lines.slice(head).join('\n') + '\n');
      await page.waitForFunction(
        (n) => (window as unknown as { aha: { charts: Map<string, { data: { datasets: { data: unknown[] }[] } }> } }).aha.charts.get('reward')?.data.datasets[0].data.length === n,
        lines.length,
        { timeout: 5000 },
      );
      const completion = { step: 999, problem_id: 'live-1', prompt: 'p', completion: 'Wait, appended live <answer>7</answer>', reward: 1, rewards: {}, correct: true, length: 9 };
      const lastStep = JSON.parse(lines[lines.length - 1]).step as number;
      appendFileSync(join(dir, 'completions.jsonl'), JSON.stringify(completion) + '\n');
      appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ step: lastStep + 1, 'reward/mean': 0.5, brand_new_metric: 3 }) + '\n');
      await page.waitForFunction(() => (window as unknown as { aha: { charts: Map<string, unknown> } }).aha.charts.has('metric-brand-new-metric'), undefined, { timeout: 5000 });
      await page.fill('#f-search', 'appended live');
      assert.equal((await count(page)).shown, 1);
      assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
      await page.close();
    } finally {
      await dashboard?.close();
    }
  });
});
