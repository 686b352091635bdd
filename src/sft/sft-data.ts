// SFT data files: JSON Lines where each line is either {"prompt", "completion"} or
// {"messages": [{"role", "content"}, …]} (chat; loss on assistant turns only). The whole file is
// validated before any training, and the first bad line is reported as file:line with the field.
import { InputError } from '../util/errors.js';
import { readJsonl, type JsonlRecord } from '../util/jsonl.js';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export type SftRecord =
  | { kind: 'completion'; line: number; prompt: string; completion: string }
  | { kind: 'chat'; line: number; messages: ChatMessage[] };

const ROLES: readonly string[] = ['system', 'user', 'assistant'];

/** Validates one parsed line; throws InputError naming the file, line and field. */
export function parseSftRecord(rec: JsonlRecord<Record<string, unknown>>, file: string): SftRecord {
  const v = rec.value;
  const at = (field: string) => ({ file, line: rec.line, field });
  const hasChat = 'messages' in v;
  const hasPc = 'prompt' in v || 'completion' in v;
  if (hasChat && hasPc) throw new InputError({ file, line: rec.line }, 'has both "messages" and "prompt"/"completion"; use one format per line');
  if (!hasChat && !hasPc) throw new InputError({ file, line: rec.line }, 'expected {"prompt", "completion"} or {"messages": [...]}');
  if (!hasChat) {
    if (typeof v.prompt !== 'string') throw new InputError(at('prompt'), v.prompt === undefined ? 'missing' : 'must be a string');
    if (typeof v.completion !== 'string') throw new InputError(at('completion'), v.completion === undefined ? 'missing' : 'must be a string');
    if (v.completion === '') throw new InputError(at('completion'), 'is empty (nothing to learn from)');
    return { kind: 'completion', line: rec.line, prompt: v.prompt, completion: v.completion };
  }
  if (!Array.isArray(v.messages)) throw new InputError(at('messages'), 'must be an array of {"role", "content"}');
  if (v.messages.length === 0) throw new InputError(at('messages'), 'is empty');
  const messages: ChatMessage[] = v.messages.map((m: unknown, i: number) => {
    const f = `messages[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new InputError(at(f), 'must be an object {"role", "content"}');
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw new InputError(at(`${f}.role`), `must be one of ${ROLES.join(', ')} (got ${JSON.stringify(role)})`);
    }
    if (typeof content !== 'string') throw new InputError(at(`${f}.content`), content === undefined ? 'missing' : 'must be a string');
    return { role: role as ChatRole, content };
  });
  if (!messages.some((m) => m.role === 'assistant')) throw new InputError(at('messages'), 'has no assistant message (nothing to learn from)');
  return { kind: 'chat', line: rec.line, messages };
}

/** Reads and validates a whole SFT data file. */
export function readSftFile(file: string): SftRecord[] {
  const records = readJsonl(file).map((r) => parseSftRecord(r, file));
  if (records.length === 0) throw new InputError({ file }, 'no examples (the file is empty)');
  return records;
}
