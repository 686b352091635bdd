// Benchmark of the verifiers: math checks per second (in-process vs the worker pool with a hard
// time limit; numeric fast path vs symbolic), and code runs per second (sandboxed Python and
// JavaScript; parallel vs one at a time; sandbox overhead vs a bare interpreter start).
// Run with `npm run bench:rewards`. Figures are machine-dependent: compare ratios within a run.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { verifyMath, BoundedMathVerifier, runCode, runProgram } from '../src/rewards/index.js';
import { loadMathCases } from '../test/rewards/math-cases.js';

function rate(n: number, ms: number): string {
  return `${((n * 1000) / ms).toFixed(1)}/s`;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now();
  const out = await fn();
  return [out, performance.now() - t];
}

const math500 = readFileSync('data/benchmarks/math500/test.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { solution: string; answer: string });
const gsm = readFileSync('data/benchmarks/gsm8k/test.jsonl', 'utf8')
  .trim()
  .split('\n')
  .slice(0, 500)
  .map((l) => JSON.parse(l) as { answer: string });

console.log(`cores: ${availableParallelism()}`);

// Warm the engine once so that load time is not counted as checking time.
verifyMath('\\frac{x}{2}', 'x/2');

const [, tGsm] = await timed(() => gsm.forEach((r) => verifyMath('<think>...</think><answer>42</answer>', r.answer)));
const [, tMath] = await timed(() => math500.forEach((r) => verifyMath(r.solution, r.answer)));
// A harder mix: MATH-500 answers against a different problem's answer (mostly negatives, which
// go all the way down to the symbolic engine).
const [, tNeg] = await timed(() => math500.forEach((r, i) => verifyMath(`\\boxed{${math500[(i + 1) % math500.length].answer}}`, r.answer)));
console.log(`math in-process: GSM8K numeric ${rate(gsm.length, tGsm)}, MATH-500 gold-vs-gold ${rate(math500.length, tMath)}, MATH-500 mismatched ${rate(math500.length, tNeg)}`);

// The checker's own case table (test/rewards/math-cases.tsv): every class of answer form, with
// full model outputs; agreement with the expected verdicts and checks per second.
const table = loadMathCases();
const [agree, tTable] = await timed(() => table.filter((c) => verifyMath(c.answer, c.gold).equal === c.equal).length);
const falseEqual = table.filter((c) => !c.equal && verifyMath(c.answer, c.gold).equal).length;
console.log(`math case table: ${agree}/${table.length} agree, ${falseEqual} unequal pairs called equal; ${rate(table.length, tTable)} in-process (first pass, engine warm)`);
const classes = new Map<string, number>();
for (const c of table) classes.set(c.cls, (classes.get(c.cls) ?? 0) + 1);
console.log(`math case table classes: ${[...classes].map(([k, n]) => `${k} ${n}`).join(', ')}`);

const pool = new BoundedMathVerifier({ hardTimeoutMs: 10_000 });
await pool.warmUp();
const [, tPool] = await timed(() => Promise.all(math500.map((r, i) => pool.verify(`\\boxed{${math500[(i + 1) % math500.length].answer}}`, r.answer))));
await pool.close();
console.log(`math worker pool (${availableParallelism()} threads, hard limit): MATH-500 mismatched ${rate(math500.length, tPool)} = ${(tNeg / tPool).toFixed(2)}x in-process`);

const N = 24;
const py = { language: 'python' as const, code: 'a, b = map(int, input().split())\nprint(a + b)', tests: { inputs: Array.from({ length: N }, (_, i) => `${i} ${i}`), outputs: Array.from({ length: N }, (_, i) => String(2 * i)) } };
await runCode({ ...py, tests: { inputs: ['1 1'], outputs: ['2'] } });
const [rPar, tPar] = await timed(() => runCode(py));
const [, tSer] = await timed(async () => {
  for (let i = 0; i < N; i++) await runCode({ ...py, tests: { inputs: [py.tests.inputs[i]], outputs: [py.tests.outputs[i]] } });
});
console.log(`code python sandboxed: parallel ${rate(N, tPar)} (reward ${rPar.reward}), one at a time ${rate(N, tSer)}; parallel = ${(tSer / tPar).toFixed(2)}x`);

const [, tJs] = await timed(() => runCode({ language: 'javascript', code: 'console.log(1)', tests: { inputs: Array(N).fill(''), outputs: Array(N).fill('1') } }));
console.log(`code javascript sandboxed: parallel ${rate(N, tJs)}`);

const [, tAsserts] = await timed(async () => {
  for (let i = 0; i < 8; i++) await runCode({ language: 'python', code: 'def f(x):\n    return x + 1', tests: { asserts: 'assert f(1) == 2\nassert f(2) == 3\nassert f(3) == 4' } });
});
console.log(`code python assert script (3 asserts, one sandbox run): ${rate(8, tAsserts)}`);

// Sandbox overhead: the same trivial program in the jail vs a bare interpreter start (our own
// constant program, not model code).
const [, tJail] = await timed(async () => {
  for (let i = 0; i < 10; i++) await runProgram({ language: 'python', program: 'pass' });
});
const [, tBare] = await timed(() => {
  for (let i = 0; i < 10; i++) spawnSync('/usr/bin/python3', ['-I', '-B', '-c', 'pass']);
});
console.log(`python start: sandboxed ${(tJail / 10).toFixed(1)} ms, bare ${(tBare / 10).toFixed(1)} ms; sandbox overhead ${(tJail / tBare).toFixed(2)}x`);
