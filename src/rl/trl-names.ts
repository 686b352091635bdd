// TRL GRPOConfig names that are not aha's own, shared by the library's GRPOConfig (trl-config.ts)
// and `aha train --config` files (config.ts), so a TRL user's settings mean the same in both: the
// batch sizes TRL counts in completions, and the options aha has no counterpart for, each with
// what to do instead.
/** TRL options users may bring that aha has no counterpart for, with what to do instead. */
export const TRL_UNSUPPORTED: Readonly<Record<string, string>> = {
  num_train_epochs: 'aha trains for max_steps steps',
  max_prompt_length: 'prompts are checked against the model context instead',
  warmup_ratio: 'use warmup_steps',
  steps_per_generation: 'aha makes one update (times num_iterations) per generation batch',
  log_completions: 'use log_completions_steps',
};

/** TRL's batch sizes, in completions. */
export interface TrlBatchSizes {
  per_device_train_batch_size?: unknown;
  generation_batch_size?: unknown;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;

/**
 * Prompts per step from TRL's batch sizes (completions) for groups of G and `accum` micro-batches
 * per update; null when neither is given; or the field at fault with a sentence that starts with
 * its name (the library prefixes "GRPOConfig.", a config file names itself and the field).
 */
export function trlPromptsPerStep(args: TrlBatchSizes, G: number, accum: number): number | null | { field: string; problem: string } {
  const { per_device_train_batch_size: pdtbs, generation_batch_size: gbs } = args;
  if (pdtbs === undefined && gbs === undefined) return null;
  for (const [field, v] of [['per_device_train_batch_size', pdtbs], ['generation_batch_size', gbs]] as const) {
    if (v !== undefined && !isCount(v)) return { field, problem: `${field} must be an integer >= 1, got ${JSON.stringify(v)}` };
  }
  if (pdtbs !== undefined && gbs !== undefined && gbs !== (pdtbs as number) * accum) {
    return { field: 'generation_batch_size', problem: `generation_batch_size ${gbs} must equal per_device_train_batch_size × gradient_accumulation_steps (${pdtbs} × ${accum}): aha makes one update per generation batch` };
  }
  const rows = (gbs ?? (pdtbs as number) * accum) as number;
  const field = gbs !== undefined ? 'generation_batch_size' : 'per_device_train_batch_size';
  const what = gbs !== undefined ? `generation_batch_size ${gbs}` : `per_device_train_batch_size × gradient_accumulation_steps (${rows})`;
  if (rows % G !== 0) return { field, problem: `${what} must be a multiple of num_generations (${G}): each prompt gets a whole group` };
  return rows / G;
}

/** TRL's boolean scale_rewards (true = group, false = none); other values unchanged. */
export function trlScaleRewards(v: unknown): unknown {
  return v === true ? 'group' : v === false ? 'none' : v;
}
