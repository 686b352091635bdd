// PNG export of the main curves, for READMEs and papers. Rendered in Node with Chart.js on
// @napi-rs/canvas (Skia; its native binary ships inside the npm package for each platform), from
// the same chart configurations as the HTML page, so no browser is needed.
import { join } from 'node:path';
import type { ChartConfiguration, Plugin } from 'chart.js';
import { AhaError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import type { ChartSpec } from './chart-spec.js';

export interface PngOptions {
  /** CSS pixels; the image is `scale` times larger. */
  width?: number;
  height?: number;
  scale?: number;
  /** Export every chart, not only the main curves. */
  all?: boolean;
}

type CanvasModule = typeof import('@napi-rs/canvas');

async function loadCanvas(): Promise<CanvasModule> {
  try {
    return await import('@napi-rs/canvas');
  } catch (err) {
    throw new AhaError(
      `PNG export needs the @napi-rs/canvas package and its prebuilt binary for ${process.platform}-${process.arch}, which could not be loaded ` +
        `(${(err as Error).message.split('\n')[0]}). Reinstall aha's dependencies (npm install), or open the HTML report and use a chart's PNG button.`,
    );
  }
}

/** Paints the background white: a transparent PNG looks broken on dark pages and in papers. */
const whiteBackground: Plugin = {
  id: 'aha-white-background',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** The charts worth exporting: the main ones (or all) that have at least one point. */
export function chartsToExport(charts: readonly ChartSpec[], all = false): ChartSpec[] {
  return charts.filter((c) => (all || c.main) && c.config.data.datasets.some((d) => d.data.length > 0));
}

/** Writes `<chart id>.png` into `dir` for each exported chart; returns the written paths. */
export async function exportPngs(charts: readonly ChartSpec[], dir: string, opts: PngOptions = {}): Promise<string[]> {
  const chosen = chartsToExport(charts, opts.all);
  if (chosen.length === 0) throw new AhaError('nothing to export as PNG: the runs have no logged metrics or evaluations yet');
  const { createCanvas, GlobalFonts } = await loadCanvas();
  // Skia draws text with the system's fonts; with none installed the axes would be blank.
  if (GlobalFonts.families.length === 0) {
    throw new AhaError('PNG export found no fonts on this system to draw axis labels with; install one (e.g. apt-get install fonts-dejavu-core)');
  }
  const { Chart, registerables } = await import('chart.js');
  Chart.register(...registerables);
  const width = opts.width ?? 900;
  const height = opts.height ?? 450;
  const scale = opts.scale ?? 2;
  const written: string[] = [];
  for (const spec of chosen) {
    const canvas = createCanvas(width, height);
    const config = structuredClone(spec.config) as unknown as ChartConfiguration;
    // Long runs: thin each line to about one point per pixel column (LTTB keeps peaks), which
    // looks the same and draws far faster. Needs pre-parsed {x, y} data, which these configs have.
    const plugins = { ...(config.options?.plugins ?? {}), decimation: { enabled: true, algorithm: 'lttb', samples: width } };
    config.options = { ...config.options, plugins, parsing: false, responsive: false, animation: false, devicePixelRatio: scale } as ChartConfiguration['options'];
    config.plugins = [whiteBackground];
    // Chart.js draws on any object with getContext('2d') when there is no DOM.
    const chart = new Chart(canvas as unknown as HTMLCanvasElement, config);
    try {
      const file = join(dir, `${spec.id}.png`);
      atomicWriteFile(file, await canvas.encode('png'));
      written.push(file);
    } finally {
      chart.destroy();
    }
  }
  return written;
}
