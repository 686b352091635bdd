// Builds a run's tools from its options (cheap checks first: names, the corpus file, the sandbox)
// and the trainer's Sampler over the tool-using sampler.
import { resolve } from 'node:path';
import type { CausalLM } from '../../model/causal-lm.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import { assertSandbox } from '../../rewards/index.js';
import { worldCorpus } from '../../tasks/world.js';
import { AhaError } from '../../util/errors.js';
import type { GrpoConfig } from '../config.js';
import type { Sampler } from '../rollout.js';
import { pythonTool } from './python.js';
import { readCorpus, searchTool, type Passage } from './search.js';
import { sampleWithTools } from './sampler.js';
import type { Tool } from './tool.js';

export const BUILTIN_TOOLS = ['search', 'python'] as const;

/** Tasks that come with their own search corpus. */
const TASK_CORPORA: Readonly<Record<string, () => Passage[]>> = { world: () => worldCorpus() };

function corpusFor(config: GrpoConfig): Passage[] {
  if (config.search_corpus !== null) return readCorpus(resolve(config.search_corpus));
  const own = config.task !== null ? TASK_CORPORA[config.task] : undefined;
  if (!own) throw new AhaError(`tools: search needs search_corpus (a JSON Lines file of {"text": …} passages)${config.task ? `; task ${config.task} has no corpus of its own` : ''}`);
  return own();
}

/** The tools `config.tools` names, built-in or from `extra` (a library user's, by name). */
export function buildTools(config: GrpoConfig, extra: readonly Tool[] = []): Tool[] {
  return config.tools.map((name) => {
    const own = extra.find((t) => t.name === name);
    if (own) return own;
    if (name === 'search') return searchTool(corpusFor(config), config.search_top_k);
    if (name === 'python') {
      assertSandbox();
      return pythonTool(config.tool_timeout * 1000);
    }
    throw new AhaError(`tools: unknown tool "${name}"; built in: ${BUILTIN_TOOLS.join(', ')}${extra.length ? `; given: ${extra.map((t) => t.name).join(', ')}` : ''}`);
  });
}

/** The trainer's sampler over tool-using rollouts (modelMask and segments on each completion). */
export function toolSampler(model: CausalLM, tokenizer: Tokenizer, config: GrpoConfig, tools: readonly Tool[], eosIds: readonly number[]): Sampler {
  return async (prompts, rng) =>
    (await sampleWithTools(model, prompts, {
      maxNewTokens: config.max_completion_length,
      sampling: { temperature: config.temperature, topP: config.top_p, topK: config.top_k, minP: config.min_p, repetitionPenalty: config.repetition_penalty },
      eosIds, tokenizer, rng, tools, maxToolCalls: config.max_tool_calls, toolTimeoutMs: config.tool_timeout * 1000,
    })).map((s) => ({ ids: s.tokens, text: s.text, truncated: s.finishReason === 'length', logprobs: s.logprobs, modelMask: s.modelMask, segments: s.segments }));
}
