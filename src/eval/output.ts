// The evaluation's files: one JSON line per sample (appended as samples finish, so a crash or
// Ctrl-C loses nothing finished and a re-run resumes), the settings they were made with (a
// re-run with different settings is refused rather than silently mixed), and the per-problem
// summary written at the end.
import { appendFileSync, existsSync, readFileSync, truncateSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import { appendJsonl } from '../util/jsonl.js';
import type { ToolCallRecord } from './generator.js';
import type { EvalProblem } from './problems.js';
import { createHash } from 'node:crypto';

export interface SampleRecord {
  id: string;
  sample: number;
  completion: string;
  extracted: string | null;
  correct: boolean;
  reason?: string;
  finish_reason: string | null;
  /** This sample's share of its request's tokens (a request for n samples counts its prompt once). */
  usage: { prompt_tokens: number; completion_tokens: number };
  reasoning?: string;
  /** Tool-using evaluation: every call the sample made, in order (docs/tools.md). */
  tool_calls?: ToolCallRecord[];
  /** Fingerprints of the problem text the sample answered and of the gold (or tests) it was graded against (problemHashes). */
  problem_hash?: string;
  gold_hash?: string;
}

const shortHash = (parts: readonly unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);

/**
 * What a sample was made from and graded against, so a re-run over an edited data file (a
 * reworded problem, a corrected gold) does not count the old samples as answers to the new one.
 */
export function problemHashes(p: EvalProblem): { problem_hash: string; gold_hash: string } {
  return { problem_hash: shortHash([p.problem]), gold_hash: shortHash([p.gold, p.code?.test ?? '', p.code?.prompt ?? '', p.code?.entryPoint ?? '', p.code?.record ?? null]) };
}

/**
 * The first problem whose samples in the file were made for another text, or graded against
 * another gold, than the data now gives (records written before fingerprints are not checked);
 * a changed gold is no error when the samples are being graded again.
 */
export function staleSamples(file: string, have: ReadonlyMap<string, ReadonlyMap<number, SampleRecord>>, problems: readonly EvalProblem[], regrade: boolean): string | null {
  for (const p of problems) {
    const m = have.get(p.id);
    if (m === undefined) continue;
    const now = problemHashes(p);
    for (const rec of m.values()) {
      if (rec.problem_hash !== undefined && rec.problem_hash !== now.problem_hash) {
        return `${file} holds samples of problem "${p.id}" (line ${p.line}) made for another problem text: the data changed since. Pass --out to write a new file`;
      }
      if (!regrade && rec.gold_hash !== undefined && rec.gold_hash !== now.gold_hash) {
        return `${file} holds samples of problem "${p.id}" (line ${p.line}) graded against another ${p.code ? 'set of tests' : 'gold answer'}: the data changed since. Add --regrade to grade them against the new one, or pass --out to write a new file`;
      }
    }
  }
  return null;
}

export interface OutputPaths {
  samples: string;
  problems: string;
  settings: string;
}

export function outputPaths(samplesFile: string): OutputPaths {
  const base = samplesFile.endsWith('.jsonl') ? samplesFile.slice(0, -'.jsonl'.length) : samplesFile;
  return { samples: samplesFile, problems: `${base}.problems.jsonl`, settings: `${base}.settings.json` };
}

function isSampleRecord(v: Record<string, unknown>): boolean {
  return typeof v.id === 'string' && Number.isInteger(v.sample) && typeof v.completion === 'string' && typeof v.correct === 'boolean';
}

/**
 * Samples already in the file, by problem id and sample index. A last line cut short by a crash
 * is dropped and cut from the file, so appends continue on a clean line; any other bad line is
 * an error naming it.
 */
export function readSamples(file: string): Map<string, Map<number, SampleRecord>> {
  const out = new Map<string, Map<number, SampleRecord>>();
  if (!existsSync(file)) return out;
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const isLast = i === lines.length - 1;
    const lineStart = offset;
    offset += Buffer.byteLength(raw, 'utf8') + 1;
    if (raw.trim() === '') continue;
    let value: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) value = parsed as Record<string, unknown>;
    } catch {
      value = null;
    }
    if (value === null || !isSampleRecord(value)) {
      if (isLast) {
        // No newline after it: an interrupted append. Cut it off, saying so (its sample is drawn again).
        truncateSync(file, lineStart);
        process.stderr.write(`aha: warning: ${file}:${i + 1}: dropped an incomplete last line (a write cut off when the run was stopped); its sample is generated again\n`);
        break;
      }
      throw new InputError({ file, line: i + 1 }, 'not a sample record of `aha eval` (expected id, sample, completion, correct)');
    }
    // A complete record without its newline: add it so the next append starts a fresh line.
    if (isLast) appendFileSync(file, '\n');
    const rec = value as unknown as SampleRecord;
    let m = out.get(rec.id);
    if (!m) out.set(rec.id, (m = new Map()));
    m.set(rec.sample, rec);
  }
  return out;
}

export function appendSample(file: string, rec: SampleRecord): void {
  appendJsonl(file, rec);
}

/** The settings that decide what a sample is; samples made under other settings do not mix. */
export type EvalSettings = Record<string, string | number | boolean | null | string[]>;

/**
 * Chat-template variables among a samples file's settings: as one JSON text with sorted names
 * (so the order they were given in does not count as a change), and only when there are some, so
 * files written before the option resume as they were.
 */
export function chatTemplateArgsSetting(args: Readonly<Record<string, unknown>> | undefined | null): { chat_template_args?: string } {
  if (args === undefined || args === null || Object.keys(args).length === 0) return {};
  return { chat_template_args: JSON.stringify(Object.fromEntries(Object.entries(args).sort(([a], [b]) => (a < b ? -1 : 1)))) };
}

function differences(old: EvalSettings, now: EvalSettings, keys: readonly string[]): string[] {
  return keys.filter((k) => JSON.stringify(old[k] ?? null) !== JSON.stringify(now[k] ?? null)).map((k) => `${k}: ${JSON.stringify(old[k] ?? null).slice(0, 60)} then, ${JSON.stringify(now[k] ?? null).slice(0, 60)} now`);
}

/**
 * Records the settings next to a new samples file, or checks them against the recorded ones
 * when the file already has samples. `sampling` settings (model, prompt, temperature …) must
 * match; `grading` settings (how answers are judged) may change only together with a regrade,
 * which then records them.
 */
export function checkOrWriteSettings(paths: OutputPaths, sampling: EvalSettings, grading: EvalSettings, opts: { hasSamples: boolean; regrade: boolean }): void {
  mkdirSync(dirname(paths.samples), { recursive: true });
  const now = { ...sampling, ...grading };
  if (opts.hasSamples && existsSync(paths.settings)) {
    const old = JSON.parse(readFileSync(paths.settings, 'utf8')) as EvalSettings;
    const samplingKeys = [...new Set([...Object.keys(old), ...Object.keys(sampling)])].filter((k) => !(k in grading));
    const diffs = differences(old, now, samplingKeys);
    if (diffs.length > 0) throw new AhaError(`${paths.samples} holds samples made with other settings (${diffs.join('; ')}). Resume with the same settings, or pass --out to write a new file.`);
    const gradingDiffs = differences(old, now, Object.keys(grading));
    if (gradingDiffs.length === 0) return;
    if (!opts.regrade) throw new AhaError(`${paths.samples} was graded with other settings (${gradingDiffs.join('; ')}). Add --regrade to grade its samples again, or pass --out to write a new file.`);
  }
  atomicWriteFile(paths.settings, JSON.stringify(now, null, 2) + '\n');
}
