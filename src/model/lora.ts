// LoRA (low-rank adaptation): every targeted projection y = W x + b gains (alpha / r) · B (A x),
// with A [r, in] and B [out, r] trained in f32 while the base stays frozen (its own precision,
// BF16 when the file is BF16). A starts Kaiming-uniform as PEFT initialises it (bound
// 1/sqrt(in)), B at zero, so the adapted model starts equal to the base. `LoraModel` is a
// CausalLM whose parameters are only the adapters (named as PEFT saves them), and
// `adaptersOff(model)` is the same network with the adapters switched off: GRPO's reference
// policy without a second copy of the weights. The hook's `applyPacked` serves both the fused
// training layer and the base's packed decode path, so training, sampling (f32 or BF16) and the
// reference all add the adapters into the packed q/k/v and gate/up products unmerged.
//
// Trainable token rows (PEFT's `trainable_token_indices`, its "Trainable Tokens" method, usable
// alongside LoRA): chosen rows of the input embedding are trained values that replace the base's
// rows (starting as copies of them, so the adapted model starts equal to the base). With tied
// embeddings lm_head reads the same replaced rows (PEFT ties a second token adapter on lm_head to
// the embedding's: peft/tuners/trainable_tokens/model.py, when config tie_word_embeddings); an
// untied lm_head is left as it is, as PEFT's list form does (it targets only the input embedding),
// unless its rows are asked for too (`trainable_tokens_lm_head=true`, PEFT's dict form
// {"embed_tokens": ids, "lm_head": ids}): then lm_head's rows of those ids train as well. New tokens added with `aha tokens add` all start at the mean row, so
// without this they stay indistinguishable under LoRA.
import { loraAddBlocksInPlace, loraAddInPlace, matmul, noGrad, parameter, scale, tensor, type LoraBlock, type Tensor } from '../core/index.js';
import { AhaError, InputError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { CausalLM, KVCache } from './causal-lm.js';
import type { LinearHook, PackedPart, TokenRows, Transformer } from './transformer.js';
import { frozenWeightsOf } from './weights.js';

/** Writes trained token rows over their ids' rows of a [vocab, hidden] weight (merging them, as PEFT does). */
export function writeTokenRows(weight: Float32Array, tr: TokenRows): void {
  const H = tr.rows.shape[1];
  tr.ids.forEach((id, j) => weight.set(tr.rows.data.subarray(j * H, (j + 1) * H), id * H));
}

/** The projections a Llama/Qwen2 layer has, by their module name's last part. */
export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

export interface LoraConfig {
  /** Rank of A and B. */
  r: number;
  /** Scale numerator: the update is (alpha / r) · B A (alpha / sqrt(r) with rslora). */
  alpha: number;
  /** Dropout on the adapter's input while training. Only 0 trains; adapters saved with more load for inference. */
  dropout: number;
  /**
   * Which projections: 'all-linear' (every projection but lm_head, as PEFT), a list of names
   * (a module matches when its name is the entry or ends with "." + entry, as PEFT), or
   * { regex } (the module's full name must match, as PEFT does with a string).
   */
  targets: 'all-linear' | readonly string[] | { regex: string };
  /** Rank-stabilised scale alpha / sqrt(r) (PEFT's use_rslora). */
  rslora: boolean;
  /**
   * Token rows of the input embedding (and a tied lm_head) to train (PEFT's
   * trainable_token_indices): ids, or token strings of the model's tokenizer until
   * `resolveTrainableTokens` turns them into ids. Absent or empty: none.
   */
  trainableTokens?: readonly (number | string)[];
  /** An untied lm_head's rows of the trainable tokens train too (`trainable_tokens_lm_head=true`). */
  trainableTokensLmHead?: boolean;
  /**
   * The lm_head rows that train (ids): set by `resolveLoraTokens` from the two fields above, or
   * read from an adapter's trainable_token_indices {"lm_head": [...]}. Absent or empty: none.
   */
  lmHeadTokens?: readonly number[];
  /**
   * Projections left out though `targets` names them (PEFT's exclude_modules): a list, matched as
   * `targets`' list form, or { regex } (the full name must match). Absent: none.
   */
  exclude?: readonly string[] | { regex: string };
  /**
   * Only projections of these layers (PEFT's layers_to_transform; with list targets only, as PEFT).
   * The index is the number after one of `layersPattern`'s names ("layers" in
   * model.layers.3.mlp.up_proj), or with no names the first dotted number after a name (PEFT's
   * rule). A module named in full in the targets list is not filtered, as in PEFT. Absent or empty: all.
   */
  layers?: readonly number[];
  layersPattern?: readonly string[];
  /**
   * Per-projection rank and alpha (PEFT's rank_pattern / alpha_pattern): the first key, in order,
   * that matches the end of a module's name after a dot (the key is a regular expression) gives
   * the value; others use `r` and `alpha`.
   */
  rankPattern?: Readonly<Record<string, number>>;
  alphaPattern?: Readonly<Record<string, number>>;
}

export const DEFAULT_LORA: LoraConfig = { r: 16, alpha: 32, dropout: 0, targets: 'all-linear', rslora: false, trainableTokens: [] };

/** The factor of B A in the update (of a projection without a rank or alpha pattern of its own). */
export function loraScale(c: LoraConfig): number {
  return c.rslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/** The value of the first key of `pattern` matching the end of `module` (PEFT's get_pattern_key rule). */
function patternValue(pattern: Readonly<Record<string, number>> | undefined, module: string): number | undefined {
  if (pattern === undefined) return undefined;
  for (const [key, value] of Object.entries(pattern)) if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(module)) return value;
  return undefined;
}

/** The rank and scale of `module`'s adapter: rank_pattern / alpha_pattern where they match, else r and alpha. */
export function moduleRankScale(c: LoraConfig, module: string): { r: number; scale: number } {
  const r = patternValue(c.rankPattern, module) ?? c.r;
  return { r, scale: loraScale({ ...c, r, alpha: patternValue(c.alphaPattern, module) ?? c.alpha }) };
}

const SPEC_KEYS = ['r', 'alpha', 'dropout', 'targets', 'rslora', 'trainable_tokens', 'trainable_tokens_lm_head'];

/**
 * Parses `r=16,alpha=32,dropout=0,targets=all-linear` (targets may list names: `targets=q_proj,v_proj`;
 * every key is optional). `trainable_tokens` lists token ids or token strings joined by "+"
 * (`trainable_tokens=151665+151666` or `trainable_tokens=<|reflect|>+<|explore|>`), since "," separates
 * the spec's keys; `trainable_tokens_lm_head=true` trains an untied lm_head's rows of those tokens
 * too. `where` names the flag or field in errors.
 */
export function parseLoraSpec(spec: string, where = '--lora'): LoraConfig {
  const cfg: { -readonly [K in keyof LoraConfig]: LoraConfig[K] } = { ...DEFAULT_LORA };
  const seen = new Set<string>();
  let targets: string[] | null = null;
  const bad = (what: string): never => {
    throw new AhaError(`${where}: ${what} (expected e.g. r=16,alpha=32,dropout=0,targets=all-linear)`);
  };
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (part === '') bad(`empty entry in ${JSON.stringify(spec)}`);
    const eq = part.indexOf('=');
    if (eq < 0) {
      // A bare name continues a targets list: targets=q_proj,v_proj.
      if (targets === null) bad(`"${part}" is not key=value`);
      targets!.push(part);
      continue;
    }
    const key = part.slice(0, eq).trim(), value = part.slice(eq + 1).trim();
    if (!SPEC_KEYS.includes(key)) bad(`unknown key "${key}" (keys: ${SPEC_KEYS.join(', ')})`);
    if (seen.has(key)) bad(`"${key}" is given twice`);
    seen.add(key);
    targets = null;
    const num = (): number => {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) bad(`${key} must be a number, got "${value}"`);
      return n;
    };
    if (key === 'r') {
      cfg.r = num();
      if (!Number.isInteger(cfg.r) || cfg.r < 1) bad(`r must be a positive integer, got "${value}"`);
    } else if (key === 'alpha') {
      cfg.alpha = num();
      if (!(cfg.alpha > 0)) bad(`alpha must be positive, got "${value}"`);
    } else if (key === 'dropout') {
      cfg.dropout = num();
      if (!(cfg.dropout >= 0 && cfg.dropout < 1)) bad(`dropout must be in [0, 1), got "${value}"`);
    } else if (key === 'trainable_tokens') {
      cfg.trainableTokens = parseTokenList(value, (what) => bad(`trainable_tokens: ${what}`));
    } else if (key === 'rslora' || key === 'trainable_tokens_lm_head') {
      if (value !== 'true' && value !== 'false') bad(`${key} must be true or false, got "${value}"`);
      if (key === 'rslora') cfg.rslora = value === 'true';
      else cfg.trainableTokensLmHead = value === 'true';
    } else if (value === 'all-linear') {
      cfg.targets = 'all-linear';
    } else {
      if (value === '') bad('targets is empty');
      targets = [value];
      cfg.targets = targets;
    }
  }
  if (cfg.trainableTokensLmHead && (cfg.trainableTokens ?? []).length === 0) bad('trainable_tokens_lm_head=true needs trainable_tokens (the tokens whose lm_head rows train)');
  if (Array.isArray(cfg.targets)) {
    for (const t of cfg.targets) {
      if (!(LORA_MODULES as readonly string[]).includes(t)) bad(`target "${t}" is not a projection aha can adapt (${LORA_MODULES.join(', ')}, or all-linear)`);
    }
  }
  return cfg;
}

/** `151665+<|reflect|>`: ids (digits) and token strings, no empty entry, no repeat. */
function parseTokenList(value: string, bad: (what: string) => never): (number | string)[] {
  if (value === '') bad('empty (give token ids or token strings joined by "+")');
  const out: (number | string)[] = [];
  for (const entry of value.split('+')) {
    if (entry === '') bad(`empty entry in "${value}" (entries are joined by "+")`);
    const token = /^\d+$/.test(entry) ? Number(entry) : entry;
    if (out.includes(token)) bad(`${JSON.stringify(token)} is given twice`);
    out.push(token);
  }
  return out;
}

/**
 * The trainable token ids of `lora` for a model of `vocab` rows: ids checked against the
 * vocabulary, token strings looked up with `tokenToId` (the tokenizer's vocabulary and added
 * tokens). Unknown tokens, ids out of range and an id named twice (as an id and a string) are
 * refused naming `where`.
 */
export function resolveTrainableTokens(tokens: readonly (number | string)[], vocab: number, tokenToId: (token: string) => number | undefined, where = '--lora'): number[] {
  const ids: number[] = [];
  for (const t of tokens) {
    const id = typeof t === 'number' ? t : tokenToId(t);
    if (id === undefined) throw new AhaError(`${where}: trainable_tokens: "${t}" is not a token of the model's tokenizer (give its id, or add it first with \`aha tokens add\`)`);
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new AhaError(`${where}: trainable_tokens: id ${id} is outside the model's vocabulary [0, ${vocab})`);
    if (ids.includes(id)) throw new AhaError(`${where}: trainable_tokens: ${JSON.stringify(t)} is token ${id}, which is already listed`);
    ids.push(id);
  }
  return ids;
}

/**
 * `lora` with its token fields as ids for a model of `vocab` rows (see resolveTrainableTokens):
 * trainableTokens resolved, lmHeadTokens set to them when trainable_tokens_lm_head asks.
 */
export function resolveLoraTokens(lora: LoraConfig, vocab: number, tokenToId: (token: string) => number | undefined, where = '--lora'): LoraConfig {
  const ids = resolveTrainableTokens(lora.trainableTokens ?? [], vocab, tokenToId, where);
  return { ...lora, trainableTokens: ids, lmHeadTokens: lora.trainableTokensLmHead ? ids : (lora.lmHeadTokens ?? []) };
}

/** Refuses adapter settings aha cannot train with (dropout is applied only at 0, i.e. not at all). */
export function assertTrainable(c: LoraConfig, where = '--lora'): LoraConfig {
  if (c.dropout !== 0) throw new AhaError(`${where}: dropout ${c.dropout} is not supported for training yet (use dropout=0; adapters trained with dropout load fine for inference)`);
  return c;
}

const endsWithEntry = (name: string, list: readonly string[]): boolean => list.some((t) => name === t || name.endsWith(`.${t}`));
const fullMatch = (regex: string, name: string): boolean => new RegExp(`^(?:${regex})$`).test(name);

/** The layer index in a module's name as PEFT reads it for layers_to_transform, or null. */
function layerIndex(name: string, patterns: readonly string[] | undefined): number | null {
  const res = patterns === undefined || patterns.length === 0 ? [/^.*\.[^.]*\.(\d+)\./] : patterns.map((p) => new RegExp(`^.*\\.${p}\\.(\\d+)\\.`));
  for (const re of res) {
    const m = re.exec(name);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * Whether module `name` ("model.layers.0.self_attn.q_proj") gets an adapter: named by the targets,
 * not excluded, and in one of `layers` when given (PEFT's check_target_module_exists rules).
 */
export function isTargeted(name: string, lora: Pick<LoraConfig, 'targets' | 'exclude' | 'layers' | 'layersPattern'>): boolean {
  const { targets, exclude } = lora;
  if (exclude !== undefined && (Array.isArray(exclude) ? endsWithEntry(name, exclude) : fullMatch((exclude as { regex: string }).regex, name))) return false;
  if (!Array.isArray(targets) && targets !== 'all-linear') return fullMatch((targets as { regex: string }).regex, name);
  const names: readonly string[] = targets === 'all-linear' ? LORA_MODULES : (targets as readonly string[]);
  if (names.includes(name)) return true;
  if (!endsWithEntry(name, names)) return false;
  if (lora.layers === undefined || lora.layers.length === 0) return true;
  const index = layerIndex(name, lora.layersPattern);
  return index !== null && lora.layers.includes(index);
}

/** The PEFT tensor name of a module's A or B. */
export function peftTensorName(module: string, which: 'A' | 'B'): string {
  return `base_model.model.${module}.lora_${which}.weight`;
}

/**
 * The PEFT tensor name of the trained token rows [n, hidden] of the input embedding. PEFT wraps
 * the embedding in a TrainableTokensWrapper whose `token_adapter` (a TrainableTokensLayer) holds
 * the parameter `trainable_tokens_delta` (peft/tuners/trainable_tokens/layer.py); saving drops the
 * adapter name. Despite its name it stores the rows' new VALUES (initialised from the base's rows,
 * written over them with index_copy in forward and merge), not differences.
 */
export const TOKEN_ROWS_TENSOR = 'base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta';
/** The same for an untied lm_head's trained rows (PEFT wraps lm_head the same way). */
export const LM_HEAD_ROWS_TENSOR = 'base_model.model.lm_head.token_adapter.trainable_tokens_delta';

interface Adapter {
  A: Tensor;
  B: Tensor;
  /** alpha / r of this projection (rank_pattern and alpha_pattern may give projections their own). */
  scale: number;
}

/**
 * Adapter values held fixed (no gradients): a LoraModel applies them in place of its trained ones
 * inside `frozenPolicy`, e.g. GRPO's reference when training goes on from an adapter folder.
 */
export interface FrozenAdapters {
  readonly adapters: ReadonlyMap<string, Adapter>;
  readonly tokenRows: TokenRows | null;
  readonly lmHeadRows: TokenRows | null;
}

/** A network whose projections can be routed through a hook (aha's Transformer). */
export type AdaptableModel = CausalLM & Pick<Transformer, 'setLinearHook' | 'prefillRows' | 'baseRows'>;

function adaptable(model: CausalLM): AdaptableModel {
  if (typeof (model as Partial<AdaptableModel>).setLinearHook !== 'function') throw new AhaError('LoRA needs aha\'s transformer as its base model');
  return model as AdaptableModel;
}

/** The (out, in) shape of every projection of the base, by module name. */
function projectionShapes(model: CausalLM): Map<string, [number, number]> {
  const shapes = new Map<string, [number, number]>();
  for (const [name, t] of [...model.parameters(), ...frozenWeightsOf(model)]) {
    const m = /^(.*\.(\w+))\.weight$/.exec(name);
    if (m && (LORA_MODULES as readonly string[]).includes(m[2]) && t.shape.length === 2) shapes.set(m[1], [t.shape[0], t.shape[1]]);
  }
  return shapes;
}

/**
 * A base model with LoRA adapters. Its `parameters()` are the adapters only (PEFT tensor names);
 * the base's own parameters are frozen (requiresGrad off) when the adapters are attached.
 */
export class LoraModel implements CausalLM {
  readonly config: CausalLM['config'];
  readonly base: AdaptableModel;
  readonly lora: LoraConfig;
  readonly adapters = new Map<string, Adapter>();
  /** The trained token rows [ids.length, hidden] (PEFT's trainable tokens), or null without trainable_tokens. */
  readonly tokenRows: TokenRows | null = null;
  /** An untied lm_head's trained rows, or null. */
  readonly lmHeadRows: TokenRows | null = null;
  /** Off: the base model's outputs exactly (the reference policy). */
  enabled = true;
  /** Set inside `frozenPolicy`: the values applied in place of the trained adapters. */
  private standIn: FrozenAdapters | null = null;
  /** The base model's folder, recorded as base_model_name_or_path when the adapter is saved. */
  baseModelPath: string;

  /**
   * Attaches fresh adapters (A Kaiming-uniform from `seed`, B zero) to every targeted projection
   * of `base`, and trainable copies of the token rows `lora.trainableTokens` (ids: see
   * resolveTrainableTokens). Throws when no projection matches the targets.
   */
  constructor(base: CausalLM, lora: LoraConfig, opts: { seed?: number; baseModelPath?: string } = {}) {
    this.base = adaptable(base);
    this.baseModelPath = opts.baseModelPath ?? '';
    this.config = base.config;
    this.lora = lora;
    const rng = new Rng(opts.seed ?? 0);
    for (const [module, [out, inp]] of projectionShapes(base)) {
      if (!isTargeted(module, lora)) continue;
      const { r, scale } = moduleRankScale(lora, module);
      const bound = 1 / Math.sqrt(inp);
      const a = new Float32Array(r * inp);
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
      this.adapters.set(module, { A: parameter(a, [r, inp]), B: parameter(new Float32Array(out * r), [out, r]), scale });
    }
    if (this.adapters.size === 0) throw new AhaError(`LoRA targets ${JSON.stringify(lora.targets)} match no projection of the model`);
    if (lora.trainableTokensLmHead && lora.lmHeadTokens === undefined) throw new AhaError('LoRA trainable_tokens_lm_head: resolve the tokens first (resolveLoraTokens)');
    this.tokenRows = this.trainableRows(lora.trainableTokens ?? [], 'embedding', 'trainable_tokens');
    if ((lora.lmHeadTokens ?? []).length > 0 && base.config.tie_word_embeddings) {
      throw new AhaError('LoRA trainable_tokens_lm_head: this model\'s lm_head is tied to its embedding, so the trainable token rows already serve as its rows');
    }
    this.lmHeadRows = this.trainableRows(lora.lmHeadTokens ?? [], 'lm_head', 'lm_head rows');
    for (const p of base.parameters().values()) p.requiresGrad = false;
    const hook: LinearHook = {
      apply: (module, x, y) => this.apply(module, x, y),
      applyPacked: (parts, x, y) => this.applyPacked(parts, x, y),
      tokenRows: () => (this.enabled ? (this.standIn ?? this).tokenRows : null),
      lmHeadRows: () => (this.enabled ? (this.standIn ?? this).lmHeadRows : null),
    };
    this.base.setLinearHook(hook);
  }

  /** Trainable copies of the base's rows `tokens` of its embedding or lm_head (null for none). */
  private trainableRows(tokens: readonly (number | string)[], matrix: 'embedding' | 'lm_head', what: string): TokenRows | null {
    if (tokens.length === 0) return null;
    if (tokens.some((t) => typeof t !== 'number')) throw new AhaError(`LoRA ${what} must be resolved to ids first (resolveLoraTokens)`);
    const ids = Int32Array.from(tokens as number[]);
    const vocab = this.config.vocab_size;
    if (ids.some((id) => id < 0 || id >= vocab) || new Set(ids).size !== ids.length) throw new AhaError(`LoRA ${what} ${[...ids].join(', ')}: ids must be distinct and in [0, ${vocab})`);
    const values = this.base.baseRows(matrix, ids);
    return { ids, rows: parameter(values.slice(), [ids.length, values.length / ids.length]), base: values };
  }

  private apply(module: string, x: Tensor, y: Tensor): Tensor {
    const ad = this.enabled ? (this.standIn ?? this).adapters.get(module) : undefined;
    if (!ad) return y;
    return loraAddInPlace(y, x, ad.A, ad.B, ad.scale);
  }

  /** The adapters of projections whose outputs lie side by side in y (the fused layer's packed products), as one op. */
  private applyPacked(parts: readonly PackedPart[], x: Tensor, y: Tensor): Tensor {
    if (!this.enabled) return y;
    const adapters = (this.standIn ?? this).adapters;
    const blocks: LoraBlock[] = [];
    let col = 0;
    for (const { module, width } of parts) {
      const ad = adapters.get(module);
      if (ad) blocks.push({ A: ad.A, B: ad.B, col, s: ad.scale });
      col += width;
    }
    return blocks.length === 0 ? y : loraAddBlocksInPlace(y, x, blocks, blocks[0].s!);
  }

  /** The adapters by PEFT tensor name (A and B of each module, the token rows). */
  parameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [module, ad] of [...this.adapters].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out.set(peftTensorName(module, 'A'), ad.A);
      out.set(peftTensorName(module, 'B'), ad.B);
    }
    if (this.tokenRows) out.set(TOKEN_ROWS_TENSOR, this.tokenRows.rows);
    if (this.lmHeadRows) out.set(LM_HEAD_ROWS_TENSOR, this.lmHeadRows.rows);
    return out;
  }

  forward(ids: Int32Array, batch: number, seqLen: number, positions?: Int32Array): Tensor {
    return this.base.forward(ids, batch, seqLen, positions);
  }

  createCache(batch: number, maxLen: number): KVCache {
    return this.base.createCache(batch, maxLen);
  }

  prefill(cache: KVCache, row: number, ids: Int32Array): Float32Array {
    return this.base.prefill(cache, row, ids);
  }

  prefillRows(cache: KVCache, rows: readonly number[], ids: readonly Int32Array[]): Float32Array {
    return this.base.prefillRows(cache, rows, ids);
  }

  decode(cache: KVCache, ids: Int32Array, active?: Uint8Array): Float32Array {
    return this.base.decode(cache, ids, active);
  }

  /** W + scale · B A for every adapted projection (module name → [out, in] f32), for merging. */
  deltas(): Map<string, Float32Array> {
    return noGrad(() => {
      const out = new Map<string, Float32Array>();
      // scale · B A as one matrix product per projection ([out, r] x [r, in]).
      for (const [module, ad] of this.adapters) out.set(module, scale(matmul(ad.B, ad.A), ad.scale).data);
      return out;
    });
  }

  /**
   * The adapter values now, or the values `values` gives by PEFT tensor name (an adapter file of
   * this model's shapes), as copies without gradients: a policy to hold fixed (`frozenPolicy`).
   */
  frozenCopy(values?: (name: string) => Float32Array | undefined): FrozenAdapters {
    const copy = (name: string, t: Tensor): Tensor => {
      const v = values ? values(name) : t.data;
      if (v === undefined || v.length !== t.size) throw new AhaError(`frozen adapter values: tensor "${name}" ${v === undefined ? 'is missing' : `has ${v.length} values, not ${t.size}`}`);
      return tensor(v.slice(), t.shape);
    };
    const rows = (tr: TokenRows | null, name: string): TokenRows | null => (tr ? { ids: tr.ids, rows: copy(name, tr.rows), base: tr.base } : null);
    return {
      adapters: new Map([...this.adapters].map(([m, ad]) => [m, { A: copy(peftTensorName(m, 'A'), ad.A), B: copy(peftTensorName(m, 'B'), ad.B), scale: ad.scale }])),
      tokenRows: rows(this.tokenRows, TOKEN_ROWS_TENSOR),
      lmHeadRows: rows(this.lmHeadRows, LM_HEAD_ROWS_TENSOR),
    };
  }

  /** Runs `fn` with the adapters switched off (`frozen` null) or with `frozen` in place of the trained ones. */
  runAs<T>(frozen: FrozenAdapters | null, fn: () => T): T {
    const was = { enabled: this.enabled, standIn: this.standIn };
    this.enabled = frozen !== null;
    this.standIn = frozen;
    try {
      return fn();
    } finally {
      this.enabled = was.enabled;
      this.standIn = was.standIn;
    }
  }

  /** Replaces adapter values from tensors named as PEFT names them; every adapter must be there, with its shape. */
  loadAdapterTensors(get: (name: string) => { shape: readonly number[]; data: Float32Array } | undefined, file: string): void {
    for (const [name, p] of this.parameters()) {
      const t = get(name);
      if (!t) throw new InputError({ file }, `tensor "${name}" is missing`);
      if (t.shape.length !== p.shape.length || t.shape.some((d, k) => d !== p.shape[k])) {
        throw new InputError({ file }, `tensor "${name}" has shape [${t.shape.join(', ')}] but the model and adapter_config.json need [${p.shape.join(', ')}]`);
      }
      p.data.set(t.data);
    }
  }
}

/** The adapted model's base with its adapters switched off for every call (GRPO's reference). */
export function adaptersOff(model: LoraModel): CausalLM {
  return frozenPolicy(model, null);
}

/**
 * The adapted model with `frozen` applied in place of its trained adapters for every call (or,
 * with null, none): a fixed policy on the same base, no second copy of the weights. GRPO's
 * reference when training goes on from an adapter folder is that adapter as the run started.
 */
export function frozenPolicy(model: LoraModel, frozen: FrozenAdapters | null): CausalLM {
  const off = <T>(fn: () => T): T => model.runAs(frozen, fn);
  return {
    config: model.config,
    parameters: () => new Map(),
    forward: (ids, batch, seqLen, positions) => off(() => model.forward(ids, batch, seqLen, positions)),
    createCache: (batch, maxLen) => model.createCache(batch, maxLen),
    prefill: (cache, row, ids) => off(() => model.prefill(cache, row, ids)),
    prefillRows: (cache, rows, ids) => off(() => model.prefillRows(cache, rows, ids)),
    decode: (cache, ids, active) => off(() => model.decode(cache, ids, active)),
  };
}

export function isLoraModel(model: CausalLM): model is LoraModel {
  return model instanceof LoraModel;
}

/** Turns gradient checkpointing (each layer recomputed in the backward pass) on or off for aha's transformer, adapted or not. */
export function setGradientCheckpointing(model: CausalLM, on: boolean): void {
  const net = (isLoraModel(model) ? model.base : model) as Partial<Pick<Transformer, 'gradientCheckpointing'>>;
  if (!('gradientCheckpointing' in net)) throw new AhaError('gradient checkpointing needs aha\'s transformer');
  net.gradientCheckpointing = on;
}
