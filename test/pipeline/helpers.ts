// Fixtures of the pipeline tests: a folder that passes the recipe's model-folder check (no
// weights: fake runners never load it), recipes written to temp files, and recording fake runners.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageContext, StageOutcome, StageRunners } from '../../src/pipeline/runner.js';
import { scratchDir } from '../scratch-dir.js';

export function tempDir(prefix = 'aha-pipeline-'): string {
  return scratchDir(prefix);
}

/** A folder with a config.json: enough for validation, which never loads weights. */
export function fakeModelDir(root: string, name = 'base'): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{}\n');
  return dir;
}

export function writeRecipe(dir: string, text: string, name = 'recipe.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface Call {
  name: string;
  kind: string;
  resume: boolean;
  config: Record<string, unknown>;
}

/**
 * Runners that record their calls and return `<stage dir>/out` as output. `behave` may make a
 * stage throw or report an interruption on a given call.
 */
export function recordingRunners(calls: Call[], behave: (ctx: StageContext, attempt: number) => 'ok' | 'throw' | 'interrupt' = () => 'ok'): StageRunners {
  const attempts = new Map<string, number>();
  const run = async (ctx: StageContext): Promise<StageOutcome> => {
    const n = (attempts.get(ctx.name) ?? 0) + 1;
    attempts.set(ctx.name, n);
    calls.push({ name: ctx.name, kind: ctx.kind, resume: ctx.resume, config: ctx.config });
    mkdirSync(ctx.dir, { recursive: true });
    const what = behave(ctx, n);
    if (what === 'throw') throw new Error(`simulated crash in ${ctx.name}`);
    return { output: join(ctx.dir, 'out'), metrics: { attempt: n }, interrupted: what === 'interrupt' };
  };
  return { sft: run, grpo: run, sample: run, eval: run, reward_model: run };
}
