// Benchmark of the evaluation harness: problems per second against a fake OpenAI-compatible
// server at concurrency 1, 8 and 64, with the real math verifier grading GSM8K golds. The server
// runs in its own process (as a real one would), so the figures are the harness's. Two server
// latencies: 50 ms per request (a stand-in for generation time, where concurrency should scale
// throughput) and 0 ms (the harness's own overhead: HTTP, grading, appending the samples file).
// Run: npm run bench:eval [-- --problems N]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProblems } from '../src/eval/problems.js';
import { RemoteGenerator } from '../src/eval/remote.js';
import { runEval } from '../src/eval/run.js';
import { resolveTemplate } from '../src/eval/templates.js';
import { finalBoxed, graderFor } from '../src/eval/verifiers.js';
import { benchmarkPath, findBenchmark } from '../src/tasks/benchmarks.js';
import { startFakeServer } from '../test/eval/fake-openai-server.js';
import { benchArgs } from './lib/args.js';

// --serve MS is the child process's own mode (the fake server at MS milliseconds per request).
const cli = benchArgs('bench:eval', ['--problems', '--serve'], []);
const flag = cli.value;
const N = cli.int('--problems', 256);
const gsm = findBenchmark('gsm8k')!;
const problems = loadProblems({ file: benchmarkPath(gsm), format: 'math', boxedAnswer: finalBoxed }).problems.slice(0, N);

// Child mode: serve replies that state each problem's gold answer after some filler text.
if (flag('--serve') !== undefined) {
  const goldByPrompt = new Map(problems.map((p) => [p.problem, p.gold]));
  const filler = 'Let me think step by step about the quantities involved and check the arithmetic twice. '.repeat(6);
  const server = await startFakeServer({
    delayMs: cli.int('--serve', 0),
    reply: (prompt) => `${filler}\nSo the answer is \\boxed{${goldByPrompt.get(prompt.slice(0, prompt.lastIndexOf('\nPlease reason'))) ?? '0'}}.`,
  });
  process.stdout.write(server.url + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
} else {
  await main();
}

function startServerProcess(latencyMs: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', String(latencyMs), '--problems', String(N)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ url: d.toString().trim(), child }));
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
}

async function once(url: string, concurrency: number, count: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'aha-bench-eval-'));
  try {
    const t0 = performance.now();
    const r = await runEval({
      problems: problems.slice(0, count),
      samples: 1,
      generator: new RemoteGenerator({ endpoint: url, model: 'fake', api: 'chat', timeoutMs: 30_000, retries: 2, backoffBaseMs: 10, backoffMaxMs: 100 }),
      sampling: { temperature: 0.6, topP: 0.95, maxTokens: 512 },
      template: resolveTemplate('math'),
      grader: graderFor('math', { lastNumberFallback: true, codeTimeoutMs: 10_000 }),
      concurrency,
      samplesPerRequest: 1,
      outFile: join(dir, 'samples.jsonl'),
      settings: {},
      seed: 0,
      quiet: true,
    });
    const s = (performance.now() - t0) / 1000;
    if (r.metrics['pass@1'] !== 1) throw new Error(`bench: expected every answer graded correct, got pass@1 ${r.metrics['pass@1']}`);
    return count / s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`aha eval harness: GSM8K problems x 1 sample, fake OpenAI-compatible server in a separate process, real math verifier`);
  for (const latency of [50, 0]) {
    const { url, child } = await startServerProcess(latency);
    try {
      await once(url, 8, 32); // warm-up: JIT, the verifier's first calls, connections
      const rows: [number, number, number][] = [];
      for (const c of [1, 8, 64]) {
        // Concurrency 1 at 50 ms would take N/20 s; a quarter of the problems measure it as well.
        const count = c === 1 && latency > 0 ? Math.max(16, N / 4) : N;
        rows.push([c, count, await once(url, c, count)]);
      }
      const base = rows[0][2];
      console.log(`\nserver latency ${latency} ms per request`);
      console.log('concurrency  problems  problems/s  vs concurrency 1');
      for (const [c, count, pps] of rows) console.log(`${String(c).padStart(11)}  ${String(count).padStart(8)}  ${pps.toFixed(1).padStart(10)}  ${(pps / base).toFixed(2).padStart(8)}x`);
    } finally {
      child.stdin!.end();
    }
  }
}
