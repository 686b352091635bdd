// Numeric flag parsing shared by every command: one rule, one error wording that names the flag.
import { AhaError } from '../util/errors.js';

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** `--camelCase` key as the user typed it: maxTokens -> --max-tokens. */
export function flagName(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Parses `raw` as a number obeying `rule`, or throws an AhaError naming `flag`. */
export function parseNumber(flag: string, raw: unknown, rule: NumberRule = {}): number {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const v = text === '' ? NaN : Number(text);
  const { min, max, integer } = rule;
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || (min !== undefined && v < min) || (max !== undefined && v > max)) {
    const kind = integer ? 'an integer' : 'a number';
    // Number.MIN_VALUE as the least is "above 0", not "from 5e-324".
    const range =
      min === Number.MIN_VALUE ? (max !== undefined ? ` above 0 and at most ${max}` : ' above 0')
      : min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` >= ${min}` : max !== undefined ? ` <= ${max}` : '';
    throw new AhaError(`${flag} must be ${kind}${range}, got "${String(raw)}"`);
  }
  return v;
}

/** The numeric flag `key` of a commander options object, or `fallback` when it was not given. */
export function numberFlag(flags: object, key: string, fallback: number, rule: NumberRule = {}): number {
  const raw = (flags as Record<string, unknown>)[key];
  return raw === undefined ? fallback : parseNumber(flagName(key), raw, rule);
}

/** Like numberFlag, but undefined when the flag was not given. */
export function optionalNumberFlag(flags: object, key: string, rule: NumberRule = {}): number | undefined {
  const raw = (flags as Record<string, unknown>)[key];
  return raw === undefined ? undefined : parseNumber(flagName(key), raw, rule);
}
