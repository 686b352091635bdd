// Writes a small, plausible GRPO run folder (docs/run-folder.md layout) for the report tests:
// rising accuracy and length, reflection that appears late, held-out evals, and a completion
// that tries to inject HTML. Deterministic for a given seed. The committed folder
// test/fixtures/run-small is not made by this file: it is a real 12-step `aha train` run of the
// bundled model with held-out evaluations (its config.json has the settings); the tests that read
// it rely only on the layout.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../../src/util/atomic.js';
import { writeJsonl } from '../../src/util/jsonl.js';
import { Rng } from '../../src/util/rng.js';

export interface FixtureOptions {
  seed?: number;
  steps?: number;
  /** Shifts the learning curve: a "better" run for overlay tests. */
  boost?: number;
}

interface Problem {
  id: string;
  a: number;
  b: number;
}

const PROBLEMS: Problem[] = [
  { id: 'arith-0001', a: 17, b: 25 },
  { id: 'arith-0002', a: 38, b: 46 },
  { id: 'arith-0003', a: 129, b: 57 },
  { id: 'arith-0004', a: 64, b: 99 },
];

/** Marker text that must show up as plain text, never as markup, in the report. */
export const INJECTION = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

const round = (x: number, d = 4): number => Number(x.toFixed(d));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function completionText(p: Problem, progress: number, correct: boolean, rng: Rng, inject: boolean): string {
  const truth = p.a + p.b;
  const answer = correct ? truth : truth + (rng.int(2) === 0 ? 10 : -10);
  const reflect = rng.next() < progress;
  let think = `${p.a} + ${p.b}: ones ${p.a % 10} + ${p.b % 10}, then the tens.`;
  if (reflect) think += ` Wait, let me check that again: ${answer} - ${p.b} = ${answer - p.b}. ${correct ? 'Yes, that is right.' : 'Hmm, close enough.'}`;
  if (inject) think += ` Model output with markup: ${INJECTION}`;
  return `<think>${think}</think>\n<answer>${answer}</answer>`;
}

export function writeFixtureRun(dir: string, opts: FixtureOptions = {}): void {
  const seed = opts.seed ?? 1;
  const steps = opts.steps ?? 24;
  const boost = opts.boost ?? 0;
  const rng = new Rng(seed);
  mkdirSync(dir, { recursive: true });
  const config = { command: 'train', algorithm: 'grpo', model: 'models/tiny-arith', task: 'arithmetic', seed, steps, group_size: 2, beta: 0.04, learning_rate: 1e-5, log_completions_steps: 6 };
  atomicWriteFile(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');

  const metrics: Record<string, number>[] = [];
  const completions: Record<string, unknown>[] = [];
  const evals: Record<string, unknown>[] = [];
  const t0 = 1_763_000_000;
  const logSteps = new Set([1, ...Array.from({ length: Math.floor(steps / 6) }, (_, i) => (i + 1) * 6)]);
  for (let step = 1; step <= steps; step++) {
    const progress = step / steps;
    const noise = () => (rng.next() - 0.5) * 0.08;
    const acc = Math.min(1, Math.max(0, 0.08 + 0.7 * sigmoid(8 * (progress - 0.5) + boost) + noise()));
    const fmt = Math.min(1, Math.max(0, 0.35 + 0.6 * sigmoid(10 * (progress - 0.3) + boost) + noise()));
    const len = 55 + 90 * progress + 20 * noise() * 10;
    const secs = 4 + rng.next();
    metrics.push({
      step,
      time: round(t0 + step * 5.1, 1),
      'reward/mean': round(acc + 0.2 * fmt),
      'reward/std': round(0.3 + noise()),
      'reward/accuracy/mean': round(acc),
      'reward/accuracy/std': round(Math.sqrt(acc * (1 - acc))),
      'reward/format/mean': round(fmt),
      'reward/format/std': round(Math.sqrt(fmt * (1 - fmt))),
      accuracy: round(acc),
      frac_zero_std: round(Math.max(0, 0.6 - 0.4 * progress + noise())),
      'completion_length/mean': round(len, 2),
      'completion_length/min': Math.round(len * 0.55),
      'completion_length/max': Math.round(len * 1.6),
      truncated_frac: round(Math.max(0, 0.1 - 0.08 * progress + noise() / 4)),
      kl: round(0.002 * step * (1 + noise()), 5),
      entropy: round(1.9 - 0.6 * progress + noise()),
      'clip/low': round(Math.max(0, 0.01 + noise() / 8), 5),
      'clip/high': round(Math.max(0, 0.015 + noise() / 8), 5),
      reflect_rate: round(Math.max(0, 1.6 * progress * progress + noise())),
      loss: round(0.05 * noise()),
      grad_norm: round(0.8 + rng.next() * 0.4),
      lr: 1e-5,
      'tokens_per_s/sampling': round(180 + 20 * rng.next(), 1),
      'tokens_per_s/training': round(420 + 40 * rng.next(), 1),
      seconds_per_step: round(secs, 3),
      'time/sampling': round(secs * 0.55, 3),
      'time/scoring': round(secs * 0.02, 3),
      'time/reference': round(secs * 0.13, 3),
      'time/training': round(secs * 0.3, 3),
    });
    if (logSteps.has(step)) {
      for (const p of PROBLEMS) {
        for (let k = 0; k < 2; k++) {
          // The first problem is always wrong early and right late, so early/late has a showcase.
          const correct = p.id === 'arith-0001' ? step > steps / 2 : rng.next() < acc;
          const inject = step === steps && p.id === 'arith-0003' && k === 0;
          const text = completionText(p, progress, correct, rng, inject);
          const format = rng.next() < fmt ? 1 : 0;
          const extracted = /<answer>(.*?)<\/answer>/.exec(text)?.[1] ?? null;
          completions.push({
            step,
            problem_id: p.id,
            prompt: `What is ${p.a} + ${p.b}? Think inside <think></think>, then give the number inside <answer></answer>.`,
            completion: text,
            reward: round((correct ? 1 : 0) + 0.2 * format),
            rewards: { accuracy: correct ? 1 : 0, format },
            correct,
            length: Math.ceil(text.length / 3),
            gold: String(p.a + p.b),
            extracted,
          });
        }
      }
    }
    if (step % 8 === 0) {
      for (const split of ['arith-heldout', 'gsm8k-mini']) {
        const hard = split === 'gsm8k-mini' ? 0.35 : 0;
        evals.push({
          step,
          split,
          n: split === 'gsm8k-mini' ? 50 : 100,
          accuracy: round(Math.max(0, acc - hard + noise())),
          mean_length: round(len * (1 + hard), 1),
          reflect_rate: round(Math.max(0, 1.4 * progress * progress + noise())),
          format_rate: round(fmt),
        });
      }
    }
  }
  writeJsonl(join(dir, 'metrics.jsonl'), metrics);
  writeJsonl(join(dir, 'completions.jsonl'), completions);
  writeJsonl(join(dir, 'eval.jsonl'), evals);
}
