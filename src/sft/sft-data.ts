// SFT data files: JSON Lines where each line is either {"prompt", "completion"} (text, or TRL's
// conversational form: both lists of messages, loss on the completion's assistant turns only) or
// {"messages": [{"role", "content"}, …]} (chat; loss on assistant turns only). The whole file is
// validated before any training, and the first bad line is reported as file:line with the field.
import { InputError } from '../util/errors.js';
import { readJsonl, type JsonlRecord } from '../util/jsonl.js';
import { parseChatMessages, rowChatTemplateArgs, type ChatTemplateArgs } from '../model/chat-template.js';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export type SftRecord =
  | { kind: 'completion'; line: number; prompt: string; completion: string }
  | {
      kind: 'chat';
      line: number;
      messages: ChatMessage[];
      templateArgs?: ChatTemplateArgs;
      /** Messages before this index are context only (a conversational prompt); absent = 0, every assistant turn trains. */
      trainFrom?: number;
    };

/**
 * Validates one parsed line; throws InputError naming the file, line and field. A conversation's
 * template arguments are the run's (`runArgs`) plus the line's own `chat_template_kwargs`.
 */
export function parseSftRecord(rec: JsonlRecord<Record<string, unknown>>, file: string, runArgs: ChatTemplateArgs = {}): SftRecord {
  const v = rec.value;
  const at = (field: string) => ({ file, line: rec.line, field });
  const hasChat = 'messages' in v;
  const hasPc = 'prompt' in v || 'completion' in v;
  if (hasChat && hasPc) throw new InputError({ file, line: rec.line }, 'has both "messages" and "prompt"/"completion"; use one format per line');
  if (!hasChat && !hasPc) throw new InputError({ file, line: rec.line }, 'expected {"prompt", "completion"} or {"messages": [...]}');
  if (!hasChat && (Array.isArray(v.prompt) || Array.isArray(v.completion))) return conversationalPair(v, rec.line, file, runArgs);
  if (!hasChat) {
    if (typeof v.prompt !== 'string') throw new InputError(at('prompt'), v.prompt === undefined ? 'missing' : 'must be a string');
    if (typeof v.completion !== 'string') throw new InputError(at('completion'), v.completion === undefined ? 'missing' : 'must be a string');
    if (v.completion === '') throw new InputError(at('completion'), 'is empty (nothing to learn from)');
    if (v.chat_template_kwargs !== undefined) throw new InputError(at('chat_template_kwargs'), 'applies to {"messages"} lines: a prompt/completion line is used as it is, no chat template rendered');
    return { kind: 'completion', line: rec.line, prompt: v.prompt, completion: v.completion };
  }
  const messages = parseChatMessages(v.messages, at('messages')) as ChatMessage[];
  if (!messages.some((m) => m.role === 'assistant')) throw new InputError(at('messages'), 'has no assistant message (nothing to learn from)');
  return { kind: 'chat', line: rec.line, messages, templateArgs: rowChatTemplateArgs(v, { file, line: rec.line }, runArgs) };
}

/**
 * TRL's conversational prompt-completion line: {"prompt": [messages], "completion": [assistant
 * messages]}, rendered with the chat template like {"messages"} with the loss on the completion's
 * turns alone.
 */
function conversationalPair(v: Record<string, unknown>, line: number, file: string, runArgs: ChatTemplateArgs): SftRecord {
  const at = (field: string) => ({ file, line, field });
  for (const field of ['prompt', 'completion'] as const) {
    if (!Array.isArray(v[field])) throw new InputError(at(field), v[field] === undefined ? 'missing' : 'must be a list of messages like the other field (a conversational prompt/completion pair)');
  }
  const prompt = parseChatMessages(v.prompt, at('prompt')) as ChatMessage[];
  // The completion is what the model writes: assistant turns only.
  const completion = parseChatMessages(v.completion, at('completion'), ['assistant']) as ChatMessage[];
  if (completion.every((m) => m.content === '')) throw new InputError(at('completion'), 'has only empty messages (nothing to learn from)');
  return { kind: 'chat', line, messages: [...prompt, ...completion], templateArgs: rowChatTemplateArgs(v, { file, line }, runArgs), trainFrom: prompt.length };
}

/**
 * Reads and validates a whole SFT data file. Template arguments for the whole run (`runArgs`,
 * already checked) need a conversation to apply to: a file of prompt/completion lines is refused.
 */
export function readSftFile(file: string, runArgs: ChatTemplateArgs = {}): SftRecord[] {
  const records = readJsonl(file).map((r) => parseSftRecord(r, file, runArgs));
  if (records.length === 0) throw new InputError({ file }, 'no examples (the file is empty)');
  if (Object.keys(runArgs).length > 0 && !records.some((r) => r.kind === 'chat')) {
    throw new InputError({ file }, 'chat template arguments (chat_template_kwargs / --chat-template-arg) are given, but no line is a conversation ({"messages"}, or prompt/completion lists of messages): text prompt/completion lines are used as they are, no chat template rendered');
  }
  return records;
}
