// A tiny deterministic stand-in for the transformer, for testing sampling and IO logic alone:
// the logits at each position are a fixed function of the whole prefix (a rolling hash), so a
// wrong cache position, a lost token or a mixed-up row changes them. Parameters are plain
// {shape, data} arrays under Hugging Face names.
import type { Tensor } from '../../src/core/index.js';
import type { CausalLM, KVCache } from '../../src/model/causal-lm.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';

export function fakeConfig(vocab: number, over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'llama',
    vocab_size: vocab,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 512,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    eos_token_id: 2,
    bos_token_id: 1,
    ...over,
  };
}

function step(h: number, token: number): number {
  return (h * 131 + token + 7) % 1000003;
}

function fillLogits(h: number, out: Float32Array, off: number, vocab: number, sharp: number): void {
  for (let v = 0; v < vocab; v++) out[off + v] = sharp * Math.sin(h * 0.0137 + v * 1.71 + (h % 7) * v);
}

class FakeCache implements KVCache {
  readonly hashes: number[];
  readonly lengths: number[];
  constructor(
    readonly batch: number,
    readonly maxLen: number,
  ) {
    this.hashes = new Array(batch).fill(0);
    this.lengths = new Array(batch).fill(0);
  }
  length(row: number): number {
    return this.lengths[row];
  }
  reset(row: number): void {
    this.hashes[row] = 0;
    this.lengths[row] = 0;
  }
}

export class FakeLM implements CausalLM {
  readonly config: ModelConfig;
  private readonly params = new Map<string, Tensor>();
  /** Number of decode calls and rows decoded, to check batching. */
  decodeCalls = 0;

  constructor(
    vocab: number,
    private readonly sharp = 3,
    over: Partial<ModelConfig> = {},
  ) {
    this.config = fakeConfig(vocab, over);
    const mk = (shape: number[], seed: number) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 1000 + i * 0.77) * 0.1;
      return { shape, data } as unknown as Tensor;
    };
    const h = this.config.hidden_size;
    this.params.set('model.embed_tokens.weight', mk([vocab, h], 1));
    this.params.set('model.layers.0.self_attn.q_proj.weight', mk([h, h], 2));
    this.params.set('model.norm.weight', mk([h], 3));
    if (!this.config.tie_word_embeddings) this.params.set('lm_head.weight', mk([vocab, h], 4));
  }

  parameters(): Map<string, Tensor> {
    return this.params;
  }

  forward(ids: Int32Array, batch: number, seqLen: number): Tensor {
    const V = this.config.vocab_size;
    const data = new Float32Array(batch * seqLen * V);
    for (let b = 0; b < batch; b++) {
      let h = 0;
      for (let t = 0; t < seqLen; t++) {
        h = step(h, ids[b * seqLen + t]);
        fillLogits(h, data, (b * seqLen + t) * V, V, this.sharp);
      }
    }
    return { shape: [batch, seqLen, V], data } as unknown as Tensor;
  }

  createCache(batch: number, maxLen: number): KVCache {
    return new FakeCache(batch, maxLen);
  }

  prefill(cache: KVCache, row: number, ids: Int32Array): Float32Array {
    const c = cache as FakeCache;
    if (c.lengths[row] + ids.length > c.maxLen) throw new Error('fake cache overflow');
    for (const id of ids) c.hashes[row] = step(c.hashes[row], id);
    c.lengths[row] += ids.length;
    const out = new Float32Array(this.config.vocab_size);
    fillLogits(c.hashes[row], out, 0, this.config.vocab_size, this.sharp);
    return out;
  }

  decode(cache: KVCache, ids: Int32Array, active?: Uint8Array): Float32Array {
    const c = cache as FakeCache;
    const V = this.config.vocab_size;
    this.decodeCalls += 1;
    const out = new Float32Array(c.batch * V).fill(NaN);
    for (let r = 0; r < c.batch; r++) {
      if (active && !active[r]) continue;
      if (c.lengths[r] + 1 > c.maxLen) throw new Error('fake cache overflow');
      c.hashes[r] = step(c.hashes[r], ids[r]);
      c.lengths[r] += 1;
      fillLogits(c.hashes[r], out, r * V, V, this.sharp);
    }
    return out;
  }
}
