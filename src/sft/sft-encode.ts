// Tokenizes validated SFT records into (ids, loss mask) examples. Prompt/completion: the prompt
// (with the tokenizer's own special tokens) has mask 0, the completion plus EOS has mask 1. Chat:
// the conversation is rendered with the tokenizer's chat template turn by turn, and only the
// text each assistant turn adds (its content and end-of-turn markers) has mask 1.
import { InputError } from '../util/errors.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { ChatTemplateArgs } from '../model/chat-template.js';
import type { TokenExample } from './examples.js';
import type { ChatMessage, SftRecord } from './sft-data.js';

export interface EncodeStats {
  examples: number;
  /** Examples cut at the context length (their tail is not trained on). */
  truncated: number;
  /** Examples dropped because no counted token fits in the context. */
  dropped: number;
}

function concat(parts: { ids: Int32Array; counts: boolean }[]): TokenExample {
  const n = parts.reduce((s, p) => s + p.ids.length, 0);
  const ids = new Int32Array(n);
  const mask = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    ids.set(p.ids, at);
    if (p.counts) mask.fill(1, at, at + p.ids.length);
    at += p.ids.length;
  }
  return { ids, mask };
}

function encodeCompletion(tok: Tokenizer, prompt: string, completion: string): TokenExample {
  const eos = tok.eosId !== null ? Int32Array.of(tok.eosId) : new Int32Array(0);
  return concat([
    { ids: tok.encode(prompt), counts: false },
    { ids: tok.encode(completion, { addSpecialTokens: false }), counts: true },
    { ids: eos, counts: true },
  ]);
}

/**
 * Splits a rendered conversation into text segments, marking the ones assistant turns add. The
 * template must render incrementally: the conversation up to turn i (with the generation prompt)
 * is a prefix of the conversation including turn i.
 */
export function chatSegments(tok: Tokenizer, messages: readonly ChatMessage[], where: { file: string; line: number }, templateArgs: ChatTemplateArgs = {}): { text: string; counts: boolean }[] {
  const segments: { text: string; counts: boolean }[] = [];
  let done = '';
  const take = (full: string, counts: boolean) => {
    if (!full.startsWith(done)) {
      throw new InputError(
        { ...where, field: 'messages' },
        'the chat template does not render this conversation incrementally (an earlier turn changes when a later one is added), so assistant turns cannot be masked; use {"prompt", "completion"} lines instead',
      );
    }
    if (full.length > done.length) segments.push({ text: full.slice(done.length), counts });
    done = full;
  };
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    take(tok.applyChatTemplate(messages.slice(0, i), { addGenerationPrompt: true, templateArgs }), false);
    take(tok.applyChatTemplate(messages.slice(0, i + 1), { addGenerationPrompt: false, templateArgs }), true);
  });
  take(tok.applyChatTemplate(messages, { addGenerationPrompt: false, templateArgs }), false);
  return segments;
}

/** Tokenizes every record; examples longer than maxTokens are cut, those left with no counted token dropped. */
export function encodeSftRecords(tok: Tokenizer, records: readonly SftRecord[], file: string, maxTokens: number): { examples: TokenExample[]; stats: EncodeStats } {
  const firstChat = records.find((r) => r.kind === 'chat');
  if (firstChat && tok.chatTemplate === null) {
    throw new InputError({ file, line: firstChat.line, field: 'messages' }, "the model's tokenizer has no chat template; use {\"prompt\", \"completion\"} lines");
  }
  const stats: EncodeStats = { examples: 0, truncated: 0, dropped: 0 };
  const examples: TokenExample[] = [];
  for (const r of records) {
    let ex =
      r.kind === 'completion'
        ? encodeCompletion(tok, r.prompt, r.completion)
        : concat(chatSegments(tok, r.messages, { file, line: r.line }, r.templateArgs).map((s) => ({ ids: tok.encode(s.text, { addSpecialTokens: false }), counts: s.counts })));
    if (ex.ids.length > maxTokens) {
      ex = { ids: ex.ids.slice(0, maxTokens), mask: ex.mask.slice(0, maxTokens) };
      stats.truncated++;
    }
    if (!ex.mask.subarray(1).some((m) => m === 1)) {
      stats.dropped++;
      continue;
    }
    examples.push(ex);
  }
  stats.examples = examples.length;
  return { examples, stats };
}
