// Training checkpoints shared by the GRPO and SFT trainers: a model folder (config.json,
// model.safetensors, tokenizer files) plus optimizer.safetensors (AdamW moments, step in the
// metadata) and trainer_state.json (RNG state, data position, step, …), all written as one
// atomic folder, so `checkpoints/step-N` is either absent or complete.
import { readJsonObject } from '../util/json-file.js';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteDir, atomicWriteFile } from '../util/atomic.js';
import type { CausalLM } from './causal-lm.js';
import type { Tokenizer } from './tokenizer.js';
import { loadModel, type LoadedModel } from './load-model.js';
import { ADAPTER_WEIGHTS_FILE, isAdapterDir, loadAdapterCheckpoint } from './adapter.js';
import { writeModelFiles, type SaveModelOptions } from './model-folder.js';
import { SafetensorsReader, writeSafetensors } from './safetensors.js';
import { WEIGHTS_FILE, INDEX_FILE } from './weights.js';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_STATE_FILE = 'trainer_state.json';

export interface OptimizerState {
  step: number;
  tensors: Record<string, Float32Array>;
}

export interface TrainingCheckpoint {
  model: CausalLM;
  tokenizer: Tokenizer;
  optimizerState: OptimizerState | null;
  trainerState: Record<string, unknown>;
  /** Further F32 safetensors files in the folder, file name → named tensors (e.g. GRPO's synced reference). */
  tensorFiles?: Record<string, Record<string, Float32Array>>;
}

/** Writes a training checkpoint folder at `dir` atomically (replacing an older one there). */
export function saveTrainingCheckpoint(dir: string, ckpt: TrainingCheckpoint, opts: SaveModelOptions = {}): void {
  atomicWriteDir(dir, (tmp) => {
    writeModelFiles(tmp, ckpt.model, ckpt.tokenizer, opts);
    if (ckpt.optimizerState) {
      const tensors = Object.entries(ckpt.optimizerState.tensors).map(([name, data]) => ({ name, shape: [data.length], data }));
      writeSafetensors(join(tmp, OPTIMIZER_FILE), tensors, {
        dtype: 'F32',
        metadata: { format: 'aha-optimizer', step: String(ckpt.optimizerState.step) },
      });
    }
    for (const [file, named] of Object.entries(ckpt.tensorFiles ?? {})) {
      writeSafetensors(join(tmp, file), Object.entries(named).map(([name, data]) => ({ name, shape: [data.length], data })), { dtype: 'F32' });
    }
    atomicWriteFile(join(tmp, TRAINER_STATE_FILE), JSON.stringify(ckpt.trainerState, null, 2) + '\n');
  });
}

/** The optimizer state saved in checkpoint `dir`, or null when it holds none. */
export function readOptimizerState(dir: string): OptimizerState | null {
  const file = join(dir, OPTIMIZER_FILE);
  if (!existsSync(file)) return null;
  let step = NaN;
  const tensors = readAllTensors(file, (metadata) => {
    step = Number(metadata.step);
    if (!Number.isInteger(step) || step < 0) throw new InputError({ file, field: '__metadata__.step' }, 'missing or not a step number');
  });
  return { step, tensors: Object.fromEntries(tensors) };
}

/** The named tensors of `file` in checkpoint `dir` (a `tensorFiles` entry), or null when the checkpoint has no such file. */
export function readTensorFile(dir: string, file: string): Map<string, Float32Array> | null {
  const path = join(dir, file);
  if (!existsSync(path)) return null;
  return readAllTensors(path);
}

/** Every tensor of the safetensors file at `path` by name, after `checkMetadata` has seen its header's metadata. */
function readAllTensors(path: string, checkMetadata?: (metadata: Record<string, string>) => void): Map<string, Float32Array> {
  const reader = new SafetensorsReader(path);
  try {
    checkMetadata?.(reader.header.metadata);
    return new Map(reader.names().map((name) => [name, reader.read(name)]));
  } finally {
    reader.close();
  }
}

export function readTrainerState(dir: string): Record<string, unknown> {
  const file = join(dir, TRAINER_STATE_FILE);
  if (!existsSync(file)) throw new AhaError(`${dir}: not a training checkpoint (no ${TRAINER_STATE_FILE})`);
  return readJsonObject(file);
}

/** Loads a training checkpoint: the model folder, the optimizer state and the trainer state. */
export function loadTrainingCheckpoint(dir: string): LoadedModel & Omit<TrainingCheckpoint, 'model' | 'tokenizer'> {
  const trainerState = readTrainerState(dir);
  // A LoRA checkpoint is an adapter folder on the base model it names.
  const loaded = isAdapterDir(dir) ? loadAdapterCheckpoint(dir) : loadModel(dir);
  return { ...loaded, optimizerState: readOptimizerState(dir), trainerState };
}

/** `runDir`/checkpoints/step-`step`. */
export function checkpointDir(runDir: string, step: number): string {
  return join(runDir, 'checkpoints', `step-${step}`);
}

function isComplete(dir: string): boolean {
  return (
    existsSync(join(dir, TRAINER_STATE_FILE)) &&
    ((existsSync(join(dir, 'config.json')) && (existsSync(join(dir, WEIGHTS_FILE)) || existsSync(join(dir, INDEX_FILE)))) ||
      (isAdapterDir(dir) && existsSync(join(dir, ADAPTER_WEIGHTS_FILE))))
  );
}

/** Complete checkpoints of a run, oldest first. */
export function listCheckpoints(runDir: string): { step: number; dir: string }[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  const out: { step: number; dir: string }[] = [];
  for (const name of readdirSync(root)) {
    const m = /^step-(\d+)$/.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    if (statSync(dir).isDirectory() && isComplete(dir)) out.push({ step: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** The complete checkpoint folder of `runDir` with the highest step, or null when there is none. */
export function latestCheckpoint(runDir: string): string | null {
  const all = listCheckpoints(runDir);
  return all.length > 0 ? all[all.length - 1].dir : null;
}

/** Deletes all but the newest `keep` complete checkpoints (keep >= 1). */
export function pruneCheckpoints(runDir: string, keep: number): void {
  if (!(keep >= 1)) throw new AhaError(`pruneCheckpoints: keep must be at least 1, got ${keep}`);
  const all = listCheckpoints(runDir);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) rmSync(c.dir, { recursive: true, force: true });
}
