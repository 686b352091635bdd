// A stand-in model for multi-turn sampling tests: each row's cache holds the row's whole token
// history, and the logits all but force the next character of a script (the completion a prompt
// should produce, tool results included). A cache that lost a token, re-read a prefix or mixed up
// rows breaks the script at once. Every prefill is logged, to check what was (not) re-encoded.
import type { Tensor } from '../../../src/core/index.js';
import type { CausalLM, KVCache } from '../../../src/model/causal-lm.js';
import type { Tokenizer } from '../../../src/model/tokenizer.js';
import { fakeConfig } from '../../model/fake-lm.js';
import type { ModelConfig } from '../../../src/model/transformer-config.js';

class HistoryCache implements KVCache {
  readonly rows: number[][];
  constructor(readonly batch: number, readonly maxLen: number) {
    this.rows = Array.from({ length: batch }, () => []);
  }
  length(row: number): number {
    return this.rows[row].length;
  }
  reset(row: number): void {
    this.rows[row] = [];
  }
}

export class ScriptedLM implements CausalLM {
  readonly config: ModelConfig;
  /** Every prefill: the slot and the number of tokens appended. */
  readonly prefills: { row: number; tokens: number }[] = [];
  decodeCalls = 0;

  /** `scripts` maps a prompt's text to the completion text the model writes (tool results included). */
  constructor(private readonly tok: Tokenizer, private readonly scripts: Record<string, string>) {
    this.config = fakeConfig(tok.vocabSize);
  }

  parameters(): Map<string, Tensor> {
    return new Map();
  }

  forward(): Tensor {
    throw new Error('ScriptedLM samples only');
  }

  createCache(batch: number, maxLen: number): KVCache {
    return new HistoryCache(batch, maxLen);
  }

  private logits(history: readonly number[]): Float32Array {
    const V = this.config.vocab_size;
    const out = new Float32Array(V);
    const text = this.tok.decode(history);
    const prompt = Object.keys(this.scripts).find((p) => text.startsWith(p));
    if (prompt === undefined) throw new Error(`no script for ${JSON.stringify(text)}`);
    const script = this.scripts[prompt];
    const done = text.slice(prompt.length);
    if (!script.startsWith(done)) throw new Error(`off script: ${JSON.stringify(done)} is not a start of ${JSON.stringify(script)}`);
    const next = done.length < script.length ? this.tok.encode(script.slice(done.length), { addSpecialTokens: false })[0] : this.tok.eosId!;
    out[next] = 30;
    return out;
  }

  prefill(cache: KVCache, row: number, ids: Int32Array): Float32Array {
    const c = cache as HistoryCache;
    this.prefills.push({ row, tokens: ids.length });
    c.rows[row].push(...ids);
    if (c.rows[row].length > c.maxLen) throw new Error('cache overflow');
    return this.logits(c.rows[row]);
  }

  decode(cache: KVCache, ids: Int32Array, active?: Uint8Array): Float32Array {
    const c = cache as HistoryCache;
    const V = this.config.vocab_size;
    this.decodeCalls++;
    const out = new Float32Array(c.batch * V).fill(NaN);
    for (let r = 0; r < c.batch; r++) {
      if (active && !active[r]) continue;
      c.rows[r].push(ids[r]);
      if (c.rows[r].length > c.maxLen) throw new Error('cache overflow');
      out.set(this.logits(c.rows[r]), r * V);
    }
    return out;
  }
}
