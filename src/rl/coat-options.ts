// Satori's stage 2 (Shen et al. 2025) as GRPO options: `coat: true` turns on Restart-and-Explore
// (a share of each step's prompts are states cut from the policy's own earlier trajectories, with
// `<|reflect|>` appended) and the reflection bonus (the `coat_reflection` reward), on any task or
// data file whose answers a CandidateReader can judge (coat-readers.ts), with or without LoRA.
// The option names follow the paper's terms; docs/self-correction.md ("COAT on a real model").
//
// `coat` is a switch of its own, not a value of `self_correction`: SCoRe replaces the step's
// rollout with two attempts, while COAT keeps the one-attempt GRPO step and only changes where some
// prompts start and adds a reward (so the two are refused together, as two kinds of rollout).
import { AhaError } from '../util/errors.js';
import { COAT_READER_NAMES, coatReaderProblem, defaultCoatReader, type CoatReaderName } from './coat-readers.js';

/** The reflection bonus's reward name (rl/coat.ts `reflectionBonus`). */
export const COAT_REFLECTION_REWARD = 'coat_reflection';

export interface CoatGrpoOptions {
  /** Satori's stage 2 on this GRPO run: Restart-and-Explore prompts and the reflection bonus. */
  coat: boolean;
  /** Share of each step's prompts replaced by restart states, in [0, 1) (0 = the bonus alone). */
  coat_restart_share: number;
  /** Training prompts the policy answers once each at the start; their trajectories are cut into restart states. */
  coat_restart_problems: number;
  /** Steps dropped from a trajectory's end at most (Satori's T = 2). */
  coat_restart_max_drop: number;
  /** β of the reflection bonus: +β for a reflection that fixes the intermediate answer, −β for one that breaks it (Satori's 0.5; 0 = no bonus). */
  coat_reflection_beta: number;
  /** How intermediate answers are read and judged; null = from the task (countdown for the countdown task, else math). */
  coat_reader: CoatReaderName | null;
}

export const COAT_GRPO_DEFAULTS: CoatGrpoOptions = {
  coat: false,
  coat_restart_share: 0.25,
  coat_restart_problems: 64,
  coat_restart_max_drop: 2,
  coat_reflection_beta: 0.5,
  coat_reader: null,
};

const COAT_KEYS = Object.keys(COAT_GRPO_DEFAULTS).filter((k) => k !== 'coat') as (keyof CoatGrpoOptions)[];

/**
 * Checks the COAT options against each other and the rest of the config (cheap: no file or model
 * opened); returns the reader the run uses (null without coat). Every error names the field.
 */
export function checkCoatGrpoOptions(c: CoatGrpoOptions & { task: string | null; self_correction: string; tools: readonly string[]; rewards: readonly { name: string }[] }): CoatReaderName | null {
  const fail = (field: string, msg: string): never => {
    throw new AhaError(`${field}: ${msg}`);
  };
  if (typeof c.coat !== 'boolean') fail('coat', `must be true or false, got ${JSON.stringify(c.coat)}`);
  if (!c.coat) {
    for (const k of COAT_KEYS) if (JSON.stringify(c[k]) !== JSON.stringify(COAT_GRPO_DEFAULTS[k])) fail(k, 'is a COAT option: set coat: true (--coat) to use it');
    return null;
  }
  const share = c.coat_restart_share;
  if (!(typeof share === 'number' && share >= 0 && share < 1)) fail('coat_restart_share', `must be in [0, 1) (some prompts stay whole problems), got ${JSON.stringify(share)}`);
  const int = (k: 'coat_restart_problems' | 'coat_restart_max_drop', min: number) => {
    const v = c[k];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) fail(k, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  int('coat_restart_problems', 1);
  int('coat_restart_max_drop', 0);
  const beta = c.coat_reflection_beta;
  if (!(typeof beta === 'number' && Number.isFinite(beta) && beta >= 0)) fail('coat_reflection_beta', `must be a number >= 0 (0 = no reflection bonus), got ${JSON.stringify(beta)}`);
  if (c.coat_reader !== null && !(COAT_READER_NAMES as readonly unknown[]).includes(c.coat_reader)) fail('coat_reader', `unknown reader ${JSON.stringify(c.coat_reader)}; choose ${COAT_READER_NAMES.join(' or ')}`);
  const reader = c.coat_reader ?? defaultCoatReader(c.task);
  const problem = coatReaderProblem(reader, c.task);
  if (problem !== null) fail('coat_reader', problem);
  if (c.self_correction !== 'none') fail('coat', `conflicts with self_correction ${c.self_correction}: each replaces the one-attempt rollout in its own way; use one`);
  if (c.tools.length > 0) fail('coat', 'restart states cut from tool-using trajectories are not supported; use tools or coat, not both');
  if (beta === 0 && c.rewards.some((r) => r.name === COAT_REFLECTION_REWARD)) fail('rewards', `${COAT_REFLECTION_REWARD} is listed but coat_reflection_beta is 0 (no bonus): drop one of them`);
  return reader;
}
