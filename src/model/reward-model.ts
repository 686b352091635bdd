// Reward models: the decoder body with a scalar head, in the Hugging Face
// `…ForSequenceClassification` layout (body tensors under "model.", the head as `score.weight`
// [1, hidden] without bias, num_labels 1, pad_token_id set so transformers finds each row's last
// real token). One network serves three kinds: a preference model (Bradley-Terry), an outcome
// model (ORM: is this answer right) and a process model (PRM: one score per step, read at each
// step-separator token). The kind and the separator ride in config.json under `aha_reward_model`;
// transformers ignores that field. A folder without it (a reward model trained elsewhere) loads as
// a preference model.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, parameter, type Tensor } from '../core/index.js';
import { atomicWriteDir, atomicWriteFile } from '../util/atomic.js';
import { AhaError, InputError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { Rng } from '../util/rng.js';
import { modelConfigJson, parseModelConfig } from './config-json.js';
import { loadModel } from './load-model.js';
import { LoraModel, resolveLoraTokens, writeTokenRows, type LoraConfig } from './lora.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';
import { Transformer } from './transformer.js';
import type { ModelConfig, ModelType } from './transformer-config.js';
import { loadWeights, locateTensors, saveWeights } from './weights.js';

export type RewardModelKind = 'preference' | 'outcome' | 'process';
export const REWARD_MODEL_KINDS: readonly RewardModelKind[] = ['preference', 'outcome', 'process'];

export interface RewardModel {
  readonly kind: RewardModelKind;
  readonly tokenizer: Tokenizer;
  /** The text after every step of a solution (PRM); its one token is where step scores are read. Null for other kinds. */
  readonly stepSeparator: string | null;
  /** The score at each sequence's last token that is not the pad token (transformers' rule; `lastPosition`). */
  scoreSequences(seqs: readonly Int32Array[]): Float32Array;
  /** PRM: one score per step-separator token in each sequence (every occurrence, in order). */
  scoreSteps(seqs: readonly Int32Array[]): Float32Array[];
}

/** The config.json field that records the kind and the step separator. */
export const REWARD_MODEL_FIELD = 'aha_reward_model';
export const SCORE_WEIGHT = 'score.weight';

const ARCHITECTURE: Record<ModelType, string> = {
  llama: 'LlamaForSequenceClassification',
  qwen2: 'Qwen2ForSequenceClassification',
  qwen3: 'Qwen3ForSequenceClassification',
  mistral: 'MistralForSequenceClassification',
};

/** Padded tokens per scoring forward: bounds activations as batched prefill does. */
const TOKENS_PER_PASS = 4096;

export interface ScalarRewardModelOptions {
  kind: RewardModelKind;
  tokenizer: Tokenizer;
  stepSeparator?: string | null;
  /** The head [1, hidden]; a seeded normal init (std 0.02, as transformers' initializer_range) when absent. */
  head?: Tensor;
  /** LoRA adapters on the body (the head is trained in full either way). */
  lora?: LoraModel | null;
  seed?: number;
  /** The config saved with the folder (default the body's own). */
  config?: ModelConfig;
  /**
   * config.json's pad_token_id: the token transformers skips when it looks for a row's last token
   * (default the tokenizer's pad id, which is what a new folder records; null: none, the last token).
   */
  padTokenId?: number | null;
}

/** aha's reward model: a Transformer body (lm_head, if any, unused) and the score head. */
export class ScalarRewardModel implements RewardModel {
  readonly kind: RewardModelKind;
  readonly tokenizer: Tokenizer;
  readonly stepSeparator: string | null;
  /** The separator's token id (process models), null otherwise. */
  readonly stepSeparatorId: number | null;
  readonly config: ModelConfig;
  readonly body: Transformer;
  readonly head: Tensor;
  readonly lora: LoraModel | null;
  /** config.json's pad_token_id (see lastPosition); null when the folder has none. */
  readonly padTokenId: number | null;

  constructor(body: Transformer, opts: ScalarRewardModelOptions) {
    this.body = body;
    this.config = opts.config ?? body.config;
    this.kind = opts.kind;
    this.tokenizer = opts.tokenizer;
    this.lora = opts.lora ?? null;
    const hidden = body.config.hidden_size;
    if (opts.head) {
      if (opts.head.shape.length !== 2 || opts.head.shape[0] !== 1 || opts.head.shape[1] !== hidden) {
        throw new AhaError(`reward model head must be [1, ${hidden}], got [${opts.head.shape.join(', ')}]`);
      }
      this.head = opts.head;
    } else {
      const rng = new Rng(opts.seed ?? 0);
      this.head = parameter(Float32Array.from({ length: hidden }, () => rng.normal() * 0.02), [1, hidden]);
    }
    this.stepSeparator = opts.kind === 'process' ? (opts.stepSeparator ?? '\n') : null;
    this.stepSeparatorId = this.stepSeparator === null ? null : separatorId(this.tokenizer, this.stepSeparator);
    this.padTokenId = opts.padTokenId === undefined ? this.tokenizer.padId : opts.padTokenId;
    if (this.stepSeparatorId !== null && this.stepSeparatorId === this.padTokenId) {
      // transformers would skip every trailing separator when it reads the sequence score.
      throw new AhaError(`step separator ${JSON.stringify(this.stepSeparator)} is the pad token (id ${this.padTokenId}); choose another separator`);
    }
  }

  /**
   * Where a sequence's score is read: its last token that is not pad_token_id, as transformers'
   * …ForSequenceClassification picks it (the rightmost non-pad token), so a sequence that itself
   * ends with that id (pad = eos, text ending in eos) is scored where transformers scores it, in
   * training and in scoring alike. Without a pad_token_id, the last token.
   */
  lastPosition(seq: Int32Array, i = 0): number {
    let p = seq.length - 1;
    if (this.padTokenId !== null) while (p >= 0 && seq[p] === this.padTokenId) p--;
    if (p < 0) throw new AhaError(`reward model: sequence ${i} holds only the pad token (id ${this.padTokenId}); there is no token to score`);
    return p;
  }

  /** Body weights by Hugging Face name as the folder stores them (LoRA merged in; no lm_head). */
  bodyWeights(): Map<string, { shape: readonly number[]; data: Float32Array }> {
    const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    const deltas = this.lora ? this.lora.deltas() : new Map<string, Float32Array>();
    for (const [name, t] of this.body.parameters()) {
      if (name === 'lm_head.weight') continue;
      const delta = deltas.get(name.replace(/\.weight$/, ''));
      if (delta && name.endsWith('.weight')) {
        const merged = Float32Array.from(t.data);
        for (let i = 0; i < merged.length; i++) merged[i] += delta[i];
        out.set(name, { shape: t.shape, data: merged });
      } else out.set(name, { shape: t.shape, data: t.data });
    }
    // Trained token rows replace the embedding's rows, as merging does.
    const tr = this.lora?.tokenRows;
    const embed = out.get('model.embed_tokens.weight');
    if (tr && embed) {
      const data = Float32Array.from(embed.data);
      writeTokenRows(data, tr);
      out.set('model.embed_tokens.weight', { shape: embed.shape, data });
    }
    return out;
  }

  /** What training updates: the adapters (with LoRA) or the whole body, and the head. */
  trainableParameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    if (this.lora) for (const [n, t] of this.lora.parameters()) out.set(n, t);
    else for (const [n, t] of this.body.parameters()) if (n !== 'lm_head.weight') out.set(n, t);
    out.set(SCORE_WEIGHT, this.head);
    return out;
  }

  /** Final hidden states [batch, seqLen, hidden] on the tape (adapters included). */
  hiddenStates(ids: Int32Array, batch: number, seqLen: number): Tensor {
    return this.body.hiddenStates(ids, batch, seqLen);
  }

  private checkLength(seq: Int32Array, i: number): void {
    if (seq.length === 0) throw new AhaError(`reward model: sequence ${i} is empty`);
    const ctx = this.config.max_position_embeddings;
    if (seq.length > ctx) throw new AhaError(`reward model: sequence ${i} has ${seq.length} tokens, more than the model's context of ${ctx}`);
  }

  /**
   * Calls `read(i, hidden, row, seqLen)` for every sequence with the final hidden states of its
   * padded row; sequences go shortest first in passes of at most TOKENS_PER_PASS padded tokens.
   */
  private eachHidden(seqs: readonly Int32Array[], read: (i: number, h: Float32Array, row: number, seqLen: number) => void): void {
    seqs.forEach((s, i) => this.checkLength(s, i));
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
    const pad = this.tokenizer.padId;
    noGrad(() => {
      let start = 0;
      while (start < order.length) {
        let end = start + 1;
        while (end < order.length && (end - start + 1) * seqs[order[end]].length <= TOKENS_PER_PASS) end++;
        const group = order.slice(start, end);
        const T = seqs[group[group.length - 1]].length;
        const ids = new Int32Array(group.length * T).fill(pad);
        group.forEach((i, b) => ids.set(seqs[i], b * T));
        const h = this.hiddenStates(ids, group.length, T).data;
        group.forEach((i, b) => read(i, h, b, T));
        start = end;
      }
    });
  }

  private dot(h: Float32Array, offset: number): number {
    const w = this.head.data;
    let s = 0;
    for (let k = 0; k < w.length; k++) s += w[k] * h[offset + k];
    return s;
  }

  scoreSequences(seqs: readonly Int32Array[]): Float32Array {
    return Float32Array.from(this.scoreAt(seqs, seqs.map((s, i) => [this.lastPosition(s, i)])), (v) => v[0]);
  }

  scoreSteps(seqs: readonly Int32Array[]): Float32Array[] {
    if (this.stepSeparatorId === null) throw new AhaError(`scoreSteps: this is a ${this.kind} reward model; step scores come from a process reward model`);
    const sep = this.stepSeparatorId;
    return this.scoreAt(seqs, seqs.map((s) => separatorPositions(s, sep)));
  }

  /** Scores at the given positions of each sequence (no gradient), in as few forwards as memory allows. */
  scoreAt(seqs: readonly Int32Array[], positions: readonly (readonly number[])[]): Float32Array[] {
    const out: Float32Array[] = seqs.map(() => new Float32Array(0));
    const H = this.config.hidden_size;
    this.eachHidden(seqs, (i, h, b, T) => {
      for (const p of positions[i]) if (!(p >= 0 && p < seqs[i].length)) throw new AhaError(`reward model: position ${p} is outside sequence ${i} (${seqs[i].length} tokens)`);
      out[i] = Float32Array.from(positions[i], (p) => this.dot(h, (b * T + p) * H));
    });
    return out;
  }
}

/** Positions of `sep` in `seq`. */
export function separatorPositions(seq: Int32Array, sep: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < seq.length; p++) if (seq[p] === sep) out.push(p);
  return out;
}

/** The single token id of a step separator; an error when the text is not one token. */
export function separatorId(tokenizer: Tokenizer, sep: string): number {
  const ids = tokenizer.encode(sep, { addSpecialTokens: false });
  if (sep === '' || ids.length !== 1) {
    throw new AhaError(`step separator ${JSON.stringify(sep)} is ${ids.length} tokens for this tokenizer; it must be exactly one (e.g. "\\n")`);
  }
  return ids[0];
}

/** The body of a reward model: the decoder with tied embeddings, so no lm_head is expected in the folder. */
function bodyFor(config: ModelConfig): Transformer {
  return new Transformer({ ...config, tie_word_embeddings: true }, { skipInit: true });
}

/**
 * A fresh reward model on the causal LM in `baseDir`: its body, a new head, and with `lora` new
 * adapters on the body (frozen base).
 */
export function createRewardModel(baseDir: string, opts: { kind: RewardModelKind; stepSeparator?: string | null; lora?: LoraConfig | null; seed?: number }): ScalarRewardModel {
  const loaded = loadModel(baseDir);
  const body = loaded.model as Transformer;
  if (!(body instanceof Transformer)) throw new AhaError('a reward model needs aha\'s transformer as its body');
  const spec = opts.lora ? resolveLoraTokens(opts.lora, loaded.config.vocab_size, (t) => loaded.tokenizer.tokenToId(t)) : null;
  const lora = spec ? new LoraModel(body, spec, { seed: opts.seed ?? 0, baseModelPath: baseDir }) : null;
  return new ScalarRewardModel(body, { kind: opts.kind, tokenizer: loaded.tokenizer, stepSeparator: opts.stepSeparator, lora, seed: opts.seed });
}

/** Writes the reward model as a Hugging Face sequence-classification folder, atomically. */
export function saveRewardModel(rm: ScalarRewardModel, dir: string): void {
  atomicWriteDir(dir, (tmp) => {
    const cfg = rm.config;
    const json = {
      ...modelConfigJson(cfg, 'float32'),
      architectures: [ARCHITECTURE[cfg.model_type]],
      num_labels: 1,
      id2label: { '0': 'LABEL_0' },
      label2id: { LABEL_0: 0 },
      pad_token_id: rm.padTokenId,
      [REWARD_MODEL_FIELD]: { kind: rm.kind, step_separator: rm.stepSeparator },
    };
    atomicWriteFile(join(tmp, 'config.json'), JSON.stringify(json, null, 2) + '\n');
    const weights = rm.bodyWeights();
    weights.set(SCORE_WEIGHT, rm.head);
    saveWeights(tmp, weights);
    rm.tokenizer.save(tmp);
  });
}

/** Whether `dir` holds a reward model (a sequence-classification config.json). */
export function isRewardModelDir(dir: string): boolean {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return false;
  const raw = readJsonFile(file) as { architectures?: unknown } | null;
  return Array.isArray(raw?.architectures) && raw.architectures.some((a) => typeof a === 'string' && a.endsWith('ForSequenceClassification'));
}

/** Reads the kind and the checks of a reward model's config.json; refuses anything else by file and field. */
function readRewardConfig(dir: string): { config: ModelConfig; kind: RewardModelKind; stepSeparator: string | null; padTokenId: number | null } {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new AhaError(`${dir}: not a model folder (no config.json)`);
  const raw = readJsonFile(file) as Record<string, unknown> | null;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError({ file }, 'expected a JSON object');
  const arch = raw.architectures;
  if (!Array.isArray(arch) || arch.length !== 1 || typeof arch[0] !== 'string' || !arch[0].endsWith('ForSequenceClassification')) {
    throw new InputError({ file, field: 'architectures' }, `${JSON.stringify(arch)} is not a reward model (a …ForSequenceClassification with one label); train one with \`aha rm train\``);
  }
  const labels = raw.num_labels ?? (raw.id2label && typeof raw.id2label === 'object' ? Object.keys(raw.id2label).length : undefined);
  if (labels !== 1) {
    throw new InputError({ file, field: raw.num_labels !== undefined ? 'num_labels' : 'id2label' }, `a reward model has one label (a scalar score), this config has ${JSON.stringify(labels)}`);
  }
  const config = parseModelConfig(raw, file);
  const own = raw[REWARD_MODEL_FIELD];
  if (own === undefined) return { config, kind: 'preference', stepSeparator: null, padTokenId: padTokenIdOf(raw, file, config.vocab_size) };
  if (own === null || typeof own !== 'object' || Array.isArray(own)) throw new InputError({ file, field: REWARD_MODEL_FIELD }, 'expected an object {kind, step_separator}');
  const o = own as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'kind' && k !== 'step_separator') throw new InputError({ file, field: `${REWARD_MODEL_FIELD}.${k}` }, 'unknown field (known: kind, step_separator)');
  if (!(REWARD_MODEL_KINDS as readonly unknown[]).includes(o.kind)) {
    throw new InputError({ file, field: `${REWARD_MODEL_FIELD}.kind` }, `${JSON.stringify(o.kind)}: expected ${REWARD_MODEL_KINDS.join(', ')}`);
  }
  const kind = o.kind as RewardModelKind;
  const sep = o.step_separator ?? null;
  if (sep !== null && typeof sep !== 'string') throw new InputError({ file, field: `${REWARD_MODEL_FIELD}.step_separator` }, 'must be a string or null');
  if (kind === 'process' && sep === null) throw new InputError({ file, field: `${REWARD_MODEL_FIELD}.step_separator` }, 'a process reward model needs its step separator');
  return { config, kind, stepSeparator: sep, padTokenId: padTokenIdOf(raw, file, config.vocab_size) };
}

/**
 * config.json's pad_token_id: an id in the vocabulary, or null when absent. A negative id (older
 * Llama configs write -1) matches no token, so transformers reads the last token: null here too.
 */
function padTokenIdOf(raw: Record<string, unknown>, file: string, vocab: number): number | null {
  const v = raw.pad_token_id;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v >= vocab) throw new InputError({ file, field: 'pad_token_id' }, `must be a token id below ${vocab} or null, got ${JSON.stringify(v)}`);
  return v < 0 ? null : v;
}

/** Loads a reward model folder (ours or transformers' …ForSequenceClassification with num_labels 1). */
export async function loadRewardModel(dir: string): Promise<RewardModel & ScalarRewardModel> {
  return loadRewardModelSync(dir);
}

/** `loadRewardModel` without the promise (trainers and setup code that run synchronously). */
export function loadRewardModelSync(dir: string): ScalarRewardModel {
  if (!existsSync(dir)) throw new AhaError(`reward model folder ${dir} does not exist`);
  const { config, kind, stepSeparator, padTokenId } = readRewardConfig(dir);
  const where = locateTensors(dir);
  if (!where.has(SCORE_WEIGHT)) {
    throw new InputError({ file: [...new Set(where.values())].join(', '), field: SCORE_WEIGHT }, 'missing: a reward model stores its scalar head as score.weight [1, hidden]');
  }
  const tokenizer = loadTokenizer(dir);
  const body = bodyFor(config);
  const head = parameter(new Float32Array(config.hidden_size), [1, config.hidden_size]);
  loadWeights(dir, new Map([...body.parameters(), [SCORE_WEIGHT, head]]), { tiedEmbeddings: true, where });
  return new ScalarRewardModel(body, { kind, tokenizer, stepSeparator, head, config, padTokenId });
}

/**
 * The ids a reward model reads for a prompt and a completion: the prompt as the tokenizer encodes
 * it, then the completion without special tokens. Training and scoring both go through here, so
 * the last token is the same in both.
 */
export function rewardInput(tokenizer: Tokenizer, prompt: string, completion: string): Int32Array {
  const p = tokenizer.encode(prompt);
  const c = tokenizer.encode(completion, { addSpecialTokens: false });
  const out = new Int32Array(p.length + c.length);
  out.set(p);
  out.set(c, p.length);
  return out;
}

/**
 * A process reward model's input: the prompt, then each step followed by the separator token;
 * `positions` are those separator tokens (one per step). A step containing the separator is
 * refused (it would add a step the labels do not have).
 */
export function stepInput(tokenizer: Tokenizer, separator: string, sepId: number, prompt: string, steps: readonly string[]): { ids: Int32Array; positions: number[] } {
  const parts: number[] = [...tokenizer.encode(prompt)];
  const positions: number[] = [];
  steps.forEach((s, i) => {
    if (s.includes(separator)) throw new AhaError(`step ${i} contains the step separator ${JSON.stringify(separator)}`);
    for (const id of tokenizer.encode(s, { addSpecialTokens: false })) parts.push(id);
    positions.push(parts.length);
    parts.push(sepId);
  });
  return { ids: Int32Array.from(parts), positions };
}

/**
 * A completion's steps for a process model: the text between separators, blank ones dropped (a
 * blank line is no step); a completion with no text is one empty step, so it still gets a score.
 * With `stepInput`, a completion is read as training reads its `steps`: each step followed by the
 * separator token, the last one too (a completion need not end with the separator, and a score
 * read at its last character is one the model was never trained on).
 */
export function completionSteps(completion: string, separator: string): string[] {
  const steps = completion.split(separator).filter((s) => s.trim() !== '');
  return steps.length > 0 ? steps : [''];
}
