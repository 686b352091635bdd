// The test-time compute report: accuracy against generation budget (log scale) for each search
// strategy, one line per difficulty bin, with the compute-optimal frontier, as Chart.js configs
// shared by a self-contained HTML page and the PNG export. It reads the summary.json that
// `aha search` writes (its shape is restated here structurally: the report imports no evaluator).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AhaError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import { chartOptions, type ChartSpec, type LineDataset, type Point } from './chart-spec.js';
import { CSP, escapeHtml, inlineScript, jsonForScript, pageAssets } from './html.js';
import { exportPngs, type PngOptions } from './png.js';

export interface SearchPointLike {
  budget: number;
  accuracy: number;
  tokens: number;
  by_bin: (number | null)[];
}

export interface SearchSummaryLike {
  task: string;
  model: string;
  problems: number;
  unit: 'samples' | 'tokens';
  pass1: number;
  bins: { source: string; count: number; sizes: number[]; pass1: (number | null)[] };
  strategies: { name: string; oracle: boolean; points: SearchPointLike[] }[];
  optimal: { budget: number; accuracy: number; by_bin: (number | null)[]; picks: [string[], string[]] }[];
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const FRONTIER = '#000000';

function line(label: string, data: Point[], color: string, dash: number[], key: string, width = 1.75): LineDataset {
  return { label, data, borderColor: color, backgroundColor: color, borderDash: dash, clip: 6, borderWidth: width, pointRadius: 3, spanGaps: false, ahaRun: 0, ahaKey: key };
}

function logOptions(title: string, unit: string): Record<string, unknown> {
  const o = chartOptions(title, 'accuracy') as { scales: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  o.scales.x = { type: 'logarithmic', title: { display: true, text: `generation budget (${unit} per problem, log scale)` } };
  o.scales.y = { type: 'linear', min: 0, max: 1, title: { display: true, text: 'accuracy' } };
  return o;
}

const slug = (s: string) => s.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '');

/** One chart of every strategy (overall accuracy) with the frontier, then one per strategy with a line per bin. */
export function searchCharts(s: SearchSummaryLike): ChartSpec[] {
  const frontier = s.optimal.map((p) => ({ x: p.budget, y: p.accuracy }));
  const overall: LineDataset[] = s.strategies.map((st, i) =>
    line(`${st.name}${st.oracle ? ' (oracle)' : ''}`, st.points.map((p) => ({ x: p.budget, y: p.accuracy })), PALETTE[i % PALETTE.length], st.oracle ? [2, 2] : [], st.name),
  );
  overall.push(line('compute-optimal (held-out)', frontier, FRONTIER, [6, 3], 'optimal', 2.5));
  const charts: ChartSpec[] = [
    { id: 'search-all', title: `Accuracy against budget: ${s.task}, ${s.problems} problems`, section: 'Search', main: true, source: 'eval', config: { type: 'line', data: { datasets: overall }, options: logOptions(`Accuracy against budget: ${s.task}, ${s.problems} problems`, s.unit) } },
  ];
  const binLabel = (b: number) => `bin ${b + 1}${b === 0 ? ' (easiest)' : b === s.bins.count - 1 ? ' (hardest)' : ''}`;
  for (const st of [...s.strategies.map((x) => ({ name: x.name, points: x.points })), { name: 'compute-optimal', points: s.optimal }]) {
    const datasets: LineDataset[] = [];
    for (let b = 0; b < s.bins.count; b++) {
      const data = st.points.filter((p) => p.by_bin[b] !== null).map((p) => ({ x: p.budget, y: p.by_bin[b] as number }));
      if (data.length) datasets.push(line(binLabel(b), data, PALETTE[b % PALETTE.length], [], `bin${b + 1}`));
    }
    // Each bin's frontier: the compute-optimal rule's held-out accuracy in that bin.
    if (st.name !== 'compute-optimal') {
      for (let b = 0; b < s.bins.count; b++) {
        const data = s.optimal.filter((p) => p.by_bin[b] !== null).map((p) => ({ x: p.budget, y: p.by_bin[b] as number }));
        if (data.length) datasets.push(line(`${binLabel(b)}: compute-optimal`, data, PALETTE[b % PALETTE.length], [6, 3], `opt-bin${b + 1}`, 1));
      }
    }
    const title = `${st.name} by difficulty bin`;
    charts.push({ id: `search-${slug(st.name)}`, title, section: 'Search', main: true, source: 'eval', config: { type: 'line', data: { datasets }, options: logOptions(title, s.unit) } });
  }
  return charts;
}

/** Reads `<dir>/summary.json` as `aha search` writes it, with an error naming what is wrong. */
export function readSearchSummary(dir: string): SearchSummaryLike {
  const file = join(dir, 'summary.json');
  let s: SearchSummaryLike;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as SearchSummaryLike;
  } catch (err) {
    throw new AhaError(`${file}: not a search summary (${(err as Error).message.split('\n')[0]}); run aha search --out ${dir} first`);
  }
  if (!s || !Array.isArray(s.strategies) || !Array.isArray(s.optimal) || typeof s.bins?.count !== 'number') throw new AhaError(`${file}: not a search summary (no strategies, optimal or bins field)`);
  return s;
}

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

function table(s: SearchSummaryLike): string {
  const budgets = s.optimal.map((p) => p.budget);
  const head = `<tr><th>strategy</th>${budgets.map((b) => `<th>${b}</th>`).join('')}</tr>`;
  const rows = s.strategies.map((st) => `<tr><td>${escapeHtml(st.name)}${st.oracle ? ' (oracle)' : ''}</td>${st.points.map((p) => `<td>${pct(p.accuracy)}<br><small>${p.tokens.toFixed(0)} tok</small></td>`).join('')}</tr>`);
  rows.push(`<tr><td><b>compute-optimal</b></td>${s.optimal.map((p) => `<td><b>${pct(p.accuracy)}</b></td>`).join('')}</tr>`);
  const bins = s.bins.sizes.map((n, b) => `bin ${b + 1}: ${n} problems, pass@1 ${pct(s.bins.pass1[b])}`).join('; ');
  return `<p>${escapeHtml(s.task)}, ${s.problems} problems, model ${escapeHtml(s.model)}; pass@1 ${pct(s.pass1)}. Difficulty bins (${escapeHtml(s.bins.source)}): ${escapeHtml(bins)}.</p>
<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderSearchHtml(s: SearchSummaryLike, charts: ChartSpec[] = searchCharts(s)): string {
  const title = `aha search: ${s.task}, ${s.model}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}.chart{height:380px;margin:1.5em 0}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${table(s)}
${charts.map((c, i) => `<div class="chart"><canvas id="c${i}"></canvas></div>`).join('\n')}
<script>
${inlineScript(pageAssets().chartJs)}
</script>
<script type="application/json" id="aha-search">${jsonForScript(charts.map((c) => c.config))}</script>
<script>
JSON.parse(document.getElementById('aha-search').textContent).forEach(function (config, i) { new Chart(document.getElementById('c' + i), config); });
</script>
</body>
</html>
`;
}

/** Whether `dir` is a folder `aha search` wrote (summary.json and results.jsonl). */
export function isSearchDir(dir: string): boolean {
  return existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'results.jsonl'));
}

/** Writes `<dir>/report.html` (or `out`) from its summary.json, and with `pngDir` the charts as PNG files. */
export async function writeSearchReport(dir: string, opts: { out?: string; pngDir?: string; png?: PngOptions } = {}): Promise<{ html: string; pngs: string[] }> {
  const s = readSearchSummary(dir);
  const html = resolve(opts.out ?? join(dir, 'report.html'));
  const charts = searchCharts(s);
  atomicWriteFile(html, renderSearchHtml(s, charts));
  const pngs = opts.pngDir !== undefined ? await exportPngs(charts, resolve(opts.pngDir), { ...opts.png, all: true }) : [];
  return { html, pngs };
}
