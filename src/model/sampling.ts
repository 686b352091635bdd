// Batched generation with a KV cache. Prompts flow through a fixed number of cache slots
// (continuous batching: a finished row's slot is reset and refilled with the next prompt), each
// step decodes one token for every active slot at once. Every prompt draws from its own random
// stream (forked from the seed in prompt order, or seeded by the caller per prompt), so a
// prompt's completion does not depend on the batch size or on which slot it ran in.
// Log-probabilities are those of the raw model (softmax at temperature 1, before the repetition
// penalty, top-k, top-p and min-p):
// the log π(token) that GRPO's ratios and KL need, and what scoreCompletions returns for the
// same tokens.
import { AhaError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { progress as makeProgress, type Progress } from '../util/progress.js';
import type { CausalLM, KVCache } from './causal-lm.js';
import type { Tokenizer } from './tokenizer.js';
import { drawTokens, type Draw, type SamplingParams } from './logits.js';

export type FinishReason = 'eos' | 'stop' | 'length';

export interface SampleOptions {
  maxNewTokens: number;
  /** Default 1. 0 is greedy decoding. */
  temperature?: number;
  /** Default 1 (off). */
  topP?: number;
  /** Default 0 (off). */
  topK?: number;
  /** Default 0 (off): drop tokens less likely than minP times the most likely one. */
  minP?: number;
  /** Default 1 (off): CTRL's penalty on tokens already in the row (prompt and completion). */
  repetitionPenalty?: number;
  /** Tokens that end a completion (kept as its last token). */
  eosIds?: readonly number[];
  /**
   * Strings that end a completion, checked on the decoded text (needs `tokenizer`). The tokens
   * keep the one that completed the stop string; the text is cut before it.
   */
  stop?: readonly string[];
  /** Decodes `text` (and checks stop strings); without it `text` is "". */
  tokenizer?: Tokenizer;
  /** Seed of the random streams (default 0). Ignored when `rng` is given. */
  seed?: number;
  /** Draw the per-prompt streams from this generator instead (it advances one draw per prompt). */
  rng?: Rng;
  /** One seed per prompt for its own stream (overrides `seed` and `rng`): a prompt's completion then depends on nothing else in the call. */
  seeds?: readonly number[];
  /** Cache slots decoded together (default: all prompts, at most 64). */
  batchSize?: number;
  /** Show a progress bar with this label (default: none). */
  progress?: string | false;
}

export interface Sample {
  /** Completion token ids, including the EOS token when finishReason is "eos". */
  tokens: Int32Array;
  /** Decoded completion without special tokens, cut before a stop string. */
  text: string;
  /** log p(token) under the model's raw distribution, one per token. */
  logprobs: Float32Array;
  finishReason: FinishReason;
}

interface RowState {
  prompt: number;
  tokens: number[];
  logprobs: number[];
  /** Token ids of the prompt and completion so far, when the repetition penalty is on. */
  seen?: Set<number>;
}

/**
 * Refuses a completion budget that is not a positive integer, and a prompt that is empty, holds a
 * token id outside the vocabulary or leaves no room for the budget in the model's context.
 */
export function checkPrompts(model: CausalLM, prompts: readonly Int32Array[], maxNewTokens: number): void {
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new AhaError(`max new tokens must be a positive integer, got ${maxNewTokens}`);
  }
  const vocab = model.config.vocab_size;
  const ctx = model.config.max_position_embeddings;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new AhaError(`prompt ${i} is empty (it needs at least one token)`);
    for (const id of p) if (id < 0 || id >= vocab) throw new AhaError(`prompt ${i} holds token id ${id}, outside the vocabulary of ${vocab}`);
    if (p.length + maxNewTokens > ctx) {
      throw new AhaError(`prompt ${i} (${p.length} tokens) plus ${maxNewTokens} new tokens exceeds the model's context of ${ctx}`);
    }
  });
}

function checkOptions(model: CausalLM, prompts: readonly Int32Array[], opts: SampleOptions): SamplingParams {
  const t = opts.temperature ?? 1;
  const topP = opts.topP ?? 1;
  const topK = opts.topK ?? 0;
  const minP = opts.minP ?? 0;
  const repetitionPenalty = opts.repetitionPenalty ?? 1;
  if (!(t >= 0) || !Number.isFinite(t)) throw new AhaError(`temperature must be >= 0, got ${t}`);
  if (!(topP > 0 && topP <= 1)) throw new AhaError(`top-p must be in (0, 1], got ${topP}`);
  if (!Number.isInteger(topK) || topK < 0) throw new AhaError(`top-k must be a non-negative integer, got ${topK}`);
  if (!(minP >= 0 && minP <= 1)) throw new AhaError(`min-p must be in [0, 1], got ${minP}`);
  if (!(repetitionPenalty > 0) || !Number.isFinite(repetitionPenalty)) throw new AhaError(`repetition penalty must be > 0, got ${repetitionPenalty}`);
  if (opts.stop && opts.stop.length > 0 && !opts.tokenizer) throw new Error('sample: stop strings need a tokenizer');
  if (opts.stop?.some((s) => s === '')) throw new AhaError('stop strings must not be empty');
  if (opts.seeds && opts.seeds.length !== prompts.length) throw new Error(`sample: ${opts.seeds.length} seeds for ${prompts.length} prompts`);
  checkPrompts(model, prompts, opts.maxNewTokens);
  return { temperature: t, topP, topK, minP, repetitionPenalty };
}

/** One stream per prompt, forked from `master` in prompt order. */
export function forkStreams(master: Rng, n: number): Rng[] {
  return Array.from({ length: n }, () => master.fork());
}

/** Prefills `slots` of `cache` with `ids`, in one batched call when the model has one; [slots, vocab] logits of each last token. */
export function prefillSlots(model: CausalLM, cache: KVCache, slots: readonly number[], ids: readonly Int32Array[]): Float32Array {
  if (model.prefillRows) return model.prefillRows(cache, slots, ids);
  const vocab = model.config.vocab_size;
  const out = new Float32Array(slots.length * vocab);
  slots.forEach((slot, j) => out.set(model.prefill(cache, slot, ids[j]), j * vocab));
  return out;
}

/** Samples one completion per prompt (token ids). */
export function sample(model: CausalLM, prompts: readonly Int32Array[], opts: SampleOptions): Sample[] {
  const params = checkOptions(model, prompts, opts);
  const n = prompts.length;
  if (n === 0) return [];
  const vocab = model.config.vocab_size;
  const eos = new Set(opts.eosIds ?? []);
  const penalised = params.repetitionPenalty !== 1;
  const stops = opts.stop ?? [];
  const stopWindow = stops.length > 0 ? Math.max(...stops.map((s) => s.length)) + 8 : 0;
  const rngs = opts.seeds ? opts.seeds.map((s) => new Rng(s)) : forkStreams(opts.rng ?? new Rng(opts.seed ?? 0), n);
  const slots = Math.max(1, Math.min(n, opts.batchSize ?? 64));
  // A loop, not Math.max(...): a spread of some hundred thousand rows overflows the stack.
  const maxPrompt = prompts.reduce((m, p) => Math.max(m, p.length), 0);
  const cache = model.createCache(slots, maxPrompt + opts.maxNewTokens);
  const results: Sample[] = new Array(n);
  const rows: (RowState | null)[] = new Array(slots).fill(null);
  const nextIds = new Int32Array(slots);
  const active = new Uint8Array(slots);
  let pending = 0;
  let finished = 0;
  let generated = 0;
  const started = Date.now();
  // The bar counts token slots (prompts x max new tokens): a row that ends early fills its rest, so
  // one long completion moves the bar too.
  const bar: Progress | null = opts.progress
    ? makeProgress({ label: opts.progress, total: n * opts.maxNewTokens, fields: ['done', 'tok/s'] })
    : null;
  const tokPerS = () => generated / Math.max(1e-3, (Date.now() - started) / 1000);

  // Draws the next token of the row in each of `slotsNow` from `logits` at `offsets` (one native
  // call for all of them).
  const draw = (slotsNow: readonly number[], logits: Float32Array, offsets: readonly number[]): Draw[] =>
    drawTokens(logits, offsets, vocab, params, slotsNow.map((s) => rngs[rows[s]!.prompt]), slotsNow.map((s) => ({ seen: rows[s]!.seen })));

  // Records `token` (drawn with `logprob`) for the row in `slot`; true when the row is done.
  const take = (slot: number, { token, logprob }: Draw): boolean => {
    const row = rows[slot]!;
    row.tokens.push(token);
    row.seen?.add(token);
    row.logprobs.push(logprob);
    generated += 1;
    let reason: FinishReason | null = null;
    let stopAt = -1;
    if (eos.has(token)) reason = 'eos';
    else if (stops.length > 0) {
      const tail = opts.tokenizer!.decode(row.tokens.slice(-stopWindow));
      if (stops.some((s) => tail.includes(s))) {
        const full = opts.tokenizer!.decode(row.tokens);
        stopAt = Math.min(...stops.map((s) => full.indexOf(s)).filter((i) => i >= 0));
        if (stopAt >= 0 && Number.isFinite(stopAt)) reason = 'stop';
      }
    }
    if (reason === null && row.tokens.length >= opts.maxNewTokens) reason = 'length';
    if (reason === null) {
      nextIds[slot] = token;
      bar?.tick(1, { done: `${finished}/${n}`, 'tok/s': tokPerS() });
      return false;
    }
    const tokens = Int32Array.from(row.tokens);
    let text = opts.tokenizer ? opts.tokenizer.decode(tokens) : '';
    if (reason === 'stop') text = text.slice(0, stopAt);
    results[row.prompt] = { tokens, text, logprobs: Float32Array.from(row.logprobs), finishReason: reason };
    rows[slot] = null;
    active[slot] = 0;
    finished += 1;
    bar?.tick(1 + opts.maxNewTokens - tokens.length, { done: `${finished}/${n}`, 'tok/s': tokPerS() });
    return true;
  };

  // Fills free slots with the next prompts: reset, prefill them together, and draw each one's
  // first token; a slot whose completion ends at once takes the next prompt.
  const fill = (free: number[]): void => {
    while (free.length > 0 && pending < n) {
      const slotsNow = free.splice(0, Math.min(free.length, n - pending));
      const promptIds = slotsNow.map(() => pending++);
      slotsNow.forEach((slot, j) => {
        cache.reset(slot);
        rows[slot] = { prompt: promptIds[j], tokens: [], logprobs: [], seen: penalised ? new Set(prompts[promptIds[j]]) : undefined };
      });
      const logits = prefillSlots(model, cache, slotsNow, promptIds.map((p) => prompts[p]));
      const draws = draw(slotsNow, logits, slotsNow.map((_, j) => j * vocab));
      slotsNow.forEach((slot, j) => {
        if (take(slot, draws[j])) free.push(slot);
        else active[slot] = 1;
      });
    }
  };

  try {
    fill(Array.from({ length: slots }, (_, s) => s));
    while (finished < n) {
      const logits = model.decode(cache, nextIds, active);
      const live: number[] = [];
      for (let s = 0; s < slots; s++) if (active[s]) live.push(s);
      const draws = draw(live, logits, live.map((s) => s * vocab));
      const free: number[] = [];
      live.forEach((s, j) => {
        if (take(s, draws[j])) free.push(s);
      });
      fill(free);
    }
  } finally {
    bar?.stop();
  }
  return results;
}

/** Samples from prompt texts: encodes them with `tokenizer` (see Tokenizer.encode for specials). */
export function sampleText(
  model: CausalLM,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  opts: Omit<SampleOptions, 'tokenizer'> & { addSpecialTokens?: boolean },
): Sample[] {
  const ids = prompts.map((p) => tokenizer.encode(p, { addSpecialTokens: opts.addSpecialTokens ?? true }));
  return sample(model, ids, { ...opts, tokenizer });
}
