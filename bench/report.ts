// Report and dashboard costs on a long synthetic run (test/report/fixture.ts, 3000 steps):
// - a dashboard poll after one appended line: incremental tail vs re-reading the whole file
//   (the naive peer), reported as a ratio;
// - loading the run, rendering the HTML report (size), and PNG export of the main curves.
// Run: npm run bench:report
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFixtureRun } from '../test/report/fixture.js';
import { loadRun, RUN_FILES, toMetricRow } from '../src/report/run-data.js';
import { JsonlTail } from '../src/report/tail.js';
import { readJsonl } from '../src/util/jsonl.js';
import { writeReport } from '../src/report/report.js';

const STEPS = 3000;
const POLLS = 50;

function time<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

const dir = join(mkdtempSync(join(tmpdir(), 'aha-bench-report-')), 'run');
writeFixtureRun(dir, { steps: STEPS });
const metricsFile = join(dir, RUN_FILES.metrics);
const mb = (f: string) => (statSync(f).size / 1e6).toFixed(2);
console.log(`run: ${STEPS} steps, metrics.jsonl ${mb(metricsFile)} MB, completions.jsonl ${mb(join(dir, RUN_FILES.completions))} MB`);

// Dashboard poll: one new line each time.
const tail = new JsonlTail(metricsFile, toMetricRow);
tail.poll();
let step = STEPS;
const line = () => JSON.stringify({ step: ++step, 'reward/mean': 0.5, accuracy: 0.4, kl: 0.01 }) + '\n';
let incremental = 0;
let reread = 0;
for (let i = 0; i < POLLS; i++) {
  appendFileSync(metricsFile, line());
  incremental += time(() => tail.poll()).ms;
  reread += time(() => readJsonl(metricsFile).map((r) => toMetricRow(r.value, { file: metricsFile, line: r.line }))).ms;
}
console.log(`dashboard poll after 1 new line: incremental ${(incremental / POLLS).toFixed(3)} ms, full re-read ${(reread / POLLS).toFixed(3)} ms, ratio ${(reread / incremental).toFixed(0)}x`);

const load = time(() => loadRun(dir));
console.log(`load run: ${load.ms.toFixed(0)} ms (${load.value.metrics.length} metric lines, ${load.value.completions.length} completions)`);
const out = join(dir, 'report.html');
const t0 = performance.now();
const result = await writeReport([dir], { out, pngDir: join(dir, 'png') });
const total = performance.now() - t0;
console.log(`report + ${result.pngs.length} PNGs: ${total.toFixed(0)} ms, report.html ${mb(out)} MB`);
const t1 = performance.now();
await writeReport([dir], { out });
console.log(`report only: ${(performance.now() - t1).toFixed(0)} ms`);
rmSync(join(dir, '..'), { recursive: true, force: true });
