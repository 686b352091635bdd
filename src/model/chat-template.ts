// Chat templates: renders the Jinja template (chat_template.jinja or tokenizer_config.json's) with
// @huggingface/jinja as transformers' apply_chat_template renders it with Jinja2: the same
// variables, and values printed as Python prints them (jinja-python.ts).
import { Template } from '@huggingface/jinja';
import { AhaError, InputError } from '../util/errors.js';
import { checkJinja2Compatible } from './jinja-python.js';
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
    checkJinja2Compatible(t);
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

/** Extra variables for a chat template (transformers' chat_template_kwargs), e.g. Qwen3's `enable_thinking`. */
export type ChatTemplateArgs = Record<string, string | number | boolean | null>;

/**
 * One `key=value` template argument from the command line: true / false, none / null, a number,
 * or else the text as a string (e.g. `enable_thinking=false`).
 */
export function parseChatTemplateArg(spec: string, flag = '--chat-template-arg'): [string, string | number | boolean | null] {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? '' : spec.slice(0, eq).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new AhaError(`${flag} ${JSON.stringify(spec)}: expected name=value, e.g. enable_thinking=false`);
  if (RESERVED.has(key)) throw new AhaError(`${flag}: "${key}" is set by aha itself and cannot be passed`);
  const raw = spec.slice(eq + 1);
  const lower = raw.trim().toLowerCase();
  if (lower === 'true' || lower === 'false') return [key, lower === 'true'];
  if (lower === 'none' || lower === 'null') return [key, null];
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return [key, Number(raw)];
  return [key, raw];
}

/** `--chat-template-arg` values given on the command line (repeatable), as one set of template arguments. */
export function parseChatTemplateArgs(specs: readonly string[], flag = '--chat-template-arg'): ChatTemplateArgs {
  return Object.fromEntries(specs.map((s) => parseChatTemplateArg(s, flag)));
}

/**
 * What is wrong with a set of template arguments, or null: not an object, a name the renderer sets
 * itself, or a value a template cannot take (string, number, boolean, null are). `name` is the
 * argument at fault (null when the whole is), for errors that name the field.
 */
export function chatTemplateArgsProblem(args: unknown): { name: string | null; problem: string } | null {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return { name: null, problem: 'must be an object of template variables, e.g. { enable_thinking: false }' };
  for (const [k, v] of Object.entries(args)) {
    if (RESERVED.has(k)) return { name: null, problem: `"${k}" is set by aha itself and cannot be passed` };
    if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) return { name: k, problem: `must be a string, number, boolean or null, got ${JSON.stringify(v)}` };
  }
  return null;
}

/**
 * Checks template arguments handed to the library or read from a settings file (`where` names
 * the option): plain names the renderer does not set itself, and values a template can take.
 */
export function checkChatTemplateArgs(args: unknown, where: string): asserts args is ChatTemplateArgs {
  const p = chatTemplateArgsProblem(args);
  if (p === null) return;
  throw new AhaError(p.name === null ? `${where}: ${p.problem}` : `${where}.${p.name} ${p.problem}`);
}

/**
 * A data row's own `chat_template_kwargs` (TRL's SFTTrainer reads this column per example; aha's
 * GRPO reads it too, where TRL's GRPOTrainer passes it to the rewards only) over the run's:
 * checked as the run's are, an error naming file, line and field; a name given by both is refused,
 * as TRL's apply_chat_template refuses a keyword given twice.
 */
export function rowChatTemplateArgs(row: Record<string, unknown>, at: { file: string; line: number }, run: ChatTemplateArgs): ChatTemplateArgs {
  const own = row.chat_template_kwargs;
  if (own === undefined) return run;
  const p = chatTemplateArgsProblem(own);
  if (p !== null) throw new InputError({ ...at, field: p.name === null ? 'chat_template_kwargs' : `chat_template_kwargs.${p.name}` }, p.problem);
  const both = Object.keys(own as ChatTemplateArgs).find((k) => Object.hasOwn(run, k));
  if (both !== undefined) throw new InputError({ ...at, field: `chat_template_kwargs.${both}` }, 'is set for the whole run too (chat_template_kwargs / --chat-template-arg); give it in one place');
  return { ...run, ...(own as ChatTemplateArgs) };
}

/** The roles a data file's conversation may hold (SFT's `messages`, GRPO's conversational `prompt`). */
export const MESSAGE_ROLES: readonly string[] = ['system', 'user', 'assistant'];

/**
 * A list of chat messages from a data row: objects with a `role` out of `roles` and a string
 * `content`, at least one; an error names the file, line and field (`messages[2].role`).
 */
export function parseChatMessages(raw: unknown, at: { file: string; line: number; field: string }, roles: readonly string[] = MESSAGE_ROLES): ChatMessage[] {
  if (!Array.isArray(raw)) throw new InputError(at, 'must be an array of {"role", "content"}');
  if (raw.length === 0) throw new InputError(at, 'is empty');
  return raw.map((m: unknown, i: number) => {
    const f = `${at.field}[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new InputError({ ...at, field: f }, 'must be an object {"role", "content"}');
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !roles.includes(role)) throw new InputError({ ...at, field: `${f}.role` }, `must be one of ${roles.join(', ')} (got ${JSON.stringify(role)})`);
    if (typeof content !== 'string') throw new InputError({ ...at, field: `${f}.content` }, content === undefined ? 'missing' : 'must be a string');
    return { role, content };
  });
}

/** Names the renderer sets itself; template arguments may not replace them. */
const RESERVED = new Set(['messages', 'add_generation_prompt', 'tools', 'documents', 'raise_exception', 'strftime_now']);

/**
 * Renders a chat template with what transformers' apply_chat_template passes: `messages`,
 * `add_generation_prompt`, `tools` and `documents` as None (so `tools is not none` is false, not
 * true as for an undefined name), the special-token strings that are set (an unset one stays
 * undefined, as in transformers' special_tokens_map), and the caller's template arguments. The
 * library provides raise_exception and strftime_now, and strips `{% generation %}` tags (which
 * only mark assistant tokens) keeping their body.
 */
export function renderChatTemplate(
  source: string,
  messages: readonly ChatMessage[],
  opts: { addGenerationPrompt?: boolean; specialTokens?: Record<string, string | null>; templateArgs?: ChatTemplateArgs } = {},
): string {
  const template = compile(source);
  const specials = Object.fromEntries(Object.entries(opts.specialTokens ?? {}).filter(([, v]) => v !== null));
  // Library callers reach the renderer directly: the same check as every command's.
  if (opts.templateArgs !== undefined) checkChatTemplateArgs(opts.templateArgs, 'chat template arguments');
  try {
    return template.render({
      ...specials,
      ...opts.templateArgs,
      messages,
      tools: null,
      documents: null,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
    });
  } catch (err) {
    if (err instanceof AhaError) throw err;
    throw new AhaError(`chat template failed to render: ${(err as Error).message}`);
  }
}
