// Step labels without annotators (Math-Shepherd, Wang et al. 2023): from the prefix ending after
// each step of a solution, the policy samples N continuations; the step's soft label is the share
// that reach the verified answer, its hard label 1 when any does. Input: JSON Lines of
// {"prompt", "steps": [...] | "completion", "gold" | "answer", ...}; a completion is split into
// steps at the separator. Output: process-reward data (data.ts) with labels and soft_labels.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadModel } from '../model/load-model.js';
import { sample } from '../model/sampling.js';
import { getReward } from '../rewards/index.js';
import type { RewardExample, RewardFunction } from '../rewards/types.js';
import { registerTaskRewards } from '../tasks/rewards.js';
import { AhaError, InputError } from '../util/errors.js';
import { readJsonl, writeJsonl } from '../util/jsonl.js';
import { Rng } from '../util/rng.js';

export interface LabelOptions {
  /** The policy that completes each prefix (a causal LM folder). */
  model: string;
  /** Solutions to label (JSON Lines). */
  data: string;
  /** Process-reward data to write (must not exist). */
  output: string;
  /** Continuations per step prefix (Math-Shepherd used 8). */
  rollouts?: number;
  maxNewTokens?: number;
  temperature?: number;
  /** Reward whose score ≥ 1 means the continuation reached the answer (default accuracy; `<task>_accuracy` for tasks). */
  verifier?: string;
  stepSeparator?: string;
  seed?: number;
}

export interface Solution {
  line: number;
  prompt: string;
  steps: string[];
  example: RewardExample;
}

/** Reads solutions, checking every record before any sampling. */
export function readSolutions(file: string, sep: string): Solution[] {
  const rows = readJsonl(file);
  if (rows.length === 0) throw new InputError({ file }, 'no records');
  return rows.map(({ line, value }) => {
    const at = (field: string) => ({ file, line, field });
    if (typeof value.prompt !== 'string') throw new InputError(at('prompt'), 'missing or not a string');
    let steps: string[];
    if (value.steps !== undefined) {
      if (!Array.isArray(value.steps) || value.steps.length === 0 || value.steps.some((s) => typeof s !== 'string' || s === '' || s.includes(sep))) {
        throw new InputError(at('steps'), `must be a non-empty array of non-empty strings without the separator ${JSON.stringify(sep)}`);
      }
      steps = value.steps as string[];
    } else if (typeof value.completion === 'string') {
      steps = value.completion.split(sep).filter((s) => s.trim() !== '');
      if (steps.length === 0) throw new InputError(at('completion'), 'no steps in it');
    } else throw new InputError(at('steps'), 'missing: give "steps" (an array) or "completion" (split at the separator)');
    const gold = value.gold ?? value.answer;
    if (typeof gold !== 'string' && typeof gold !== 'number') throw new InputError(at('gold'), 'missing: the verified answer ("gold" or "answer")');
    const { prompt: _p, steps: _s, completion: _c, ...rest } = value;
    return { line, prompt: value.prompt, steps, example: { ...rest, gold: String(gold) } };
  });
}

export interface LabelResult { records: number; steps: number; positive_share: number; seconds: number }

/** Labels every step of every solution by Monte Carlo rollouts and writes the PRM data file. */
export async function labelSteps(o: LabelOptions): Promise<LabelResult> {
  const t0 = performance.now();
  const sep = o.stepSeparator ?? '\n';
  const n = o.rollouts ?? 8;
  if (!Number.isInteger(n) || n < 1) throw new AhaError(`rollouts must be a positive integer, got ${n}`);
  const solutions = readSolutions(o.data, sep);
  if (existsSync(resolve(o.output))) throw new AhaError(`--output ${o.output} already exists; labels are never written over another file`);
  registerTaskRewards();
  const verifier: RewardFunction = getReward(o.verifier ?? 'accuracy');
  const { model, tokenizer, eosIds } = loadModel(o.model);
  const rng = new Rng(o.seed ?? 0);
  const out: Record<string, unknown>[] = [];
  let positives = 0, total = 0;
  for (const s of solutions) {
    // One batch per solution: N continuations of every step prefix.
    const prefixes = s.steps.map((_, i) => s.steps.slice(0, i + 1).join(sep) + sep);
    const prompts = prefixes.flatMap((p) => {
      const ids = tokenizer.encode(s.prompt + p);
      return Array.from({ length: n }, () => ids);
    });
    const samples = sample(model, prompts, { maxNewTokens: o.maxNewTokens ?? 128, temperature: o.temperature ?? 1, eosIds, tokenizer, rng });
    const soft: number[] = [];
    for (let i = 0; i < prefixes.length; i++) {
      let hits = 0;
      for (let j = 0; j < n; j++) {
        const score = await verifier.score(prefixes[i] + samples[i * n + j].text, s.example);
        if (score !== null && score >= 1) hits++;
      }
      soft.push(hits / n);
    }
    const labels = soft.map((x) => (x > 0 ? 1 : 0));
    positives += labels.reduce<number>((a, b) => a + b, 0);
    total += labels.length;
    out.push({ prompt: s.prompt, steps: s.steps, labels, soft_labels: soft });
  }
  writeJsonl(o.output, out);
  return { records: out.length, steps: total, positive_share: total > 0 ? positives / total : NaN, seconds: (performance.now() - t0) / 1000 };
}
