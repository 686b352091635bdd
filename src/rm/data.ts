// Reward-model training data, JSON Lines, one kind per file, every record checked (file, line,
// field) before any training:
//   preference  {"prompt", "chosen", "rejected"}          Bradley-Terry pairs
//   outcome     {"prompt", "completion", "label"}         ORM: label 1/true = correct, 0/false = wrong
//   process     {"prompt", "steps": [...], "labels": [...]} PRM: one 0/1 label per step
//                (optional "soft_labels": the share of Monte Carlo continuations that reached the
//                answer, as `aha rm label` writes it; checked, then not used: training reads the hard labels)
// An optional "id" (the data's own bookkeeping) is allowed and not read. Any other field is
// refused: a misspelt field must not train silently.
import { InputError } from '../util/errors.js';
import { readJsonl } from '../util/jsonl.js';
import type { RewardModelKind } from '../model/reward-model.js';

export interface PreferenceRecord { kind: 'preference'; line: number; prompt: string; chosen: string; rejected: string }
export interface OutcomeRecord { kind: 'outcome'; line: number; prompt: string; completion: string; label: 0 | 1 }
export interface ProcessRecord { kind: 'process'; line: number; prompt: string; steps: string[]; labels: (0 | 1)[] }
export type RmRecord = PreferenceRecord | OutcomeRecord | ProcessRecord;

const FIELDS: Record<RewardModelKind, readonly string[]> = {
  preference: ['prompt', 'chosen', 'rejected'],
  outcome: ['prompt', 'completion', 'label'],
  process: ['prompt', 'steps', 'labels'],
};
const OPTIONAL: Record<RewardModelKind, readonly string[]> = { preference: ['id'], outcome: ['id'], process: ['id', 'soft_labels'] };

/** The kind a record's fields say it is (chosen → preference, steps → process, completion → outcome), or null. */
export function kindOfRecord(value: Record<string, unknown>): RewardModelKind | null {
  if ('chosen' in value || 'rejected' in value) return 'preference';
  if ('steps' in value) return 'process';
  if ('completion' in value || 'label' in value) return 'outcome';
  return null;
}

function label01(v: unknown): 0 | 1 | null {
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  return null;
}

/**
 * Reads and checks a reward-model data file. `kind` null: decided by the first record's fields,
 * and every record must be of that kind.
 */
export function readRmData(file: string, kind: RewardModelKind | null = null): { kind: RewardModelKind; records: RmRecord[] } {
  const rows = readJsonl(file);
  if (rows.length === 0) throw new InputError({ file }, 'no records');
  const k = kind ?? kindOfRecord(rows[0].value);
  if (k === null) throw new InputError({ file, line: rows[0].line }, 'cannot tell the kind: give "chosen"/"rejected" (preference), "completion"/"label" (outcome) or "steps"/"labels" (process)');
  const records = rows.map(({ line, value }): RmRecord => {
    const at = (field: string) => ({ file, line, field });
    for (const f of Object.keys(value)) {
      if (!FIELDS[k].includes(f) && !OPTIONAL[k].includes(f)) throw new InputError(at(f), `unknown field for ${k} data (fields: ${[...FIELDS[k], ...OPTIONAL[k]].join(', ')})`);
    }
    for (const f of FIELDS[k]) if (value[f] === undefined) throw new InputError(at(f), `missing (${k} records need ${FIELDS[k].join(', ')})`);
    const str = (f: string, empty = false): string => {
      const v = value[f];
      if (typeof v !== 'string' || (!empty && v === '')) throw new InputError(at(f), `must be a non-empty string`);
      return v;
    };
    const prompt = str('prompt', true);
    if (k === 'preference') {
      const chosen = str('chosen'), rejected = str('rejected');
      return { kind: k, line, prompt, chosen, rejected };
    }
    if (k === 'outcome') {
      const label = label01(value.label);
      if (label === null) throw new InputError(at('label'), `must be 0, 1, true or false, got ${JSON.stringify(value.label)}`);
      return { kind: k, line, prompt, completion: str('completion'), label };
    }
    const steps = value.steps, labels = value.labels;
    if (!Array.isArray(steps) || steps.length === 0 || steps.some((s) => typeof s !== 'string' || s === '')) throw new InputError(at('steps'), 'must be a non-empty array of non-empty strings');
    if (!Array.isArray(labels) || labels.length !== steps.length) throw new InputError(at('labels'), `must be an array with one label per step (${steps.length})`);
    const ls = labels.map((l, i) => {
      const b = label01(l);
      if (b === null) throw new InputError(at(`labels[${i}]`), `must be 0, 1, true or false, got ${JSON.stringify(l)}`);
      return b;
    });
    // soft_labels (aha rm label's Monte Carlo shares) are checked so a broken file is caught, not kept.
    const soft = value.soft_labels;
    if (soft !== undefined && (!Array.isArray(soft) || soft.length !== steps.length || soft.some((x) => typeof x !== 'number' || !(x >= 0 && x <= 1)))) {
      throw new InputError(at('soft_labels'), `must be an array of ${steps.length} numbers in [0, 1]`);
    }
    return { kind: k, line, prompt, steps: steps as string[], labels: ls } satisfies ProcessRecord;
  });
  return { kind: k, records };
}
