// The HTML report: self-contained (opens offline), model output embedded safely, and written
// where the user asked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtml } from '../../src/report/html.js';
import { buildPayload } from '../../src/report/page-data.js';
import { loadRun, loadRuns } from '../../src/report/run-data.js';
import { writeReport } from '../../src/report/report.js';
import { scratchDir } from '../scratch-dir.js';

const RUN_DIR = resolve(process.env.AHA_REPORT_RUN_DIR ?? 'test/fixtures/run-small');

function embeddedPayload(html: string): ReturnType<typeof buildPayload> {
  const m = /<script type="application\/json" id="aha-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the page embeds its data');
  return JSON.parse(m[1]);
}

describe('renderHtml', () => {
  it('inlines everything: no external scripts, styles, images or frames, and a CSP that forbids loading any', () => {
    const html = renderHtml(buildPayload([loadRun(RUN_DIR)]));
    assert.doesNotMatch(html, /<(script|img|link|iframe|object|embed)\b[^>]*\s(src|href|data)\s*=/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none';/);
    assert.ok(html.includes('Chart.js v4'), 'Chart.js is bundled into the page');
    assert.ok(html.length > 150_000);
  });

  it('embeds model output that contains </script> and line separators without breaking out', () => {
    const dir = scratchDir('aha-html-');
    const evil = 'x</script><script>alert(1)</script>\u2028<!-- y';
    writeFileSync(join(dir, 'completions.jsonl'), JSON.stringify({ step: 1, problem_id: 'p</script>', completion: evil, prompt: '</SCRIPT >' }) + '\n');
    const html = renderHtml(buildPayload([loadRun(dir)]));
    const payload = embeddedPayload(html);
    assert.equal(payload.runs[0].completions[0].completion, evil);
    assert.equal(payload.runs[0].completions[0].prompt, '</SCRIPT >');
    assert.equal(html.match(/<script>alert/g), null);
  });

  it('escapes run names in the page title', () => {
    const root = scratchDir('aha-html-');
    const dir = join(root, '<b>run&');
    mkdirSync(dir);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":1}\n');
    const html = renderHtml(buildPayload(loadRuns([dir])));
    assert.ok(html.includes('<title>aha report: &lt;b&gt;run&amp;</title>'));
  });
});

describe('writeReport', () => {
  it('writes RUN_DIR/report.html by default for one run, and --out when given', async () => {
    const root = scratchDir('aha-html-');
    const dir = join(root, 'run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":1}\n{"step":2,"loss":0.5}\n');
    const r1 = await writeReport([dir]);
    assert.equal(r1.html, join(dir, 'report.html'));
    assert.equal(embeddedPayload(readFileSync(r1.html, 'utf8')).charts[0].config.data.datasets[0].data.length, 2);
    const out = join(root, 'nested', 'cmp.html');
    const r2 = await writeReport([dir, RUN_DIR], { out });
    assert.equal(r2.html, out);
    assert.ok(existsSync(out));
    assert.deepEqual(embeddedPayload(readFileSync(out, 'utf8')).runs.map((r) => r.name), ['run', RUN_DIR.split('/').pop()]);
    assert.deepEqual(r2.pngs, []);
  });
});
