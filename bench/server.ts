// Benchmark of `aha serve rewards` on loopback: a bounded load of mixed requests (math answers
// through /verify/math, accuracy + format scoring through /score, sandboxed Python through
// /verify/code) at concurrency 1, 16 and 64, then a slow-loris phase: the same load before,
// during and after 32 connections that send headers and then one body byte every 2 s (and
// reconnect when the server cuts them off). Reports requests/s, p50/p99 latency and errors per
// phase. The server runs in its own process, as `aha serve rewards` does for a trainer; every
// socket is on 127.0.0.1, every phase stops after its request count or its time cap.
// Run: npm run bench:server [-- --json] [-- --scale 0.5]
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { loadavg, availableParallelism } from 'node:os';
import { benchArgs } from './lib/args.js';

const args = benchArgs('bench:server', ['--scale'], ['--json']);
const JSON_OUT = args.has('--json');
const SCALE = args.num('--scale', 1);
if (!(SCALE > 0 && SCALE <= 4)) throw new Error('--scale must be in (0, 4]');
const PHASE_SECONDS = 20; // time cap of every load phase
const SLOW_CONNECTIONS = 32;
const SLOW_BYTE_EVERY_MS = 2000;
const BODY_TIMEOUT_S = 10;

type Kind = 'math' | 'format' | 'code';
const MIX: Kind[] = ['math', 'format', 'math', 'format', 'math', 'format', 'math', 'format', 'math', 'code'];

function request(kind: Kind, i: number): { path: string; body: unknown } {
  const a = 3 + (i % 97);
  if (kind === 'math') return { path: '/verify/math', body: { pred: `so the total is $\\frac{${2 * a}}{2}$`, gold: String(a) } };
  if (kind === 'format') {
    return { path: '/score', body: { completion: `<think>\n${a} apples, half eaten\n</think>\n<answer>\n${a / 2}\n</answer>`, example: { gold: String(a / 2) } } };
  }
  return { path: '/verify/code', body: { language: 'python', code: 'print(int(input()) * 2)', tests: { inputs: [String(a), '5'], outputs: [String(2 * a), '10'] } } };
}

interface PhaseResult {
  phase: string;
  concurrency: number;
  requests: number;
  errors: number;
  seconds: number;
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  byKind: Record<Kind, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(url: string, phase: string, concurrency: number, count: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  const byKind: Record<Kind, number> = { math: 0, format: 0, code: 0 };
  let errors = 0;
  let next = 0;
  const deadline = performance.now() + PHASE_SECONDS * 1000;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const kind = MIX[i % MIX.length];
      const { path, body } = request(kind, i);
      const t = performance.now();
      try {
        const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        if (res.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t);
      byKind[kind]++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((x, y) => x - y);
  return { phase, concurrency, requests: latencies.length, errors, seconds, reqPerS: latencies.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), byKind };
}

/** Connections that announce a 1,000-byte body and send one byte every 2 s; reopened when cut. */
function slowLoris(url: string): { stop(): void; cutOff: () => number } {
  const { hostname, port } = new URL(url);
  let stopped = false;
  let cut = 0;
  const sockets = new Set<Socket>();
  const open = (): void => {
    if (stopped) return;
    const s = connect(Number(port), hostname);
    sockets.add(s);
    s.on('error', () => {});
    s.write(`POST /verify/code HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`);
    const timer = setInterval(() => s.write(' '), SLOW_BYTE_EVERY_MS);
    s.on('close', () => {
      clearInterval(timer);
      sockets.delete(s);
      if (!stopped) {
        cut++;
        open();
      }
    });
  };
  for (let i = 0; i < SLOW_CONNECTIONS; i++) open();
  return {
    stop() {
      stopped = true;
      for (const s of sockets) s.destroy();
    },
    cutOff: () => cut,
  };
}

function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', 'rewards', '--port', '0', '--rewards', 'accuracy,format=0.5', '--body-timeout-s', String(BODY_TIMEOUT_S)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

const n = (x: number) => Math.max(1, Math.round(x * SCALE));
const { url, child } = await startServer();
const results: PhaseResult[] = [];
let cutOff = 0;
let cutSeconds = 0;
try {
  await load(url, 'warm-up', 4, 20);
  for (const [c, count] of [
    [1, n(100)],
    [16, n(600)],
    [64, n(1200)],
  ] as const) {
    results.push(await load(url, 'load', c, count));
  }
  results.push(await load(url, 'before attack', 16, n(600)));
  const attack = slowLoris(url);
  const attackStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  results.push(await load(url, 'during attack', 16, n(600)));
  // Keep the attack up until the server has cut every slow connection once (bounded wait).
  const waitUntil = performance.now() + (BODY_TIMEOUT_S + 15) * 1000;
  while (attack.cutOff() < SLOW_CONNECTIONS && performance.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 250));
  cutSeconds = (performance.now() - attackStart) / 1000;
  cutOff = attack.cutOff();
  attack.stop();
  results.push(await load(url, 'after attack', 16, n(600)));
} finally {
  child.kill('SIGTERM');
}

const machine = { cores: availableParallelism(), loadavg1m: Number(loadavg()[0].toFixed(2)), node: process.version };
if (JSON_OUT) {
  console.log(JSON.stringify({ machine, slowConnections: SLOW_CONNECTIONS, bodyTimeoutS: BODY_TIMEOUT_S, slowConnectionsCutOff: cutOff, secondsUntilCut: Number(cutSeconds.toFixed(1)), phases: results }, null, 2));
} else {
  console.log(`aha serve rewards on 127.0.0.1: ${machine.cores} cores, load average ${machine.loadavg1m} (other work on the machine skews absolute figures)`);
  console.log('phase            conc  requests  errors    req/s   p50 ms   p99 ms   (math/format/code)');
  for (const r of results) {
    console.log(
      `${r.phase.padEnd(16)} ${String(r.concurrency).padStart(4)} ${String(r.requests).padStart(9)} ${String(r.errors).padStart(7)} ${r.reqPerS.toFixed(1).padStart(8)} ${r.p50Ms.toFixed(1).padStart(8)} ${r.p99Ms.toFixed(1).padStart(8)}   ${r.byKind.math}/${r.byKind.format}/${r.byKind.code}`,
    );
  }
  console.log(`slow-loris: ${SLOW_CONNECTIONS} connections, one byte every ${SLOW_BYTE_EVERY_MS / 1000} s; the ${BODY_TIMEOUT_S} s body deadline had cut off ${cutOff} of them ${cutSeconds.toFixed(1)} s after the attack began (each reopened at once)`);
}
