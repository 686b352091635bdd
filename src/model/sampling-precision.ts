// The precision sampling runs in: f32 (the default, what training computes in), or BF16 matrix
// products with f32 accumulation (Transformer.sampleInBf16: AMX tiles or vdpbf16ps where the CPU
// has them). One switch shared by every command that samples from a local model (aha train's
// rollouts, aha eval, aha sample, aha generate, the pipeline's stages): a model the BF16 path
// cannot serve is refused with the network's own reason (Transformer.bf16SamplingBlocker), never
// sampled in f32 behind the user's back.
import { AhaError } from '../util/errors.js';
import type { CausalLM } from './causal-lm.js';
import { LoraModel } from './lora.js';
import type { Transformer } from './transformer.js';

export type SamplingPrecision = 'f32' | 'bf16';
export const SAMPLING_PRECISIONS: readonly SamplingPrecision[] = ['f32', 'bf16'];

/** What a network that can sample in BF16 offers (aha's Transformer). */
type Bf16Sampler = Pick<Transformer, 'sampleInBf16' | 'bf16SamplingBlocker'>;

/**
 * The network that makes the KV caches (an adapted model's base: LoraModel delegates createCache
 * to it) when it can sample in BF16 at all, else null. Structural, so reading a config does not
 * load the transformer.
 */
function bf16Net(model: CausalLM): Bf16Sampler | null {
  const net = (model instanceof LoraModel ? model.base : model) as Partial<Bf16Sampler>;
  return typeof net.bf16SamplingBlocker === 'function' && typeof net.sampleInBf16 === 'boolean' ? (net as Bf16Sampler) : null;
}

/**
 * The problem with a `sampling_precision` value, or null when it is one of f32 / bf16. vLLM's
 * spellings (bfloat16, float32) are named in the message rather than taken silently.
 */
export function samplingPrecisionProblem(value: unknown): string | null {
  if ((SAMPLING_PRECISIONS as readonly unknown[]).includes(value)) return null;
  const hint = value === 'bfloat16' ? ' (vLLM\'s dtype bfloat16 is bf16 here)' : value === 'float32' || value === 'fp32' ? ' (that is f32 here)' : '';
  return `unknown sampling precision ${JSON.stringify(value)}${hint}; choose f32 or bf16`;
}

/** Why `model` cannot sample in BF16 now, or null when it can (Transformer.bf16SamplingBlocker). */
export function bf16SamplingBlockerOf(model: CausalLM): string | null {
  const net = bf16Net(model);
  return net !== null ? net.bf16SamplingBlocker() : 'it is not a transformer aha decodes';
}

/** Who asks for BF16 and of what, for the refusal: `--bf16: cannot sample models/x in BF16: …`. */
export interface PrecisionRequest {
  /** The option as the user gave it (`--sampling-precision`, `sampling_precision`). */
  option: string;
  /** The model as the user named it. */
  model: string;
}

/** Throws when `precision` is bf16 and `model` cannot sample in BF16, naming the option, the model and the reason. */
export function assertSamplingPrecision(model: CausalLM, precision: SamplingPrecision, who: PrecisionRequest): void {
  if (precision !== 'bf16') return;
  const blocker = bf16SamplingBlockerOf(model);
  if (blocker !== null) throw new AhaError(`${who.option}: cannot sample ${who.model} in BF16: ${blocker}`);
}

/**
 * Makes `model` sample in `precision` from now on (KV caches made afterwards; a cache keeps the
 * precision it was made with). Refuses bf16 for a model the BF16 path cannot serve.
 */
export function setSamplingPrecision(model: CausalLM, precision: SamplingPrecision, who: PrecisionRequest): void {
  assertSamplingPrecision(model, precision, who);
  const net = bf16Net(model);
  if (net !== null) net.sampleInBf16 = precision === 'bf16';
}

/** The precision `model` samples in now. */
export function samplingPrecisionOf(model: CausalLM): SamplingPrecision {
  return bf16Net(model)?.sampleInBf16 === true ? 'bf16' : 'f32';
}

/**
 * Runs `fn` (a sampler call) with `model` sampling in `precision`, then restores the precision it
 * had: a training run's rollouts may sample in BF16 while its held-out evaluation samples in f32
 * on the same network. Callers checked the model with assertSamplingPrecision first.
 */
export async function inSamplingPrecision<T>(model: CausalLM, precision: SamplingPrecision, fn: () => Promise<T>): Promise<T> {
  const before = samplingPrecisionOf(model);
  if (before === precision) return fn();
  const who = { option: 'sampling_precision', model: 'the model' };
  setSamplingPrecision(model, precision, who);
  try {
    return await fn();
  } finally {
    setSamplingPrecision(model, before, who);
  }
}
