// The reward registry: names (as used in configs and on the command line) -> reward functions.
// Built-ins register themselves from builtin.ts; tasks (arithmetic, Countdown) add their own.
import { AhaError } from '../util/errors.js';
import type { RewardFunction } from './types.js';

const registry = new Map<string, RewardFunction>();

/** Adds a reward function; a second function with the same name is a programming error. */
export function registerReward(fn: RewardFunction, opts: { replace?: boolean } = {}): void {
  if (!/^[a-z][a-z0-9_:-]*$/.test(fn.name)) throw new Error(`invalid reward name "${fn.name}"`);
  if (registry.has(fn.name) && !opts.replace) throw new Error(`reward "${fn.name}" is already registered`);
  registry.set(fn.name, fn);
}

export function hasReward(name: string): boolean {
  return registry.has(name);
}

/** The reward function called `name`; an AhaError listing the known names if there is none. */
export function getReward(name: string): RewardFunction {
  const fn = registry.get(name);
  if (!fn) {
    throw new AhaError(`unknown reward "${name}"; known rewards: ${listRewards().map((r) => r.name).join(', ')}`);
  }
  return fn;
}

export function listRewards(): RewardFunction[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}
