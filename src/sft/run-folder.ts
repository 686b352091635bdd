// The run folder of an SFT or pretraining run (docs/run-folder.md): config.json written at the
// start, and, to resume, the latest complete checkpoint plus the saved configuration. Metrics
// logged after that checkpoint are dropped on resume so metrics.jsonl has one line per step.
import { readJsonObject } from '../util/json-file.js';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import { truncateJsonlAfterStep } from '../util/jsonl.js';
import { latestCheckpoint } from '../model/training-checkpoint.js';
import { assertFreshRunDir } from '../util/run-dir.js';
import type { TrainerState } from './trainer.js';

export const RUN_CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';

/** Starts a fresh run in `runDir`: refuses a folder that already holds a run, writes config.json. */
export function startRun(runDir: string, config: object): void {
  assertFreshRunDir(runDir);
  atomicWriteFile(join(runDir, RUN_CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

/** The configuration a run was started with. */
export function readRunConfig(runDir: string): Record<string, unknown> {
  const file = join(runDir, RUN_CONFIG_FILE);
  if (!existsSync(file)) throw new AhaError(`${runDir} holds no run to resume (no ${RUN_CONFIG_FILE})`);
  return readJsonObject(file);
}

/** SHA-256 of a file's bytes, so a resumed run can tell its data file changed. */
export function fileDigest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Records changed settings (e.g. an extended --steps on resume) in the run's config.json. */
export function updateRunConfig(runDir: string, patch: Record<string, unknown>): void {
  atomicWriteFile(join(runDir, RUN_CONFIG_FILE), JSON.stringify({ ...readRunConfig(runDir), ...patch }, null, 2) + '\n');
}

/** The checkpoint to resume `runDir` from; an AhaError when there is none. */
export function resumeCheckpoint(runDir: string): string {
  const dir = latestCheckpoint(runDir);
  if (dir === null) throw new AhaError(`${runDir} has no complete checkpoint to resume from (checkpoints/step-N)`);
  return dir;
}

/** Validates a trainer_state.json written by the LM trainer. */
export function parseTrainerState(raw: Record<string, unknown>, file: string): TrainerState {
  const out: Record<string, number> = {};
  for (const key of ['step', 'epoch', 'batchIndex', 'tokensSeen', 'seed'] as const) {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InputError({ file, field: key }, 'missing or not a non-negative integer');
    out[key] = v;
  }
  return out as unknown as TrainerState;
}

/** Keeps only metrics of steps up to `step` (the ones the resumed checkpoint includes). */
export function truncateMetrics(runDir: string, step: number): void {
  truncateJsonlAfterStep(join(runDir, METRICS_FILE), step);
}
