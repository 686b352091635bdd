// The generator an evaluation or a sampling run talks to: an OpenAI-compatible server when an
// endpoint is given, else aha's own model folder (loaded on demand: remote work never needs the
// compute core).
import { EVAL_DEFAULTS } from './defaults.js';
import type { ApiKind, Generator } from './generator.js';
import { RemoteGenerator } from './remote.js';
import { AhaError } from '../util/errors.js';
import type { SamplingPrecision } from '../model/sampling-precision.js';
import type { ChatTemplateArgs } from '../model/chat-template.js';

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
  /** Chat API: extra chat-template variables (sent as chat_template_kwargs to a server). */
  chatTemplateArgs?: ChatTemplateArgs;
  /** Per-request timeout in seconds. */
  timeoutS?: number;
  retries?: number;
  /** Local model only: the precision it samples in (default f32), and the option that asked, for refusals. */
  precision?: { value: SamplingPrecision; option: string };
}

export async function openGenerator(spec: GeneratorSpec): Promise<Generator> {
  if (spec.endpoint !== undefined) {
    if (spec.precision?.value === 'bf16') {
      throw new AhaError(`${spec.precision.option} bf16 applies to a local model folder; a server samples in its own precision (vLLM: --dtype)`);
    }
    return new RemoteGenerator({
      endpoint: spec.endpoint,
      model: spec.model,
      api: spec.api,
      apiKey: spec.apiKey ?? process.env.OPENAI_API_KEY,
      system: spec.system,
      chatTemplateArgs: spec.chatTemplateArgs,
      timeoutMs: (spec.timeoutS ?? EVAL_DEFAULTS.timeoutS) * 1000,
      retries: spec.retries ?? EVAL_DEFAULTS.retries,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
    });
  }
  const { LocalGenerator } = await import('./local.js');
  return LocalGenerator.open(spec.model, { api: spec.api, system: spec.system, chatTemplateArgs: spec.chatTemplateArgs, adapter: spec.adapter, precision: spec.precision });
}
