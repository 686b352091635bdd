// The trainer's Sampler over the tool-using sampler (the tools themselves are src/tools).
import type { CausalLM } from '../../model/causal-lm.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import type { Tool } from '../../tools/tool.js';
import type { GrpoConfig } from '../config.js';
import type { Sampler } from '../rollout.js';
import { sampleWithTools } from './sampler.js';

/** The trainer's sampler over tool-using rollouts (modelMask and segments on each completion). */
export function toolSampler(model: CausalLM, tokenizer: Tokenizer, config: GrpoConfig, tools: readonly Tool[], eosIds: readonly number[]): Sampler {
  return async (prompts, rng) =>
    (await sampleWithTools(model, prompts, {
      maxNewTokens: config.max_completion_length,
      sampling: { temperature: config.temperature, topP: config.top_p, topK: config.top_k, minP: config.min_p, repetitionPenalty: config.repetition_penalty },
      eosIds, tokenizer, rng, tools, maxToolCalls: config.max_tool_calls, toolTimeoutMs: config.tool_timeout * 1000,
    })).map((s) => ({ ids: s.tokens, text: s.text, truncated: s.finishReason === 'length', logprobs: s.logprobs, modelMask: s.modelMask, segments: s.segments }));
}
