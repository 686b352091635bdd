// Reward specs as users type them on any command: "accuracy,format:0.5" (or "format=0.5"),
// one or several strings, each a comma-separated list of names with optional weights.
import { AhaError } from '../util/errors.js';

export interface WeightedRewardName {
  name: string;
  weight: number;
}

export function parseRewardSpec(spec: string | readonly string[], flag = '--reward'): WeightedRewardName[] {
  const parts = (typeof spec === 'string' ? [spec] : spec)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new AhaError(`${flag}: give at least one reward name, e.g. accuracy or accuracy,format:0.5`);
  return parts.map((part) => {
    const m = /^([^:=]+?)\s*(?:[:=]\s*(.*))?$/.exec(part);
    const name = m ? m[1].trim() : part;
    const weight = m?.[2] === undefined ? 1 : Number(m[2].trim() === '' ? NaN : m[2]);
    if (!Number.isFinite(weight)) throw new AhaError(`${flag} "${part}": the weight after the name must be a number`);
    return { name, weight };
  });
}
