// Chat templates: renders the Jinja template from tokenizer_config.json with @huggingface/jinja,
// passing what Hugging Face's apply_chat_template passes (messages, add_generation_prompt, the
// special token strings; the library itself provides raise_exception).
import { Template } from '@huggingface/jinja';
import { AhaError } from '../util/errors.js';
import type { ChatMessage } from './tokenizer.js';

const compiled = new Map<string, Template>();

function compile(source: string): Template {
  let t = compiled.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (err) {
      throw new AhaError(`chat template does not parse: ${(err as Error).message}`);
    }
    compiled.set(source, t);
  }
  return t;
}

/**
 * The chat template of a tokenizer_config.json: a string, or a list of named templates (the one
 * named "default" is used), or null when there is none.
 */
export function pickChatTemplate(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    const named = raw as { name?: unknown; template?: unknown }[];
    const def = named.find((t) => t.name === 'default') ?? named[0];
    return typeof def?.template === 'string' ? def.template : null;
  }
  return null;
}

export function renderChatTemplate(
  source: string,
  messages: readonly ChatMessage[],
  opts: { addGenerationPrompt?: boolean; specialTokens?: Record<string, string | null> } = {},
): string {
  const template = compile(source);
  try {
    return template.render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
      ...opts.specialTokens,
    });
  } catch (err) {
    if (err instanceof AhaError) throw err;
    throw new AhaError(`chat template failed to render: ${(err as Error).message}`);
  }
}
