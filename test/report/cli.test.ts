// `aha report` and `aha dashboard`: flag validation before any work, outputs, and clean shutdown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { reportProgram } from './cli-entry.js';
import { scratchDir } from '../scratch-dir.js';

const RUN_DIR = resolve(process.env.AHA_REPORT_RUN_DIR ?? 'test/fixtures/run-small');
const run = (...args: string[]) => reportProgram().parseAsync(['node', 'aha', ...args]);

describe('aha report', () => {
  it('rejects bad flags and folders with messages that name them', async () => {
    await assert.rejects(run('report', RUN_DIR, '--png-scale', '9'), /--png-scale must be a number from 1 to 4, got "9"/);
    await assert.rejects(run('report', RUN_DIR, '--png-all'), /--png-all needs --png <dir>/);
    await assert.rejects(run('report', RUN_DIR, '/nonexistent/run'), /run folder not found: \/nonexistent\/run/);
  });

  it('writes the HTML report and the PNG curves where asked', async () => {
    const out = scratchDir('aha-cli-');
    await run('report', RUN_DIR, '--out', join(out, 'r.html'), '--png', join(out, 'png'), '--png-scale', '1');
    assert.ok(existsSync(join(out, 'r.html')));
    assert.ok(readdirSync(join(out, 'png')).includes('reward.png'));
  });
});

describe('aha dashboard', () => {
  it('rejects a bad port or poll interval', async () => {
    await assert.rejects(run('dashboard', RUN_DIR, '--port', '70000'), /--port must be an integer from 0 to 65535, got "70000"/);
    await assert.rejects(run('dashboard', RUN_DIR, '--poll', '0'), /--poll must be a number from 0.2 to 600, got "0"/);
  });

  it('serves until SIGINT, then shuts down cleanly', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/report/cli-entry.ts', 'dashboard', RUN_DIR, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /at (http:\/\/\S+) /.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      });
    });
    assert.equal((await fetch(url)).status, 200);
    const code = await new Promise<number | null>((res) => {
      child.on('exit', (c) => res(c));
      child.kill('SIGINT');
    });
    assert.equal(code, 0);
    assert.match(out, /stopped \(SIGINT\)/);
  });
});
