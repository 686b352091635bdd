// The generator an evaluation or a sampling run talks to: an OpenAI-compatible server when an
// endpoint is given, else aha's own model folder (loaded on demand: remote work never needs the
// compute core).
import { EVAL_DEFAULTS } from './defaults.js';
import type { ApiKind, Generator } from './generator.js';
import { RemoteGenerator } from './remote.js';

export interface GeneratorSpec {
  /** Model folder (local) or, with `endpoint`, the served model name. */
  model: string;
  /** Local model only: a LoRA adapter folder applied to `model`. */
  adapter?: string;
  endpoint?: string;
  api: ApiKind;
  /** Bearer token; default $OPENAI_API_KEY. */
  apiKey?: string;
  system?: string;
  /** Per-request timeout in seconds. */
  timeoutS?: number;
  retries?: number;
}

export async function openGenerator(spec: GeneratorSpec): Promise<Generator> {
  if (spec.endpoint !== undefined) {
    return new RemoteGenerator({
      endpoint: spec.endpoint,
      model: spec.model,
      api: spec.api,
      apiKey: spec.apiKey ?? process.env.OPENAI_API_KEY,
      system: spec.system,
      timeoutMs: (spec.timeoutS ?? EVAL_DEFAULTS.timeoutS) * 1000,
      retries: spec.retries ?? EVAL_DEFAULTS.retries,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
    });
  }
  const { LocalGenerator } = await import('./local.js');
  return LocalGenerator.open(spec.model, { api: spec.api, system: spec.system, adapter: spec.adapter });
}
