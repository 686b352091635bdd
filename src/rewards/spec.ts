// Reward specs as users type them on any command: "accuracy,format:0.5" (or "format=0.5"),
// one or several strings, each a comma-separated list of names with optional weights; a learned
// reward model is named rm:<folder> ("accuracy,rm:runs/rm:0.5").
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
  const specs = parts.map((part) => {
    // A learned reward, rm:<folder>[:<weight>]: the folder may itself hold colons, so only a
    // number after the last one is a weight. The model is loaded where models are (rl/).
    if (part.startsWith('rm:')) {
      const w = /^(rm:.+?)\s*:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$/.exec(part);
      const name = w ? w[1] : part;
      if (name === 'rm:') throw new AhaError(`${flag} "${part}": give the reward model folder after rm:, e.g. rm:runs/rm:0.5`);
      return { name, weight: w ? Number(w[2]) : 1 };
    }
    const m = /^([^:=]+?)\s*(?:[:=]\s*(.*))?$/.exec(part);
    const name = m ? m[1].trim() : part;
    const weight = m?.[2] === undefined ? 1 : Number(m[2].trim() === '' ? NaN : m[2]);
    if (!Number.isFinite(weight)) throw new AhaError(`${flag} "${part}": the weight after the name must be a number`);
    return { name, weight };
  });
  const twice = duplicateReward(specs);
  if (twice !== null) throw new AhaError(`${flag}: reward "${twice}" is given twice; give it once (with the summed weight)`);
  return specs;
}

/**
 * The first reward name a list gives twice, or null. Each reward is logged and reported by its
 * name, so a second entry would be added into the total while one of the two logs vanished.
 */
export function duplicateReward(specs: readonly WeightedRewardName[]): string | null {
  const seen = new Set<string>();
  for (const { name } of specs) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}
