// Tokenizes validated SFT records into (ids, loss mask) examples. Prompt/completion: the prompt
// (with the tokenizer's own special tokens) has mask 0, the completion plus EOS (unless it ends
// with it already) has mask 1. Chat:
// the conversation is rendered with the tokenizer's chat template turn by turn, and only the
// text each assistant turn adds (its content and end-of-turn markers) has mask 1; a template that
// rewrites earlier turns gives one example per assistant turn instead (chatExamples).
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
  /** Conversations whose template rewrites earlier turns, trained one example per assistant turn. */
  turnByTurn: number;
  /** Assistant turns with no `<think>` block although the generation prompt opens one (trained as written). */
  unopenedThink: number;
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
  const ids = tok.encode(completion, { addSpecialTokens: false });
  // A completion that already ends with the EOS token (data written with it, e.g. "…<|im_end|>")
  // gets no second one, as TRL adds EOS only when the completion does not end with it.
  const ended = ids.length > 0 && ids[ids.length - 1] === tok.eosId;
  const eos = tok.eosId !== null && !ended ? Int32Array.of(tok.eosId) : new Int32Array(0);
  return concat([
    { ids: tok.encode(prompt), counts: false },
    { ids, counts: true },
    { ids: eos, counts: true },
  ]);
}

type Segment = { text: string; counts: boolean };

/**
 * Splits a rendered conversation into text segments, marking the ones assistant turns add, or null
 * when the template does not render incrementally (the conversation up to turn i, with the
 * generation prompt, is not a prefix of the conversation including turn i).
 */
function incrementalSegments(tok: Tokenizer, messages: readonly ChatMessage[], templateArgs: ChatTemplateArgs, trainFrom: number): Segment[] | null {
  const segments: Segment[] = [];
  let done = '';
  const take = (full: string, counts: boolean): boolean => {
    if (!full.startsWith(done)) return false;
    if (full.length > done.length) segments.push({ text: full.slice(done.length), counts });
    done = full;
    return true;
  };
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].role !== 'assistant') continue;
    if (!take(tok.applyChatTemplate(messages.slice(0, i), { addGenerationPrompt: true, templateArgs }), false)) return null;
    if (!take(tok.applyChatTemplate(messages.slice(0, i + 1), { addGenerationPrompt: false, templateArgs }), i >= trainFrom)) return null;
  }
  return take(tok.applyChatTemplate(messages, { addGenerationPrompt: false, templateArgs }), false) ? segments : null;
}

/** Stands in for an assistant turn's content to find the text the template closes the turn with. */
const TURN_MARK = 'AHA-TURN-CONTENT-7f3e91';

/**
 * One example per assistant turn, each in exactly the context the model sees when it writes that
 * turn: the conversation before it rendered with the generation prompt (earlier turns as the
 * template shows history), then the turn's content and the template's end-of-turn text. For
 * templates that rewrite earlier turns when a later one is added: R1-Distill drops the reasoning
 * of every assistant turn it renders as history and opens `<think>\n` in the generation prompt
 * (a content that starts `<think>` is then not opened twice); Mistral moves the system message to
 * the last user turn.
 */
function turnByTurnSegments(tok: Tokenizer, messages: readonly ChatMessage[], where: { file: string; line: number }, templateArgs: ChatTemplateArgs, trainFrom: number): { examples: Segment[][]; unopenedThink: number } {
  const examples: Segment[][] = [];
  let unopenedThink = 0;
  messages.forEach((m, i) => {
    if (m.role !== 'assistant' || i < trainFrom) return;
    const prompt = tok.applyChatTemplate(messages.slice(0, i), { addGenerationPrompt: true, templateArgs });
    const marked = tok.applyChatTemplate([...messages.slice(0, i), { role: 'assistant', content: TURN_MARK }], { addGenerationPrompt: false, templateArgs });
    const at = marked.lastIndexOf(TURN_MARK);
    // A conversational prompt/completion line names its completion's turns as the line does.
    const field = trainFrom > 0 ? `completion[${i - trainFrom}]` : `messages[${i}]`;
    if (at < 0) throw new InputError({ ...where, field }, "the chat template does not render an assistant turn's content, so there is nothing to train on");
    let content = m.content;
    if (/<think>\s*$/.test(prompt)) {
      if (/^\s*<think>/.test(content)) content = content.replace(/^\s*<think>\s*/, '');
      else unopenedThink++;
    }
    examples.push([{ text: prompt, counts: false }, { text: content + marked.slice(at + TURN_MARK.length), counts: true }]);
  });
  return { examples, unopenedThink };
}

/**
 * A conversation as training examples of text segments (assistant turns before `trainFrom` are
 * context only). A template that renders incrementally gives one example with every trained
 * assistant turn counted; one that rewrites earlier turns gives one
 * example per assistant turn (turnByTurnSegments). Either way each turn is trained on the context
 * the template gives it at generation time.
 */
export function chatExamples(tok: Tokenizer, messages: readonly ChatMessage[], where: { file: string; line: number }, templateArgs: ChatTemplateArgs = {}, trainFrom = 0): { examples: Segment[][]; turnByTurn: boolean; unopenedThink: number } {
  const whole = incrementalSegments(tok, messages, templateArgs, trainFrom);
  if (whole !== null) return { examples: [whole], turnByTurn: false, unopenedThink: 0 };
  return { ...turnByTurnSegments(tok, messages, where, templateArgs, trainFrom), turnByTurn: true };
}

/**
 * Tokenizes every record; examples longer than maxTokens are cut, those left with no counted token
 * dropped. `groups[i]` is the index of the record example i came from.
 */
export function encodeSftRecords(tok: Tokenizer, records: readonly SftRecord[], file: string, maxTokens: number): { examples: TokenExample[]; groups: number[]; stats: EncodeStats } {
  const firstChat = records.find((r) => r.kind === 'chat');
  if (firstChat && tok.chatTemplate === null) {
    throw new InputError({ file, line: firstChat.line, field: firstChat.trainFrom === undefined ? 'messages' : 'prompt' }, "the model's tokenizer has no chat template; use {\"prompt\", \"completion\"} lines of text");
  }
  const stats: EncodeStats = { examples: 0, truncated: 0, dropped: 0, turnByTurn: 0, unopenedThink: 0 };
  const examples: TokenExample[] = [];
  // The record each example came from: a conversation trained turn by turn gives several.
  const groups: number[] = [];
  const encodeSegments = (parts: readonly Segment[]) => concat(parts.map((p) => ({ ids: tok.encode(p.text, { addSpecialTokens: false }), counts: p.counts })));
  for (const [index, r] of records.entries()) {
    let encoded: TokenExample[];
    if (r.kind === 'completion') encoded = [encodeCompletion(tok, r.prompt, r.completion)];
    else {
      const chat = chatExamples(tok, r.messages, { file, line: r.line }, r.templateArgs, r.trainFrom);
      if (chat.turnByTurn) stats.turnByTurn++;
      stats.unopenedThink += chat.unopenedThink;
      encoded = chat.examples.map(encodeSegments);
    }
    for (let ex of encoded) {
      if (ex.ids.length > maxTokens) {
        ex = { ids: ex.ids.slice(0, maxTokens), mask: ex.mask.slice(0, maxTokens) };
        stats.truncated++;
      }
      if (!ex.mask.subarray(1).some((m) => m === 1)) {
        stats.dropped++;
        continue;
      }
      examples.push(ex);
      groups.push(index);
    }
  }
  stats.examples = examples.length;
  return { examples, groups, stats };
}
