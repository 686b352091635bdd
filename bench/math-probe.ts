// The math verifier probed from outside, over the real golds of the benchmark files: for every
// record, model outputs built from its gold (bench/lib/math-forms.ts) must be (a) equal when they
// state the gold, (b) equal when they rewrite it as a MATH grader accepts, (c) unequal when the
// answer was changed. Both entry points are used as they run in aha: the accuracy reward's
// (verify in the bounded worker pool: the raw gold field, no last-number fallback) and
// `aha eval`'s (goldAnswer of the record, extractAnswer with the fallback, compare in the pool).
// Prints checks and failures per data set, part and class, examples, and the pool's overruns
// of the 2 s deadline.
//
//   npm run bench:math-probe -- [--data DIR] [--threads N] [--examples N] [--sets a,b]
// DIR holds <set>/test.jsonl for gsm8k, math500, math_test, aime24, amc23 (missing ones are
// skipped; data/benchmarks has all but math_test).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoundedMathVerifier, extractAnswer, extractGold, finalBoxed } from '../src/rewards/index.js';
import { matchBrace } from '../src/rewards/math/latex-scan.js';
import { goldAnswer } from '../src/eval/problems.js';
import { answerForms, type ProbeRecord } from './lib/math-forms.js';
import { benchArgs } from './lib/args.js';

const args = benchArgs('bench:math-probe', ['--data', '--threads', '--examples', '--sets'], []);
const dataDir = args.value('--data') ?? 'data/benchmarks';
const threads = args.int('--threads', 1);
const examples = args.int('--examples', 3);
const sets = (args.value('--sets') ?? 'gsm8k,math500,math_test,aime24,amc23').split(',');

/** \boxed{X} / \fbox{X} replaced by X, so the working states no boxed answer of its own. */
function unbox(text: string): string {
  let s = text;
  for (let m = /\\(?:boxed|fbox)\s*\{/.exec(s); m !== null; m = /\\(?:boxed|fbox)\s*\{/.exec(s)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(s, open);
    s = close < 0 ? s.slice(0, m.index) + s.slice(open + 1) : s.slice(0, m.index) + s.slice(open + 1, close) + s.slice(close + 1);
  }
  return s;
}

function evalGold(r: Record<string, unknown>, where: string): string {
  const g = goldAnswer(r, {}, finalBoxed);
  if ('error' in g) throw new Error(`${where}: ${g.error}`);
  return g.gold;
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/** The records of one data set in the probe's terms, or [] when its file is absent. */
function load(ds: string): ProbeRecord[] {
  const file = join(dataDir, ds, 'test.jsonl');
  if (!existsSync(file)) return [];
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return rows.map((r, i): ProbeRecord => {
    const where = `${file}:${i + 1}`;
    const problem = String(r.problem ?? r.question ?? '');
    if (ds === 'gsm8k') {
      const a = String(r.answer);
      const k = a.lastIndexOf('####');
      return { ds, id: String(i), goldRaw: a, goldEval: evalGold(r, where), gold: a.slice(k + 4).trim(), body: a.slice(0, k).replace(/<<[^>]*>>/g, '').trim(), problem };
    }
    if (ds === 'amc23') {
      // A float gold (27.0): the reward reads it as String(27), as goldOf does.
      return { ds, id: String(r.id), goldRaw: String(r.answer), goldEval: evalGold(r, where), gold: String(r.answer), body: 'We set up the problem and compute step by step.', problem };
    }
    const solution = String(r.solution ?? '');
    // math_test has no answer field: the reward gets the solution itself (extractGold reads its boxes).
    const goldRaw = ds === 'math_test' ? solution : String(r.answer);
    const gold = ds === 'aime24' ? String(Number(r.answer)) : ds === 'math_test' ? (extractGold(solution) ?? '') : String(r.answer);
    return { ds, id: String(r.unique_id ?? r.idx ?? r.id ?? i), goldRaw, goldEval: evalGold(r, where), gold: oneLine(gold), body: unbox(solution), problem };
  });
}

interface Tally {
  checks: number;
  failures: number;
  examples: string[];
}

const pool = new BoundedMathVerifier({ threads, hardTimeoutMs: 2000 });
await pool.warmUp();
const tallies = new Map<string, Tally>();
const t0 = performance.now();

for (const ds of sets) {
  const records = load(ds).filter((r) => r.gold !== '');
  for (const r of records) {
    const forms = answerForms(r);
    await Promise.all(
      forms.flatMap((f) => [
        pool.verify(f.completion, r.goldRaw, { lastNumberFallback: false }).then((v) => ['reward', v.equal, v.pred_extracted, v.reason] as const),
        (async () => {
          const pred = extractAnswer(f.completion, { lastNumberFallback: true });
          const v = pred === null ? { equal: false, reason: 'no answer found' } : await pool.compare(pred, r.goldEval);
          return ['eval', v.equal, pred, v.reason] as const;
        })(),
      ].map((p) =>
        p.then(([path, equal, pred, reason]) => {
          const key = `${ds}\t${f.part}\t${f.cls}\t${path}`;
          const t = tallies.get(key) ?? { checks: 0, failures: 0, examples: [] };
          t.checks++;
          if (equal !== f.expectEqual) {
            t.failures++;
            if (t.examples.length < examples) t.examples.push(`${r.id}: gold ${JSON.stringify(path === 'reward' ? (extractGold(r.goldRaw) ?? '') : r.goldEval)} answer ${JSON.stringify(f.shown)} extracted ${JSON.stringify(pred)}${reason ? ` (${reason})` : ''}`);
          }
          tallies.set(key, t);
        }),
      )),
    );
  }
}
const seconds = (performance.now() - t0) / 1000;
const stats = pool.stats();
await pool.close();

const parts = new Map<string, { checks: number; failures: number }>();
for (const [key, t] of tallies) {
  const [ds, part, , path] = key.split('\t');
  const k = `${ds}\t${part}\t${path}`;
  const p = parts.get(k) ?? { checks: 0, failures: 0 };
  p.checks += t.checks;
  p.failures += t.failures;
  parts.set(k, p);
}
console.log('data set\tpart\tpath\tchecks\tfailures');
for (const [k, p] of [...parts].sort()) console.log(`${k}\t${p.checks}\t${p.failures}`);
console.log('\nfailing classes (data set, part, class, path: failures/checks), with examples:');
for (const [key, t] of [...tallies].sort()) {
  if (t.failures === 0) continue;
  console.log(`${key.replace(/\t/g, ' ')}: ${t.failures}/${t.checks}`);
  for (const e of t.examples) console.log(`    ${e.length > 300 ? e.slice(0, 300) + '…' : e}`);
}
const total = [...tallies.values()].reduce((n, t) => n + t.checks, 0);
console.log(`\n${total} checks in ${seconds.toFixed(1)} s (${threads} worker thread${threads === 1 ? '' : 's'}); over the 2 s deadline: ${stats.overruns}; worker crashes: ${stats.crashes}`);
