// PNG export of the main curves, rendered in Node (no browser): real images with the curves drawn.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { buildCharts } from '../../src/report/chart-spec.js';
import { exportPngs } from '../../src/report/png.js';
import { loadRun } from '../../src/report/run-data.js';
import { scratchDir } from '../scratch-dir.js';

const RUN_DIR = resolve(process.env.AHA_REPORT_RUN_DIR ?? 'test/fixtures/run-small');

function pngSize(buf: Buffer): { width: number; height: number } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Share of pixels that are neither white nor transparent, and how many distinct colours there are. */
async function ink(file: string): Promise<{ share: number; colours: number }> {
  const img = await loadImage(readFileSync(file));
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  let inked = 0;
  const colours = new Set<number>();
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] < 255) throw new Error('background must be opaque');
    if (px[i] < 250 || px[i + 1] < 250 || px[i + 2] < 250) inked++;
    colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
  }
  return { share: inked / (px.length / 4), colours: colours.size };
}

describe('exportPngs', () => {
  it('writes one opaque image per main chart with data, at the requested size and density', async () => {
    const charts = buildCharts([loadRun(RUN_DIR)]);
    const dir = scratchDir('aha-png-');
    const files = await exportPngs(charts, dir, { width: 600, height: 300, scale: 2 });
    const expected = charts.filter((c) => c.main && c.config.data.datasets.some((d) => d.data.length > 0)).map((c) => `${c.id}.png`);
    assert.deepEqual(files.map((f) => basename(f)), expected);
    assert.ok(expected.includes('reward.png'));
    const reward = join(dir, 'reward.png');
    assert.deepEqual(pngSize(readFileSync(reward)), { width: 1200, height: 600 });
    const { share, colours } = await ink(reward);
    assert.ok(share > 0.01 && share < 0.5, `some but not all pixels are drawn (${share})`);
    assert.ok(colours > 20, 'axes, text and the curve give many colours');
  });

  it('exports every chart with all: true, and refuses when there is nothing to draw', async () => {
    const charts = buildCharts([loadRun(RUN_DIR)]);
    const dir = scratchDir('aha-png-');
    const files = await exportPngs(charts, dir, { all: true, scale: 1, width: 300, height: 200 });
    assert.equal(files.length, charts.length);
    const empty = scratchDir('aha-png-');
    writeFileSync(join(empty, 'completions.jsonl'), '{"step":1,"completion":"x"}\n');
    await assert.rejects(exportPngs(buildCharts([loadRun(empty)]), dir), /nothing to export as PNG/);
  });
});
