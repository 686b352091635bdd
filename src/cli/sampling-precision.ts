// `--sampling-precision f32|bf16` of the commands that sample from a local model (aha generate,
// aha eval, aha sample; aha train has it in its option table), with aha generate's `--bf16` kept
// as its short form. Checked with the other flags, before a model loads.
import { AhaError } from '../util/errors.js';
import { samplingPrecisionProblem, type SamplingPrecision } from '../model/sampling-precision.js';

export const SAMPLING_PRECISION_HELP =
  'f32 (default) or bf16: sample with BF16 matrix products (AMX tiles or vdpbf16ps where the CPU has them, f32 accumulation; ' +
  'log-probs within a few hundredths of f32, docs/real-models.md); a local model the BF16 path cannot serve is refused with the reason';

/**
 * The precision asked for, or undefined when neither `--sampling-precision` nor `--bf16` was
 * given; an unknown value, or `--bf16` against `--sampling-precision f32`, is refused.
 */
export function samplingPrecisionFlag(flags: { samplingPrecision?: unknown; bf16?: unknown }): SamplingPrecision | undefined {
  const given = flags.samplingPrecision;
  if (given !== undefined) {
    const problem = samplingPrecisionProblem(given);
    if (problem !== null) throw new AhaError(`--sampling-precision: ${problem}`);
  }
  if (flags.bf16 === true) {
    if (given !== undefined && given !== 'bf16') throw new AhaError(`--bf16 (short for --sampling-precision bf16) conflicts with --sampling-precision ${String(given)}: give one`);
    return 'bf16';
  }
  return given as SamplingPrecision | undefined;
}
