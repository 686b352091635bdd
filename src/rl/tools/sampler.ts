// Multi-turn sampling with tools, on one KV cache. Rows decode together as in model/sampling.ts;
// when a row's model-written text closes a tool call (`</search>`), the row leaves the decode
// batch and its call runs asynchronously (timeout, cap on calls) while the other rows go on. The
// result comes back wrapped in the tool's tag, tokenized on its own (the model's tokens stay as
// sampled, so the mask is exact); its tokens are appended to the row's cache by a
// prefill of that row only (the prefix is never encoded again) and sampling continues. Tool tokens
// count against maxNewTokens (a result that does not fit is cut and the row ends as truncated),
// carry log-prob 0 and mask 0 in `modelMask`: they are context, never part of the loss.
// Each prompt draws from its own random stream forked in prompt order, as model/sampling.ts does,
// so a completion depends neither on the batch nor on when other rows' tools answer.
import { Rng } from '../../util/rng.js';
import type { CausalLM } from '../../model/causal-lm.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import { drawTokens, type Draw, type SamplingParams } from '../../model/logits.js';
import { checkPrompts, forkStreams, prefillSlots, type FinishReason } from '../../model/sampling.js';
import { toolResultText } from '../../tasks/tool-text.js';
import { findCall } from '../../tools/calls.js';
import { refuseCall, runTool, type Tool, type ToolOutcome } from '../../tools/tool.js';
import { segmentsText, type CompletionSegment } from '../../tools/segments.js';

export interface ToolSampleOptions {
  /** Completion budget: model-written plus tool tokens. */
  maxNewTokens: number;
  sampling: SamplingParams;
  eosIds: readonly number[];
  tokenizer: Tokenizer;
  rng: Rng;
  tools: readonly Tool[];
  /** Calls per completion; a call past the cap gets an error result (and counts as invalid). */
  maxToolCalls: number;
  /** Wall-clock limit of one call, in ms. */
  toolTimeoutMs: number;
  /** Cache slots decoded together (default: all prompts, at most 64). */
  batchSize?: number;
}

export interface ToolSample {
  /** Every completion token: model-written and tool-written, in order (EOS included when it ended with one). */
  tokens: Int32Array;
  text: string;
  /** log p of each token under the raw model; 0 for tool tokens. */
  logprobs: Float32Array;
  /** 1 for a model-written token, 0 for a tool token. */
  modelMask: Uint8Array;
  segments: CompletionSegment[];
  finishReason: FinishReason;
}

interface Row {
  prompt: number;
  tokens: number[];
  logprobs: number[];
  mask: number[];
  segments: CompletionSegment[];
  /** Index in `tokens` where the current model segment starts. */
  segStart: number;
  calls: number;
  seen?: Set<number>;
}

/** Samples one completion per prompt, calling tools when the model asks. */
export async function sampleWithTools(model: CausalLM, prompts: readonly Int32Array[], o: ToolSampleOptions): Promise<ToolSample[]> {
  const n = prompts.length;
  if (n === 0) return [];
  checkPrompts(model, prompts, o.maxNewTokens);
  const vocab = model.config.vocab_size;
  const eos = new Set(o.eosIds);
  const tok = o.tokenizer;
  const penalised = o.sampling.repetitionPenalty !== 1;
  const window = Math.max(...o.tools.map((t) => t.name.length)) + 3 + 8;
  const rngs = forkStreams(o.rng, n);
  const slots = Math.max(1, Math.min(n, o.batchSize ?? 64));
  const cache = model.createCache(slots, prompts.reduce((m, p) => Math.max(m, p.length), 0) + o.maxNewTokens);
  const results: ToolSample[] = new Array(n);
  const rows: (Row | null)[] = new Array(slots).fill(null);
  const nextIds = new Int32Array(slots);
  const active = new Uint8Array(slots);
  const free: number[] = Array.from({ length: slots }, (_, s) => s);
  /** Rows whose tool answered: the ids to prefill (the closing token, then the result). */
  const ready: { slot: number; ids: Int32Array }[] = [];
  let pending = 0;
  let finished = 0;
  let inflight = 0;
  let wake: (() => void) | null = null;
  /** An error raised while appending a result (it must end the call, not hang it). */
  let failure: unknown = null;

  const segmentText = (row: Row): string => tok.decode(row.tokens.slice(row.segStart));
  const finish = (slot: number, reason: FinishReason): void => {
    const row = rows[slot]!;
    const segments = [...row.segments];
    if (row.tokens.length > row.segStart) segments.push({ kind: 'model', text: segmentText(row), tokens: row.tokens.length - row.segStart });
    results[row.prompt] = {
      tokens: Int32Array.from(row.tokens), text: segmentsText(segments), logprobs: Float32Array.from(row.logprobs),
      modelMask: Uint8Array.from(row.mask), segments, finishReason: reason,
    };
    rows[slot] = null;
    active[slot] = 0;
    free.push(slot);
    finished++;
  };

  // Appends a tool's result to the row (cut to the budget) and queues its prefill.
  const resume = (slot: number, tool: Tool, outcome: ToolOutcome): void => {
    const row = rows[slot]!;
    const budget = o.maxNewTokens - row.tokens.length;
    let ids = tok.encode(toolResultText(tool.resultTag, outcome.result), { addSpecialTokens: false });
    if (ids.length > budget) ids = ids.subarray(0, budget);
    const last = row.tokens[row.tokens.length - 1];
    for (const id of ids) {
      row.tokens.push(id);
      row.logprobs.push(0);
      row.mask.push(0);
      row.seen?.add(id);
    }
    // Special tokens kept: a result holding the text of one (`<|im_end|>` in a passage) was
    // encoded as that token, and the segment shows what the model was given to read.
    row.segments.push({ kind: 'tool', tool: tool.name, text: tok.decode(ids, { skipSpecialTokens: false }), tokens: ids.length, invalid: outcome.invalid });
    row.segStart = row.tokens.length;
    if (row.tokens.length >= o.maxNewTokens) finish(slot, 'length');
    else ready.push({ slot, ids: Int32Array.from([last, ...ids]) });
  };

  // Records a drawn token; ends the row, sends it to a tool, or keeps it decoding.
  const take = (slot: number, { token, logprob }: Draw): void => {
    const row = rows[slot]!;
    row.tokens.push(token);
    row.logprobs.push(logprob);
    row.mask.push(1);
    row.seen?.add(token);
    if (eos.has(token)) return finish(slot, 'eos');
    if (row.tokens.length >= o.maxNewTokens) return finish(slot, 'length');
    if (o.tools.length > 0 && tok.decode(row.tokens.slice(Math.max(row.segStart, row.tokens.length - window))).includes('</')) {
      const text = segmentText(row);
      const found = findCall(text, o.tools);
      if (found) {
        row.segments.push({ kind: 'model', text, tokens: row.tokens.length - row.segStart });
        row.segStart = row.tokens.length;
        active[slot] = 0;
        const refused = refuseCall(found.tool.name, found.input, row.calls, o.maxToolCalls);
        row.calls++;
        inflight++;
        void (refused ? Promise.resolve(refused) : runTool(found.tool, found.input!, o.toolTimeoutMs)).then((outcome) => {
          inflight--;
          try {
            resume(slot, found.tool, outcome);
          } catch (err) {
            failure ??= err;
          }
          wake?.();
        });
        return;
      }
    }
    nextIds[slot] = token;
    active[slot] = 1;
  };

  // One prefill for rows coming back from a tool and new prompts in free slots, then their draws.
  const prefillAndDraw = (): void => {
    const work = ready.splice(0);
    while (free.length > 0 && pending < n) {
      const slot = free.shift()!;
      const p = pending++;
      cache.reset(slot);
      rows[slot] = { prompt: p, tokens: [], logprobs: [], mask: [], segments: [], segStart: 0, calls: 0, seen: penalised ? new Set(prompts[p]) : undefined };
      work.push({ slot, ids: prompts[p] });
    }
    if (work.length === 0) return;
    const slotsNow = work.map((w) => w.slot);
    const ids = work.map((w) => w.ids);
    const logits = prefillSlots(model, cache, slotsNow, ids);
    const draws = drawTokens(logits, slotsNow.map((_, j) => j * vocab), vocab, o.sampling, slotsNow.map((s) => rngs[rows[s]!.prompt]), slotsNow.map((s) => ({ seen: rows[s]!.seen })));
    slotsNow.forEach((s, j) => take(s, draws[j]));
  };

  while (finished < n) {
    if (failure !== null) throw failure;
    if (ready.length > 0 || (free.length > 0 && pending < n)) prefillAndDraw();
    const live: number[] = [];
    for (let s = 0; s < slots; s++) if (active[s]) live.push(s);
    if (live.length === 0) {
      // Every row in the cache waits for a tool: sleep until one answers.
      if (ready.length === 0 && inflight > 0) await new Promise<void>((r) => (wake = r));
      wake = null;
      continue;
    }
    const logits = model.decode(cache, nextIds, active);
    const draws = drawTokens(logits, live.map((s) => s * vocab), vocab, o.sampling, live.map((s) => rngs[rows[s]!.prompt]), live.map((s) => ({ seen: rows[s]!.seen })));
    live.forEach((s, j) => take(s, draws[j]));
    // Let finished tool calls land between decode steps.
    if (inflight > 0) await new Promise<void>((r) => setImmediate(r));
  }
  return results;
}
