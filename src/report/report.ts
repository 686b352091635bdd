// `aha report`: loads one or more run folders and writes the self-contained HTML report, and
// optionally the main curves as PNG files.
import { join, resolve } from 'node:path';
import { atomicWriteFile } from '../util/atomic.js';
import { renderHtml } from './html.js';
import { buildPayload } from './page-data.js';
import { exportPngs, type PngOptions } from './png.js';
import { loadRuns } from './run-data.js';

export interface ReportOptions {
  /** Output HTML file. Default: RUN_DIR/report.html for one run, ./report.html for several. */
  out?: string;
  /** Also write the main curves as PNG files into this folder. */
  pngDir?: string;
  png?: PngOptions;
}

export interface ReportResult {
  html: string;
  pngs: string[];
}

export function defaultReportPath(runDirs: readonly string[]): string {
  return runDirs.length === 1 ? join(resolve(runDirs[0]), 'report.html') : resolve('report.html');
}

export async function writeReport(runDirs: readonly string[], opts: ReportOptions = {}): Promise<ReportResult> {
  const runs = loadRuns(runDirs);
  const payload = buildPayload(runs);
  const html = resolve(opts.out ?? defaultReportPath(runDirs));
  atomicWriteFile(html, renderHtml(payload));
  const pngs = opts.pngDir !== undefined ? await exportPngs(payload.charts, resolve(opts.pngDir), opts.png) : [];
  return { html, pngs };
}
