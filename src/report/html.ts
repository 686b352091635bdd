// Renders the self-contained report page: Chart.js, the page's stylesheet and script, and the
// run data are all inlined, so the file opens without network access. A Content-Security-Policy
// forbids any remote loads as a second guard.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../util/paths.js';
import type { PagePayload } from './page-data.js';

export interface PageAssets {
  chartJs: string;
  appJs: string;
  css: string;
}

let cached: PageAssets | null = null;

/** Chart.js's minified UMD build from node_modules, and the page's own script and styles from src/report/page. */
export function pageAssets(): PageAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // The package's exports map hides dist/chart.umd.min.js, so locate it next to the CommonJS entry.
  const chartJs = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  const pageDir = join(packageRoot(), 'src', 'report', 'page');
  cached = { chartJs, appJs: readFileSync(join(pageDir, 'app.js'), 'utf8'), css: readFileSync(join(pageDir, 'style.css'), 'utf8') };
  return cached;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON that is safe inside a <script> element: no "<" (so no "</script>"), no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Keeps inlined code from closing its own <script> element early. */
export function inlineScript(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script');
}

/** The Content-Security-Policy of aha's self-contained pages: inline code and data only. */
export const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; connect-src 'self'";

export function renderHtml(payload: PagePayload): string {
  const a = pageAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${escapeHtml(payload.title)}</title>
<style>
${a.css}
</style>
</head>
<body>
<header>
<h1>${escapeHtml(payload.title)}</h1>
<nav><a href="#runs">runs</a><a href="#metrics">metrics</a><a href="#evaluation">evaluation</a><a href="#compare">early vs late</a><a href="#completions">completions</a></nav>
<span id="status"></span>
</header>
<main>
<section id="runs"><h2>Runs</h2><div id="runs-list" class="runs"></div></section>
<section id="metrics"><h2>Training metrics</h2>
<div class="filters"><label>smoothing <input id="smoothing" type="range" min="0" max="0.99" step="0.01" value="0"> <span id="smoothing-value">0.00</span></label></div>
<div id="charts"></div>
<details id="step-table"><summary>Table of every metric by step</summary>
<div class="filters"><label>run <select id="st-run"></select></label></div>
<div id="st-body" class="table-scroll"></div></details></section>
<section id="evaluation"><h2>Held-out evaluations</h2><div id="eval-table"></div></section>
<section id="compare"><h2>Early vs late completion of the same problem</h2>
<div class="filters"><label>run <select id="cmp-run"></select></label><label>problem <select id="cmp-problem"></select></label></div>
<div id="cmp-body"></div></section>
<section id="completions"><h2>Completions</h2>
<div class="filters">
<label>run <select id="f-run"></select></label>
<label>step <select id="f-step"></select></label>
<label>reward from <input id="f-reward-min" type="number" step="any"></label>
<label>to <input id="f-reward-max" type="number" step="any"></label>
<label>answer <select id="f-correct"><option value="any">any</option><option value="correct">correct</option><option value="wrong">wrong</option></select></label>
<label><input id="f-reflect" type="checkbox"> with reflection words</label>
<label>search <input id="f-search" type="search" placeholder="text in prompt or completion"></label>
<span id="c-count"></span>
</div>
<div id="c-list"></div>
<button id="c-more" hidden>show more</button>
</section>
</main>
<script>
${inlineScript(a.chartJs)}
</script>
<script type="application/json" id="aha-data">${jsonForScript(payload)}</script>
<script>
${inlineScript(a.appJs)}
</script>
</body>
</html>
`;
}
