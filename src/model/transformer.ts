// The Llama/Qwen2/Qwen3/Mistral decoder: RMSNorm, rotary embeddings (rope_theta, rotate_half),
// grouped-query attention, SwiGLU MLP, tied or untied embeddings, and what the config asks of each
// family: q/k/v biases (Qwen2; Llama and Qwen3 with attention_bias, which adds o_proj's), MLP
// biases (Llama mlp_bias), per-head RMSNorm of queries and keys before RoPE (Qwen3). It
// implements CausalLM with Hugging Face parameter names and layouts (Linear weights [out, in]),
// so real checkpoints give the logits transformers gives. Training goes through `forward` on the
// autograd tape; sampling through a KV cache (`prefill`, `decode`) with no tape.
import {
  Bf16Matrix,
  Tensor,
  add,
  attendCache,
  attendCachePacked,
  bf16Panels,
  embedInto,
  linearBf16DotInto,
  rmsNormInto,
  ropeTable,
  swigluPackedInto,
  checkpoint,
  attention,
  attentionPacked,
  embedding,
  embeddingBf16,
  linear,
  linearBf16,
  linearBf16Into,
  linearFused,
  headNormPacked,
  noGrad,
  parameter,
  rmsNorm,
  reshape,
  rope,
  rowPositions,
  swiglu,
  swigluPacked,
  writeCache,
  linearInto,
  headNormPackedInto,
  addBiasRows,
  addInto,
  linearBf16BitsInto,
  linearBf16BitsDotInto,
  replaceRowsInPlace,
  replaceColumnsInPlace,
} from '../core/index.js';
import type { Bf16Panels, CacheAttentionShape } from '../core/index.js';
import { AhaError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { CausalLM, KVCache } from './causal-lm.js';
import type { ModelConfig } from './transformer-config.js';
import { f32ToBf16 } from './safetensors.js';

export interface TransformerOptions {
  /** Seed of the random initialisation (default 0). */
  seed?: number;
  /** Standard deviation of the normal initialisation of Linear and embedding weights (default 0.02). */
  initStd?: number;
  /** Leave weights at zero (norm weights at one), e.g. when a checkpoint is loaded next. */
  skipInit?: boolean;
  /**
   * Keep the matrices (embedding, projections, lm_head) as frozen BF16 (`frozenWeights()`), for a
   * LoRA base loaded from a BF16 file: half the memory, no gradients for them.
   */
  frozenBf16?: boolean;
}

/** A projection's weight: an f32 parameter, or a frozen BF16 matrix. */
type Weight = Tensor | Bf16Matrix;

/**
 * Something added to every projection's output (LoRA adapters): `apply` gets the module name
 * ("model.layers.0.self_attn.q_proj"), the projection's input and its output, and returns the
 * output to use. lm_head is not routed through it.
 */
export interface LinearHook {
  apply(module: string, x: Tensor, y: Tensor): Tensor;
  /**
   * The same for several projections of one input x whose outputs lie side by side in y (the
   * fused training layer's q/k/v and gate/up products), in the order and widths given. A hook
   * without it keeps the training forward on the plain layer.
   */
  applyPacked?(parts: readonly PackedPart[], x: Tensor, y: Tensor): Tensor;
  /**
   * Trained rows that replace chosen rows of the input embedding, and of lm_head when it is tied
   * to the embedding (PEFT's trainable tokens), or null (none, or switched off now). Every
   * embedding lookup and every tied lm_head product (training, prefill, decode, f32 or BF16)
   * reads them.
   */
  tokenRows?(): TokenRows | null;
  /** Trained rows that replace chosen rows of an untied lm_head, or null: every lm_head product reads them. */
  lmHeadRows?(): TokenRows | null;
}

/** Token rows that replace the embedding's rows `ids` (rows [ids.length, hidden]; base: the rows they replace). */
export interface TokenRows {
  ids: Int32Array;
  rows: Tensor;
  base: Float32Array;
}

/** One projection's block of a packed product: its module name and output width. */
export interface PackedPart {
  module: string;
  width: number;
}

interface Layer {
  inputNorm: Tensor;
  q: Weight;
  k: Weight;
  v: Weight;
  o: Weight;
  qBias: Tensor | null;
  kBias: Tensor | null;
  vBias: Tensor | null;
  oBias: Tensor | null;
  /** Qwen3: RMSNorm weights [headDim] applied to each query / key head before RoPE. */
  qNorm: Tensor | null;
  kNorm: Tensor | null;
  postNorm: Tensor;
  gate: Weight;
  up: Weight;
  down: Weight;
  gateBias: Tensor | null;
  upBias: Tensor | null;
  downBias: Tensor | null;
  /** The layer's matrices and biases in the packed layout the decode path multiplies by. */
  packed: PackedLayer;
}

/**
 * Storage shared by a layer's parameters: q_proj, k_proj and v_proj are consecutive rows of one
 * [(heads + 2 kvHeads) * headDim, hidden] matrix, gate_proj and up_proj of one
 * [2 * intermediate, hidden] matrix, the q/k/v biases of one vector and the gate/up biases of
 * another. The parameters are views into it (names, shapes, checkpoints and training are
 * unchanged), so the decode path and the fused training layer make one product for q/k/v and one
 * for gate/up with no copy to keep in step with the weights. The matrices are f32 (`qkv`,
 * `gateUp`) or, for a frozen BF16 base, BF16 bits (`qkvBits`, `gateUpBits`); the other pair is null.
 */
interface PackedLayer {
  qkv: Float32Array | null;
  qkvBits: Uint16Array | null;
  qkvBias: Float32Array | null;
  gateUp: Float32Array | null;
  gateUpBits: Uint16Array | null;
  gateUpBias: Float32Array | null;
}

/** Sizes derived from (and checked against) the config. */
interface Dims {
  vocab: number;
  hidden: number;
  inter: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Biases on q/k/v, on o_proj, on the MLP's three projections. */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  qkNorm: boolean;
  /** Mistral's attention window: sequences longer than this are refused (null: none). */
  window: number | null;
}

function dimsOf(c: ModelConfig): Dims {
  const positive = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new AhaError(`model config: ${name} must be a positive integer, got ${String(v)}`);
    return v;
  };
  const heads = positive('num_attention_heads', c.num_attention_heads);
  const kvHeads = positive('num_key_value_heads', c.num_key_value_heads ?? heads);
  if (heads % kvHeads !== 0) throw new AhaError(`model config: num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  const hidden = positive('hidden_size', c.hidden_size);
  const headDim = c.head_dim !== undefined ? positive('head_dim', c.head_dim) : hidden / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new AhaError(`model config: head size ${headDim} (hidden_size / num_attention_heads or head_dim) must be an even integer`);
  if (!(c.rope_theta > 0)) throw new AhaError(`model config: rope_theta must be positive, got ${c.rope_theta}`);
  if (!(c.rms_norm_eps > 0)) throw new AhaError(`model config: rms_norm_eps must be positive, got ${c.rms_norm_eps}`);
  return {
    vocab: positive('vocab_size', c.vocab_size),
    hidden,
    inter: positive('intermediate_size', c.intermediate_size),
    layers: positive('num_hidden_layers', c.num_hidden_layers),
    heads,
    kvHeads,
    headDim,
    qkvBias: c.model_type === 'qwen2' || (c.model_type !== 'mistral' && c.attention_bias === true),
    oBias: (c.model_type === 'llama' || c.model_type === 'qwen3') && c.attention_bias === true,
    mlpBias: c.model_type === 'llama' && c.mlp_bias === true,
    qkNorm: c.model_type === 'qwen3',
    window: c.model_type === 'mistral' ? (c.sliding_window ?? null) : null,
  };
}

/**
 * A matrix of the BF16 sampling products: a BF16 panel snapshot of f32 weights, or a frozen BF16
 * base's own row-major bits (no copy).
 */
type Bf16Operand = Bf16Panels | Bf16Matrix;

/** The matrices the packed decode path multiplies by when sampling in BF16 (Transformer.sampleInBf16). */
interface DecodeBf16 {
  layers: { qkv: Bf16Operand; o: Bf16Operand; gateUp: Bf16Operand; down: Bf16Operand }[];
  lmHead: Bf16Operand;
}

/** out (+)= x [rows, K] times a BF16 operand [N, K] transposed, x rounded to BF16, f32 sums. */
function bf16Product(x: Float32Array, rows: number, w: Bf16Operand, out: Float32Array, accumulate = false): void {
  if (w instanceof Bf16Matrix) linearBf16BitsDotInto(x, rows, w.bits, w.shape[0], w.shape[1], out, accumulate);
  else linearBf16DotInto(x, rows, w, out, accumulate);
}

/** Keys ([batch, kvHeads, headDim, maxLen]) and values ([batch, kvHeads, maxLen, headDim]) of every layer, plus row lengths. */
export class TransformerCache implements KVCache {
  readonly lengths: Int32Array;
  /**
   * The weights as BF16, snapshotted when the cache was made with sampleInBf16 on: a cache
   * belongs to one set of weights (its keys and values were computed with them), so a weight
   * change means a new cache and a new snapshot.
   */
  bf16: DecodeBf16 | null = null;
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  /** Logits [batch, vocab] of the last decode or batched prefill, reused by the next one. */
  logits: Float32Array | null = null;
  constructor(readonly batch: number, readonly maxLen: number, layers: number, readonly rowSize: number) {
    this.lengths = new Int32Array(batch);
    this.keys = Array.from({ length: layers }, () => new Float32Array(batch * rowSize));
    this.values = Array.from({ length: layers }, () => new Float32Array(batch * rowSize));
  }
  length(row: number): number {
    this.checkRow(row);
    return this.lengths[row];
  }
  reset(row: number): void {
    this.checkRow(row);
    this.lengths[row] = 0;
  }
  checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.batch) throw new AhaError(`KV cache row ${row} is outside [0, ${this.batch})`);
  }
}

export class Transformer implements CausalLM {
  readonly config: ModelConfig;
  private readonly dims: Dims;
  private readonly params = new Map<string, Tensor>();
  private readonly frozen = new Map<string, Bf16Matrix>();
  /** Module name of each matrix ("model.layers.0.mlp.up_proj"), for the linear hook. */
  private readonly moduleOf = new Map<Weight, string>();
  private hook: LinearHook | null = null;
  /** Recompute each layer in the backward pass instead of keeping its activations (training forward only). */
  gradientCheckpointing = false;
  /**
   * Opt-in: KV caches made while this is on snapshot the weights as BF16 and their prefill and
   * decode products round activations to BF16 too (vdpbf16ps, f32 accumulation): half the
   * memory traffic, which pays at small batches (measured ~2x at batch 1 on the 0.5B shape, none
   * at batch 64), at BF16 accuracy (docs/real-models.md gives the measured log-prob differences).
   * Only the packed path uses it (every model, f32 or a frozen BF16 base whose own bits it reads,
   * LoRA adapters added in f32); off by default, and training never uses it.
   */
  sampleInBf16 = false;
  private readonly embed: Weight;
  private readonly layers: Layer[] = [];
  private readonly finalNorm: Tensor;
  private readonly lmHead: Weight;
  /**
   * Off: the training forward always runs the plain layer (the reference `fusedLayer` is tested
   * against, and the baseline of speed comparisons).
   */
  fuseTrainingLayers = true;
  /**
   * Off: the KV-cache path always runs the plain layer (`runCached`'s reference, which the packed
   * path is tested against, and the baseline of speed comparisons).
   */
  decodePacked = true;
  /** How many KV-cache passes (prefills and decode steps) each path ran: which path sampling takes, for tests. */
  readonly decodeCounts = { packed: 0, plain: 0 };

  constructor(config: ModelConfig, opts: TransformerOptions = {}) {
    this.config = config;
    const d = (this.dims = dimsOf(config));
    const rng = new Rng(opts.seed ?? 0);
    const std = opts.initStd ?? 0.02;
    const init = !(opts.skipInit ?? false);
    // `store`: where an f32 parameter's values live (a view into a layer's packed storage);
    // `bits`: the same for a frozen BF16 matrix.
    const normal = (name: string, shape: [number, number], store?: Float32Array, bits?: Uint16Array): Weight => {
      const n = shape[0] * shape[1];
      const data = store ?? new Float32Array(n);
      if (init) for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
      let w: Weight;
      if (opts.frozenBf16) {
        const b = bits ?? new Uint16Array(n);
        if (init) b.set(f32ToBf16(data));
        w = new Bf16Matrix(shape, b);
      } else {
        w = parameter(data, shape);
      }
      this.moduleOf.set(w, name.replace(/\.weight$/, ''));
      if (w instanceof Bf16Matrix) this.frozen.set(name, w);
      else this.add(name, w);
      return w;
    };
    const ones = (name: string, n: number): Tensor => this.add(name, parameter(new Float32Array(n).fill(1), [n]));
    const zerosP = (name: string, n: number, store?: Float32Array): Tensor => this.add(name, parameter(store ?? new Float32Array(n), [n]));

    this.embed = normal('model.embed_tokens.weight', [d.vocab, d.hidden]);
    const qw = d.heads * d.headDim, kvw = d.kvHeads * d.headDim;
    const H = d.hidden;
    for (let i = 0; i < d.layers; i++) {
      const p = `model.layers.${i}.`;
      const bf16 = opts.frozenBf16 === true;
      const packed: PackedLayer = {
        qkv: bf16 ? null : new Float32Array((qw + 2 * kvw) * H),
        qkvBits: bf16 ? new Uint16Array((qw + 2 * kvw) * H) : null,
        qkvBias: d.qkvBias ? new Float32Array(qw + 2 * kvw) : null,
        gateUp: bf16 ? null : new Float32Array(2 * d.inter * H),
        gateUpBits: bf16 ? new Uint16Array(2 * d.inter * H) : null,
        gateUpBias: d.mlpBias ? new Float32Array(2 * d.inter) : null,
      };
      const { qkvBits, gateUpBits, gateUpBias } = packed;
      const part = <A extends Float32Array | Uint16Array>(a: A | null | undefined, from: number, n: number) => a?.subarray(from, from + n) as A | undefined;
      this.layers.push({
        packed,
        inputNorm: ones(`${p}input_layernorm.weight`, d.hidden),
        q: normal(`${p}self_attn.q_proj.weight`, [qw, H], part(packed.qkv, 0, qw * H), part(qkvBits, 0, qw * H)),
        k: normal(`${p}self_attn.k_proj.weight`, [kvw, H], part(packed.qkv, qw * H, kvw * H), part(qkvBits, qw * H, kvw * H)),
        v: normal(`${p}self_attn.v_proj.weight`, [kvw, H], part(packed.qkv, (qw + kvw) * H, kvw * H), part(qkvBits, (qw + kvw) * H, kvw * H)),
        o: normal(`${p}self_attn.o_proj.weight`, [d.hidden, qw]),
        qBias: d.qkvBias ? zerosP(`${p}self_attn.q_proj.bias`, qw, part(packed.qkvBias, 0, qw)) : null,
        kBias: d.qkvBias ? zerosP(`${p}self_attn.k_proj.bias`, kvw, part(packed.qkvBias, qw, kvw)) : null,
        vBias: d.qkvBias ? zerosP(`${p}self_attn.v_proj.bias`, kvw, part(packed.qkvBias, qw + kvw, kvw)) : null,
        oBias: d.oBias ? zerosP(`${p}self_attn.o_proj.bias`, d.hidden) : null,
        qNorm: d.qkNorm ? ones(`${p}self_attn.q_norm.weight`, d.headDim) : null,
        kNorm: d.qkNorm ? ones(`${p}self_attn.k_norm.weight`, d.headDim) : null,
        postNorm: ones(`${p}post_attention_layernorm.weight`, d.hidden),
        gate: normal(`${p}mlp.gate_proj.weight`, [d.inter, H], part(packed.gateUp, 0, d.inter * H), part(gateUpBits, 0, d.inter * H)),
        up: normal(`${p}mlp.up_proj.weight`, [d.inter, H], part(packed.gateUp, d.inter * H, d.inter * H), part(gateUpBits, d.inter * H, d.inter * H)),
        down: normal(`${p}mlp.down_proj.weight`, [d.hidden, d.inter]),
        gateBias: d.mlpBias ? zerosP(`${p}mlp.gate_proj.bias`, d.inter, part(gateUpBias, 0, d.inter)) : null,
        upBias: d.mlpBias ? zerosP(`${p}mlp.up_proj.bias`, d.inter, part(gateUpBias, d.inter, d.inter)) : null,
        downBias: d.mlpBias ? zerosP(`${p}mlp.down_proj.bias`, d.hidden) : null,
      });
    }
    this.finalNorm = ones('model.norm.weight', d.hidden);
    this.lmHead = config.tie_word_embeddings ? this.embed : normal('lm_head.weight', [d.vocab, d.hidden]);
  }

  private add(name: string, t: Tensor): Tensor {
    this.params.set(name, t);
    return t;
  }

  parameters(): Map<string, Tensor> {
    return new Map(this.params);
  }

  /** The frozen BF16 matrices by Hugging Face name (empty unless built with frozenBf16). */
  frozenWeights(): Map<string, Bf16Matrix> {
    return new Map(this.frozen);
  }

  /** Routes every projection except lm_head through `hook` (null: plain projections). */
  setLinearHook(hook: LinearHook | null): void {
    this.hook = hook;
  }

  /** x W^T + b for either kind of weight, plus the hook's part: the one path of every projection. */
  private project(x: Tensor, w: Weight, bias: Tensor | null = null): Tensor {
    if (w instanceof Bf16Matrix) {
      const y = linearBf16(x, w);
      return this.hooked(w, x, bias ? add(y, bias) : y);
    }
    return this.hooked(w, x, linear(x, w, bias));
  }

  private hooked(w: Weight, x: Tensor, y: Tensor): Tensor {
    return this.hook && w !== this.lmHead ? this.hook.apply(this.moduleOf.get(w)!, x, y) : y;
  }

  private embedTokens(ids: Int32Array, shape: number[]): Tensor {
    const x = this.embed instanceof Bf16Matrix ? embeddingBf16(this.embed, ids, shape) : embedding(this.embed, ids, shape);
    return this.withTokenRows(x, ids);
  }

  /** The hook's token rows now, or null. */
  private tokenRows(): TokenRows | null {
    return this.hook?.tokenRows?.() ?? null;
  }

  /** Embedded ids x (a fresh lookup) with the rows of trained tokens replaced. */
  private withTokenRows(x: Tensor, ids: Int32Array): Tensor {
    const tr = this.tokenRows();
    if (tr === null) return x;
    const slots = new Int32Array(ids.length).fill(-1);
    let any = false;
    for (let i = 0; i < ids.length; i++) {
      const s = tr.ids.indexOf(ids[i]);
      if (s < 0) continue;
      slots[i] = s;
      any = true;
    }
    return any ? replaceRowsInPlace(x, slots, tr.rows) : x;
  }

  /**
   * Logits (a fresh lm_head product of hidden) with trained rows' columns replaced: the token
   * rows when lm_head is tied to the embedding, an untied lm_head's own trained rows otherwise
   * (none unless asked for: PEFT's list form of trainable_token_indices adapts the input
   * embedding only).
   */
  private withTokenColumns(logits: Tensor, hidden: Tensor): Tensor {
    const tr = this.lmHead === this.embed ? this.tokenRows() : (this.hook?.lmHeadRows?.() ?? null);
    return tr === null ? logits : replaceColumnsInPlace(logits, hidden, tr.ids, tr.rows, tr.base);
  }

  /**
   * The base embedding's or lm_head's rows `ids` (f32 copies; BF16 widened), ignoring any trained
   * rows: what trainable token rows start from.
   */
  baseRows(matrix: 'embedding' | 'lm_head', ids: Int32Array): Float32Array {
    const w = matrix === 'embedding' ? this.embed : this.lmHead;
    return noGrad(() => (w instanceof Bf16Matrix ? embeddingBf16(w, ids, [ids.length]) : embedding(w, ids, [ids.length])).data.slice());
  }

  forward(ids: Int32Array, batch: number, seqLen: number, positions?: Int32Array): Tensor {
    const h = this.hiddenStates(ids, batch, seqLen, positions);
    return this.withTokenColumns(this.project(h, this.lmHead), h);
  }

  /**
   * Final-norm hidden states [batch, seqLen, hidden] (what lm_head reads), on the tape like
   * `forward`: the body a scalar head (reward models) sits on.
   */
  hiddenStates(ids: Int32Array, batch: number, seqLen: number, positions?: Int32Array): Tensor {
    if (!Number.isInteger(batch) || !Number.isInteger(seqLen) || batch < 1 || seqLen < 1) {
      throw new AhaError(`forward: batch and seqLen must be positive integers, got ${batch} and ${seqLen}`);
    }
    if (ids.length !== batch * seqLen) throw new AhaError(`forward: ${ids.length} ids for batch ${batch} x seqLen ${seqLen}`);
    const d = this.dims;
    this.checkWindow(seqLen);
    const pos = positions === undefined ? rowPositions(batch, seqLen) : this.packedPositions(positions, batch, seqLen);
    const attend = (q: Tensor, k: Tensor, v: Tensor): Tensor => attention(q, k, v, { heads: d.heads, kvHeads: d.kvHeads });
    let x = this.embedTokens(ids, [batch, seqLen]);
    const fused = this.trainsFused();
    for (const L of this.layers) {
      const layer = (x0: Tensor): Tensor => (fused ? this.fusedLayer(L, x0, pos) : this.layer(L, x0, pos, attend));
      x = this.gradientCheckpointing ? checkpoint(layer, x) : layer(x);
    }
    return rmsNorm(x, this.finalNorm, this.config.rms_norm_eps);
  }

  /**
   * Checks the positions of rows packed with several sequences: each token's position is at most
   * its index in the row (the fused attention kernel lets position p see the p tokens before it),
   * and only the fused layers honour them (the plain attention op masks by index alone).
   */
  private packedPositions(positions: Int32Array, batch: number, seqLen: number): Int32Array {
    if (positions.length !== batch * seqLen) throw new AhaError(`forward: ${positions.length} positions for batch ${batch} x seqLen ${seqLen}`);
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i];
      if (!(p >= 0 && p <= i % seqLen)) throw new AhaError(`forward: position ${p} at index ${i % seqLen} of row ${Math.floor(i / seqLen)}: a packed sequence's positions restart at 0 and count up`);
    }
    if (!this.trainsFused()) throw new AhaError('forward: rows packed with several sequences need the fused training layers (fuseTrainingLayers, and a linear hook with applyPacked)');
    return positions;
  }

  /**
   * One decoder layer on x (tokens at positions `pos`) from the plain ops: the reference
   * definition. The training forward runs it when `fusedLayer` does not apply, the KV-cache path
   * when `runCachedPacked` does not (`decodePacked` off, a hook without `applyPacked`); the two
   * differ only in how attention is computed (`attend`). fusedLayer and runCachedPacked compute
   * the same layer with fewer kernels and are tested against it.
   */
  private layer(L: Layer, x: Tensor, pos: Int32Array, attend: (q: Tensor, k: Tensor, v: Tensor) => Tensor): Tensor {
    const d = this.dims, eps = this.config.rms_norm_eps;
    const theta = { theta: this.config.rope_theta, scaling: this.config.rope_scaling };
    const h = rmsNorm(x, L.inputNorm, eps);
    const q = rope(this.headNorm(this.project(h, L.q, L.qBias), L.qNorm), pos, d.heads, theta);
    const k = rope(this.headNorm(this.project(h, L.k, L.kBias), L.kNorm), pos, d.kvHeads, theta);
    const v = this.project(h, L.v, L.vBias);
    const x1 = add(x, this.project(attend(q, k, v), L.o, L.oBias));
    return add(x1, this.mlp(L, rmsNorm(x1, L.postNorm, eps)));
  }

  /**
   * Whether the training forward runs `fusedLayer` now (which covers every family and option the
   * plain layer does, f32 or frozen BF16 weights): `fuseTrainingLayers`, and a linear hook (if
   * any) that can adapt the packed products (`applyPacked`).
   */
  trainsFused(): boolean {
    return this.fuseTrainingLayers && (this.hook === null || this.hook.applyPacked !== undefined);
  }

  /**
   * `layer` with fewer, larger kernels (the same function, tested against it): q, k and v as one
   * product over their concatenated weights and biases, Qwen3's per-head q/k norms on that
   * product, RoPE applied inside the attention kernel, gate and up as one product. The parameters stay separate tensors; the linear hook
   * (LoRA) adds into each projection's block of the packed outputs.
   */
  private fusedLayer(L: Layer, x: Tensor, pos: Int32Array): Tensor {
    const d = this.dims, eps = this.config.rms_norm_eps;
    const rope = { theta: this.config.rope_theta, scaling: this.config.rope_scaling };
    const h = rmsNorm(x, L.inputNorm, eps);
    let qkv = this.packedProduct(h, [L.q, L.k, L.v], [L.qBias, L.kBias, L.vBias]);
    if (L.qNorm && L.kNorm) qkv = headNormPacked(qkv, L.qNorm, L.kNorm, d.heads, d.kvHeads, eps);
    const a = attentionPacked(qkv, { heads: d.heads, kvHeads: d.kvHeads, positions: pos, rope });
    const x1 = add(x, this.project(a, L.o, L.oBias));
    const h2 = rmsNorm(x1, L.postNorm, eps);
    const gu = this.packedProduct(h2, [L.gate, L.up], [L.gateBias, L.upBias]);
    return add(x1, this.project(swigluPacked(gu), L.down, L.downBias));
  }

  /**
   * One product for several projections of x (`linearFused`), then the hook's part of each (its
   * module name and output width: the weight's rows).
   */
  private packedProduct(x: Tensor, weights: Weight[], biases: (Tensor | null)[]): Tensor {
    const ws = weights as Tensor[] | Bf16Matrix[]; // one kind: the constructor makes all f32 or all BF16
    const y = linearFused(x, ws, biases[0] === null ? null : (biases as Tensor[]));
    if (!this.hook?.applyPacked) return y;
    const parts: PackedPart[] = weights.map((w) => ({ module: this.moduleOf.get(w)!, width: w.shape[0] }));
    return this.hook.applyPacked(parts, x, y);
  }

  private mlp(L: Layer, h: Tensor): Tensor {
    return this.project(swiglu(this.project(h, L.gate, L.gateBias), this.project(h, L.up, L.upBias)), L.down, L.downBias);
  }

  /** Qwen3's q_norm / k_norm: RMSNorm over each head of x [..., heads * headDim]; x itself without one. */
  private headNorm(x: Tensor, weight: Tensor | null): Tensor {
    if (weight === null) return x;
    const D = this.dims.headDim;
    return reshape(rmsNorm(reshape(x, [x.size / D, D]), weight, this.config.rms_norm_eps), x.shape);
  }

  /**
   * Mistral's sliding window is not implemented as a mask; within the window it changes nothing,
   * so longer sequences are refused rather than computed with the wrong attention.
   */
  private checkWindow(tokens: number): void {
    const w = this.dims.window;
    if (w !== null && tokens > w) {
      throw new AhaError(
        `config.json, field "sliding_window": this model attends over the last ${w} tokens only and aha does not implement that window; ` +
          `sequences are limited to ${w} tokens (this one needs ${tokens})`,
      );
    }
  }

  createCache(batch: number, maxLen: number): TransformerCache {
    if (!Number.isInteger(batch) || !Number.isInteger(maxLen) || batch < 1 || maxLen < 1) {
      throw new AhaError(`createCache: batch and maxLen must be positive integers, got ${batch} and ${maxLen}`);
    }
    const d = this.dims;
    this.checkWindow(maxLen);
    const cache = new TransformerCache(batch, maxLen, d.layers, d.kvHeads * maxLen * d.headDim);
    if (this.sampleInBf16 && this.packedDecode()) cache.bf16 = this.bf16Snapshot();
    return cache;
  }

  /**
   * The packed path's matrices for BF16 sampling (see sampleInBf16): f32 weights as BF16 panels
   * (a copy, half their size), a frozen BF16 base as its own bits (no copy: its products read the
   * row-major bits, linearBf16BitsDotInto).
   */
  private bf16Snapshot(): DecodeBf16 {
    const d = this.dims, H = d.hidden, I = d.inter, qw = d.heads * d.headDim;
    const width = qw + 2 * d.kvHeads * d.headDim;
    const op = (w: Weight | Float32Array | Uint16Array, N: number, K: number): Bf16Operand => {
      if (w instanceof Bf16Matrix) return w;
      if (w instanceof Uint16Array) return new Bf16Matrix([N, K], w);
      return bf16Panels(w instanceof Tensor ? w.data : w, N, K);
    };
    return {
      layers: this.layers.map((L) => ({
        qkv: op(L.packed.qkv ?? L.packed.qkvBits!, width, H),
        o: op(L.o, H, qw),
        gateUp: op(L.packed.gateUp ?? L.packed.gateUpBits!, 2 * I, H),
        down: op(L.down, H, I),
      })),
      lmHead: op(this.lmHead, d.vocab, H),
    };
  }

  /** The cache's BF16 snapshot when the packed path is taken now (a hook set since disables it). */
  private bf16Of(c: TransformerCache): DecodeBf16 | null {
    return c.bf16 !== null && this.packedDecode() ? c.bf16 : null;
  }

  private ownCache(cache: KVCache): TransformerCache {
    if (!(cache instanceof TransformerCache) || cache.keys.length !== this.dims.layers || cache.rowSize !== this.dims.kvHeads * cache.maxLen * this.dims.headDim) {
      throw new AhaError('this KV cache was not created by this model (use model.createCache)');
    }
    return cache;
  }

  prefill(cache: KVCache, row: number, ids: Int32Array): Float32Array {
    const c = this.ownCache(cache);
    c.checkRow(row);
    const n = ids.length;
    if (n === 0) throw new AhaError('prefill: no tokens given');
    const start = c.lengths[row];
    if (start + n > c.maxLen) throw new AhaError(`prefill: row ${row} would hold ${start + n} tokens, the cache holds at most ${c.maxLen}`);
    const size = c.rowSize;
    const keys = c.keys.map((k) => k.subarray(row * size, (row + 1) * size));
    const values = c.values.map((v) => v.subarray(row * size, (row + 1) * size));
    const bf16 = this.bf16Of(c);
    const hidden = this.runCached(keys, values, ids, 1, n, Int32Array.of(start), null, c.maxLen, bf16);
    c.lengths[row] = start + n;
    const dim = this.dims.hidden;
    const last = hidden.subarray((n - 1) * dim, n * dim);
    if (bf16 === null) return this.logits(last, 1);
    const out = new Float32Array(this.dims.vocab);
    bf16Product(last, 1, bf16.lmHead, out);
    noGrad(() => this.withTokenColumns(new Tensor(out, [1, this.dims.vocab]), new Tensor(last, [1, dim])));
    return out;
  }

  prefillRows(cache: KVCache, rows: readonly number[], ids: readonly Int32Array[]): Float32Array {
    const c = this.ownCache(cache);
    if (rows.length !== ids.length) throw new AhaError(`prefillRows: ${rows.length} rows for ${ids.length} id lists`);
    const seen = new Set<number>();
    rows.forEach((row, i) => {
      c.checkRow(row);
      if (seen.has(row)) throw new AhaError(`prefillRows: row ${row} given twice`);
      seen.add(row);
      if (ids[i].length === 0) throw new AhaError(`prefillRows: no tokens given for row ${row}`);
      if (c.lengths[row] + ids[i].length > c.maxLen) {
        throw new AhaError(`prefill: row ${row} would hold ${c.lengths[row] + ids[i].length} tokens, the cache holds at most ${c.maxLen}`);
      }
    });
    const dim = this.dims.hidden;
    // Final hidden state of each row's last token; one vocabulary projection for all rows at the end.
    const last = new Float32Array(rows.length * dim);
    for (const group of prefillGroups(rows.map((r, i) => ({ i, n: ids[i].length, room: c.maxLen - c.lengths[r] })))) {
      // Rows of a group are right-padded to the longest: a padding token sits after the row's
      // real ones, so causal attention keeps it out of their outputs; its cache entries lie past
      // the row's length and the next token written there replaces them.
      const n = Math.max(...group.map((g) => g.n));
      const packed = new Int32Array(group.length * n);
      group.forEach((g, b) => packed.set(ids[g.i], b * n));
      const rowIndex = Int32Array.from(group, (g) => rows[g.i]);
      const pos = Int32Array.from(group, (g) => c.lengths[rows[g.i]]);
      const hidden = this.runCached(c.keys, c.values, packed, group.length, n, pos, rowIndex, c.maxLen, this.bf16Of(c));
      group.forEach((g, b) => {
        last.set(hidden.subarray((b * n + g.n - 1) * dim, (b * n + g.n) * dim), g.i * dim);
        c.lengths[rows[g.i]] += g.n;
      });
    }
    return this.logitsInto(c, last, rows.length).subarray(0, rows.length * this.dims.vocab);
  }

  decode(cache: KVCache, ids: Int32Array, active?: Uint8Array): Float32Array {
    const c = this.ownCache(cache);
    if (ids.length !== c.batch) throw new AhaError(`decode: ${ids.length} ids for a cache of ${c.batch} rows`);
    if (active !== undefined && active.length !== c.batch) throw new AhaError(`decode: active has ${active.length} entries for ${c.batch} rows`);
    for (let b = 0; b < c.batch; b++) {
      if ((active === undefined || active[b]) && c.lengths[b] >= c.maxLen) {
        throw new AhaError(`decode: row ${b} is full (${c.maxLen} tokens)`);
      }
    }
    // Only active rows are computed: they are packed into a smaller batch whose row r reads and
    // writes cache row rows[r], so finished rows cost nothing.
    const rows: number[] = [];
    for (let b = 0; b < c.batch; b++) if (!active || active[b]) rows.push(b);
    if (rows.length === 0) return this.logitsBuffer(c);
    const all = rows.length === c.batch;
    const rowIndex = all ? null : Int32Array.from(rows);
    const packedIds = all ? ids : Int32Array.from(rows, (b) => ids[b]);
    const pos = Int32Array.from(rows, (b) => c.lengths[b]);
    const hidden = this.runCached(c.keys, c.values, packedIds, rows.length, 1, pos, rowIndex, c.maxLen, this.bf16Of(c));
    for (const b of rows) c.lengths[b]++;
    const logits = this.logitsInto(c, hidden, rows.length);
    // The packed rows sit at the front; move each to its cache row, last first (rows[r] >= r, so
    // no row is overwritten before it moves).
    const V = this.dims.vocab;
    for (let r = rows.length - 1; r >= 0; r--) if (rows[r] !== r) logits.copyWithin(rows[r] * V, r * V, (r + 1) * V);
    return logits;
  }

  /**
   * Final-norm output [batch * n, hidden] of n new tokens per row at positions pos[b].., caching
   * their keys/values in cache row rows[b] (b when rows is null).
   */
  private runCached(keys: Float32Array[], values: Float32Array[], ids: Int32Array, batch: number, n: number, pos: Int32Array,
    rows: Int32Array | null, maxLen: number, bf16: DecodeBf16 | null): Float32Array {
    if (this.packedDecode()) {
      this.decodeCounts.packed++;
      return this.runCachedPacked(keys, values, ids, batch, n, pos, rows, maxLen, bf16);
    }
    this.decodeCounts.plain++;
    const d = this.dims;
    const tokPos = new Int32Array(batch * n);
    for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) tokPos[b * n + i] = pos[b] + i;
    const shape: CacheAttentionShape = { batch, tokens: n, heads: d.heads, kvHeads: d.kvHeads, headDim: d.headDim, maxLen };
    return noGrad(() => {
      let x = this.embedTokens(ids, [batch, n]);
      this.layers.forEach((L, li) => {
        // Attention over the cache: the new keys/values are stored first, then attended to with the past.
        const attend = (q: Tensor, k: Tensor, v: Tensor): Tensor => {
          writeCache('keys', k.data, keys[li], pos, rows, shape);
          writeCache('values', v.data, values[li], pos, rows, shape);
          const a = new Tensor(new Float32Array(q.size), q.shape);
          attendCache(q.data, keys[li], values[li], pos, rows, a.data, shape);
          return a;
        };
        x = this.layer(L, x, tokPos, attend);
      });
      return rmsNorm(x, this.finalNorm, this.config.rms_norm_eps).data;
    });
  }

  /**
   * Why sampleInBf16 would not apply to this model as it is now, or null when it would: BF16
   * sampling lives in the packed decode path only, so a user's request for it is refused with the
   * reason rather than silently sampling in f32. The packed path serves every family and option
   * aha loads, f32 or frozen BF16, with or without LoRA adapters.
   */
  bf16SamplingBlocker(): string | null {
    if (!this.decodePacked) return 'the packed decode path is switched off (decodePacked)';
    if (this.hook !== null && this.hook.applyPacked === undefined) return 'its linear hook cannot adapt packed products (it has no applyPacked)';
    return null;
  }

  /**
   * Whether runCached takes the packed path now: `decodePacked`, and a linear hook (if any) that
   * can adapt packed products (`applyPacked`, as LoRA's does).
   */
  private packedDecode(): boolean {
    return this.decodePacked && (this.hook === null || this.hook.applyPacked !== undefined);
  }

  /**
   * runCached's packed path (see packedDecode): the same layer computed on plain buffers, about
   * eight calls a layer: norm, one q/k/v product, attention with RoPE and the cache append,
   * o_proj accumulated into the residual, norm, one gate/up product, SwiGLU, down_proj
   * accumulated into the residual. What some models add goes around those calls: q/k/v and
   * gate/up biases are written into the product's rows first, o_proj and down_proj biases into
   * the residual, Qwen3's per-head q/k norms run on the q/k/v product before the attention call
   * rotates it, and a LoRA hook adds each adapter's s·B(A x) into its projection's block of the
   * packed product (o_proj and down_proj: into their own output, then the residual). Matrices are
   * f32, a frozen base's BF16 bits (widened exactly inside the product), or the cache's BF16
   * operands when sampling in BF16.
   */
  private runCachedPacked(keys: Float32Array[], values: Float32Array[], ids: Int32Array, batch: number, n: number, pos: Int32Array,
    rows: Int32Array | null, maxLen: number, bf16: DecodeBf16 | null): Float32Array {
    const d = this.dims, eps = this.config.rms_norm_eps;
    const N = batch * n, H = d.hidden, I = d.inter;
    const qw = d.heads * d.headDim, width = qw + 2 * d.kvHeads * d.headDim;
    const table = ropeTable(d.headDim, { theta: this.config.rope_theta, scaling: this.config.rope_scaling });
    let last = 0;
    for (const p of pos) last = Math.max(last, p + n);
    table.ensure(last);
    const shape: CacheAttentionShape = { batch, tokens: n, heads: d.heads, kvHeads: d.kvHeads, headDim: d.headDim, maxLen };
    const h = new Float32Array(N * H);
    const qkv = new Float32Array(N * width), att = new Float32Array(N * qw);
    const gu = new Float32Array(N * 2 * I), act = new Float32Array(N * I);
    const hook = this.hook;
    // o_proj's / down_proj's own output, when a hook must see it before it joins the residual.
    const own = hook ? new Float32Array(N * H) : null;
    let x: Float32Array;
    if (this.embed instanceof Bf16Matrix) x = embeddingBf16(this.embed, ids, [N]).data;
    else embedInto(this.embed.data, ids, H, (x = new Float32Array(N * H)));
    noGrad(() => this.withTokenRows(new Tensor(x, [N, H]), ids));
    // out (+)= input [N, K] times a matrix [cols, K]: f32, frozen BF16 bits, or the BF16 operand when sampling in BF16.
    const product = (input: Float32Array, w: Float32Array | Uint16Array, w16: Bf16Operand | undefined, cols: number, K: number, out: Float32Array,
      acc: boolean) => {
      if (w16) bf16Product(input, N, w16, out, acc);
      else if (w instanceof Float32Array) linearInto(input, N, w, cols, K, out, acc);
      else linearBf16BitsInto(input, N, w, cols, K, out, acc);
    };
    // x += input W^T + bias (+ the hook's part), for o_proj and down_proj.
    const residual = (input: Float32Array, K: number, w: Weight, bias: Tensor | null, w16: Bf16Operand | undefined) => {
      const m = w instanceof Bf16Matrix ? w.bits : w.data;
      if (own === null) {
        if (bias) addBiasRows(x, N, bias.data);
        product(input, m, w16, H, K, x, true);
        return;
      }
      product(input, m, w16, H, K, own, false);
      if (bias) addBiasRows(own, N, bias.data);
      const y = new Tensor(own, [N, H]);
      addInto(x, hook!.apply(this.moduleOf.get(w)!, new Tensor(input, [N, K]), y).data, N * H);
    };
    // The hook's part of a packed product out [N, cols] of input [N, K] (its adapters add in place).
    const adapt = (weights: Weight[], input: Float32Array, K: number, out: Float32Array, cols: number) => {
      if (hook === null) return;
      const parts: PackedPart[] = weights.map((w) => ({ module: this.moduleOf.get(w)!, width: w.shape[0] }));
      const y = new Tensor(out, [N, cols]);
      const r = hook.applyPacked!(parts, new Tensor(input, [N, K]), y);
      if (r.data !== y.data) out.set(r.data);
    };
    noGrad(() => this.layers.forEach((L, li) => {
      const P = L.packed, B16 = bf16?.layers[li];
      rmsNormInto(x, L.inputNorm.data, N, H, eps, h);
      if (P.qkvBias) for (let r = 0; r < N; r++) qkv.set(P.qkvBias, r * width);
      product(h, P.qkv ?? P.qkvBits!, B16?.qkv, width, H, qkv, P.qkvBias !== null);
      adapt([L.q, L.k, L.v], h, H, qkv, width);
      if (L.qNorm && L.kNorm) headNormPackedInto(qkv, N, L.qNorm.data, L.kNorm.data, d.heads, d.kvHeads, eps);
      attendCachePacked(qkv, keys[li], values[li], pos, rows, table, att, shape);
      residual(att, qw, L.o, L.oBias, B16?.o);
      rmsNormInto(x, L.postNorm.data, N, H, eps, h);
      if (P.gateUpBias) for (let r = 0; r < N; r++) gu.set(P.gateUpBias, r * 2 * I);
      product(h, P.gateUp ?? P.gateUpBits!, B16?.gateUp, 2 * I, H, gu, P.gateUpBias !== null);
      adapt([L.gate, L.up], h, H, gu, 2 * I);
      swigluPackedInto(gu, N, I, act);
      residual(act, I, L.down, L.downBias, B16?.down);
    }));
    rmsNormInto(x, this.finalNorm.data, N, H, eps, h);
    return h;
  }

  /** Logits [rows, vocab] of final-norm hidden states [rows, hidden]. */
  private logits(hidden: Float32Array, rows: number): Float32Array {
    return noGrad(() => {
      const h = new Tensor(hidden, [rows, this.dims.hidden]);
      return this.withTokenColumns(this.project(h, this.lmHead), h).data;
    });
  }

  /** The cache's reused [batch, vocab] logits buffer (one per cache, allocated on first use). */
  private logitsBuffer(c: TransformerCache): Float32Array {
    if (c.logits === null) c.logits = new Float32Array(c.batch * this.dims.vocab);
    return c.logits;
  }

  /** Logits of final-norm hidden states [rows, hidden] into the front of the cache's logits buffer (one sgemm). */
  private logitsInto(c: TransformerCache, hidden: Float32Array, rows: number): Float32Array {
    const out = this.logitsBuffer(c);
    const bf16 = this.bf16Of(c);
    if (bf16 !== null) bf16Product(hidden, rows, bf16.lmHead, out);
    else if (this.lmHead instanceof Bf16Matrix) linearBf16Into(hidden, rows, this.lmHead, out);
    else linearInto(hidden, rows, this.lmHead.data, this.dims.vocab, this.dims.hidden, out);
    const V = this.dims.vocab, H = this.dims.hidden;
    noGrad(() => this.withTokenColumns(new Tensor(out.subarray(0, rows * V), [rows, V]), new Tensor(hidden.subarray(0, rows * H), [rows, H])));
    return out;
  }
}

/** Padded tokens one batched-prefill forward may hold: bounds its activations (~10 MB per layer-width unit). */
const PREFILL_TOKENS_PER_PASS = 4096;

/**
 * Splits prefill rows into forward passes: sorted by length so padding is small, each pass at
 * most PREFILL_TOKENS_PER_PASS padded tokens, and never padding a row past its cache room.
 */
export function prefillGroups<R extends { n: number; room: number }>(rows: readonly R[]): R[][] {
  const sorted = [...rows].sort((a, b) => a.n - b.n);
  const groups: R[][] = [];
  let group: R[] = [];
  let minRoom = Infinity;
  for (const r of sorted) {
    const n = r.n; // the longest so far: rows come shortest first
    const fits = group.length === 0 || ((group.length + 1) * n <= PREFILL_TOKENS_PER_PASS && Math.min(minRoom, r.room) >= n);
    if (!fits) {
      groups.push(group);
      group = [];
      minRoom = Infinity;
    }
    group.push(r);
    minRoom = Math.min(minRoom, r.room);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** A randomly initialised (seeded) transformer for `config`. */
export function createTransformer(config: ModelConfig, opts: TransformerOptions = {}): CausalLM {
  return new Transformer(config, opts);
}
