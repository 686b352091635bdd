// LoRA adapter folders in PEFT's layout, which PEFT's `PeftModel.from_pretrained` and vLLM's
// `--lora-modules` read: adapter_config.json (peft_type "LORA", r, lora_alpha, target_modules,
// ...) and adapter_model.safetensors with tensors `base_model.model.<module>.lora_A.weight`
// [r, in] and `.lora_B.weight` [out, r]; with trainable token rows, trainable_token_indices (the
// ids) and the rows' values [n, hidden] as `base_model.model.model.embed_tokens.token_adapter.
// trainable_tokens_delta` (lora.ts says what PEFT stores there). Reading the config accepts
// adapters aha did not write (target_modules as a list or a regular expression, exclude_modules,
// layers_to_transform with layers_pattern, per-module ranks and alphas in rank_pattern /
// alpha_pattern, PEFT's bookkeeping fields, trainable_token_indices as a list or as
// {"embed_tokens": [...], "lm_head": [...]}) and refuses what aha cannot apply exactly (DoRA,
// modules_to_save, trained biases, token rows of other modules, unknown fields), naming the
// field. Loading the tensors is in adapter.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonObject } from '../util/json-file.js';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import { LORA_MODULES, type LoraConfig, type LoraModel } from './lora.js';
import { writeSafetensors } from './safetensors.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** Whether `dir` holds a PEFT adapter (its config file). */
export function isAdapterDir(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG_FILE));
}

/** adapter_config.json for `lora`, with the fields PEFT and vLLM read. */
export function adapterConfigJson(lora: LoraConfig, baseModel: string): Record<string, unknown> {
  const targets = lora.targets === 'all-linear' ? [...LORA_MODULES] : Array.isArray(lora.targets) ? [...lora.targets] : (lora.targets as { regex: string }).regex;
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    revision: null,
    r: lora.r,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    target_modules: targets,
    bias: 'none',
    fan_in_fan_out: false,
    modules_to_save: null,
    init_lora_weights: true,
    inference_mode: true,
    exclude_modules: lora.exclude === undefined ? null : Array.isArray(lora.exclude) ? [...lora.exclude] : (lora.exclude as { regex: string }).regex,
    layers_to_transform: lora.layers !== undefined && lora.layers.length > 0 ? [...lora.layers] : null,
    layers_pattern: lora.layersPattern !== undefined && lora.layersPattern.length > 0 ? [...lora.layersPattern] : null,
    rank_pattern: { ...lora.rankPattern },
    alpha_pattern: { ...lora.alphaPattern },
    use_rslora: lora.rslora,
    use_dora: false,
    trainable_token_indices: tokenIndicesJson(lora),
  };
}

/**
 * trainable_token_indices as PEFT writes it: null, the list of embedding ids, or with lm_head rows
 * the dict {"embed_tokens": [...], "lm_head": [...]}.
 */
function tokenIndicesJson(lora: LoraConfig): number[] | Record<string, number[]> | null {
  const embed = [...((lora.trainableTokens ?? []) as number[])], head = [...(lora.lmHeadTokens ?? [])];
  if (head.length === 0) return embed.length > 0 ? embed : null;
  return embed.length > 0 ? { embed_tokens: embed, lm_head: head } : { lm_head: head };
}

/** Writes adapter_config.json and adapter_model.safetensors (F32) into the existing folder `dir`. */
export function writeAdapterFiles(dir: string, model: LoraModel): void {
  atomicWriteFile(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(adapterConfigJson(model.lora, model.baseModelPath), null, 2) + '\n');
  const tensors = [...model.parameters()].map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
  writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors, { dtype: 'F32', metadata: { format: 'pt' } });
}

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/**
 * Fields of PEFT's LoraConfig that do not change what a trained adapter computes (bookkeeping,
 * initialisation), accepted with any value.
 */
const INERT = new Set([
  'peft_type', 'task_type', 'base_model_name_or_path', 'revision', 'inference_mode', 'auto_mapping',
  'loftq_config', 'eva_config', 'corda_config', 'megatron_core', 'peft_version', 'ensure_weight_tying', 'qalora_group_size',
]);
/**
 * init_lora_weights values whose initialisation also rewrites the base weights (W - B0 A0, or a
 * quantized W): an adapter saved with one of them still belongs to that rewritten base, and applied
 * to the published base it would be a different model. PEFT rewrites the value to true when it
 * converts such an adapter to plain LoRA on saving (path_initial_model_for_weight_conversion).
 * Other values (true, false, "gaussian", "eva", "orthogonal", ...) only choose A and B's start.
 */
const BASE_REWRITING_INIT = /^(pissa|olora|corda|loftq|lora_ga)/; // pissa_niter_N too
/** Fields aha reads. */
const READ = new Set([
  'r', 'lora_alpha', 'lora_dropout', 'target_modules', 'use_rslora', 'trainable_token_indices',
  'exclude_modules', 'layers_to_transform', 'layers_pattern', 'rank_pattern', 'alpha_pattern',
]);
/** Features aha does not implement: accepted only at their "off" value, refused otherwise. */
const OFF: Record<string, string> = {
  use_dora: 'DoRA adapters',
  modules_to_save: 'modules_to_save (fully trained extra modules)',
  layer_replication: 'layer_replication',
  fan_in_fan_out: 'fan_in_fan_out (Conv1D-style weights)',
  megatron_config: 'Megatron layers',
  lora_bias: 'LoRA biases (lora_bias)',
  use_qalora: 'QALoRA',
  target_parameters: 'target_parameters',
  alora_invocation_tokens: 'aLoRA',
  arrow_config: 'Arrow routing',
  // Written (as null) by PEFT 0.19 and later.
  lora_ga_config: 'LoRA-GA (lora_ga_config)',
  use_bdlora: 'block-diagonal LoRA (use_bdlora)',
  kasa_config: 'KaSA (kasa_config)',
  monteclora_config: 'MonteCLoRA (monteclora_config)',
  velora_config: 'VeLoRA (velora_config)',
};

export interface AdapterConfig {
  lora: LoraConfig;
  baseModel: string | null;
}

/** Reads and checks `dir`/adapter_config.json. */
export function readAdapterConfig(dir: string): AdapterConfig {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  if (!existsSync(file)) throw new AhaError(`${dir} is not a LoRA adapter folder (no ${ADAPTER_CONFIG_FILE})`);
  const raw = readJsonObject(file);
  const bad = (field: string, problem: string): never => {
    throw new InputError({ file, field }, problem);
  };
  for (const [key, value] of Object.entries(raw)) {
    if (INERT.has(key) || READ.has(key)) continue;
    if (key === 'bias') {
      if (value !== 'none') bad(key, `${JSON.stringify(value)} is not supported (trained biases); aha applies adapters with bias "none"`);
    } else if (key === 'init_lora_weights') {
      if (typeof value === 'string' && BASE_REWRITING_INIT.test(value)) {
        bad(key, `${JSON.stringify(value)}: this initialisation rewrites the base weights, so the adapter belongs to that rewritten base, not to the published one; ` +
          'convert it to plain LoRA with PEFT (save_pretrained(..., path_initial_model_for_weight_conversion=...)), or merge it into its own base');
      }
    } else if (key in OFF) {
      if (!isEmpty(value)) bad(key, `${OFF[key]} not supported by aha (value ${JSON.stringify(value)})`);
    } else bad(key, 'unknown field (aha does not know what it changes, so it will not guess)');
  }
  if (raw.peft_type !== 'LORA') bad('peft_type', `${JSON.stringify(raw.peft_type)}: only "LORA" adapters are supported`);
  if (raw.task_type !== undefined && raw.task_type !== null && raw.task_type !== 'CAUSAL_LM') bad('task_type', `${JSON.stringify(raw.task_type)}: aha applies adapters to causal language models (CAUSAL_LM)`);
  const r = raw.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) bad('r', `must be a positive integer, got ${JSON.stringify(r)}`);
  const alpha = raw.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !(alpha > 0)) bad('lora_alpha', `must be a positive number, got ${JSON.stringify(alpha)}`);
  const dropout = raw.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) bad('lora_dropout', `must be in [0, 1), got ${JSON.stringify(dropout)}`);
  const rslora = raw.use_rslora ?? false;
  if (typeof rslora !== 'boolean') bad('use_rslora', `must be true or false, got ${JSON.stringify(rslora)}`);
  const tm = raw.target_modules;
  const regex = (field: string, value: string): { regex: string } => {
    try {
      new RegExp(value);
    } catch (err) {
      bad(field, `not a regular expression aha can use: ${(err as Error).message}`);
    }
    return { regex: value };
  };
  let targets: LoraConfig['targets'];
  if (tm === 'all-linear') targets = 'all-linear';
  else if (typeof tm === 'string') targets = regex('target_modules', tm);
  else if (Array.isArray(tm) && tm.length > 0 && tm.every((t) => typeof t === 'string')) {
    // "q_proj", or a longer dotted name ending in one ("self_attn.q_proj", "model.layers.0.mlp.up_proj").
    const unknown = (tm as string[]).filter((t) => !(LORA_MODULES as readonly string[]).includes(t.slice(t.lastIndexOf('.') + 1)));
    if (unknown.length > 0) bad('target_modules', `${unknown.map((t) => JSON.stringify(t)).join(', ')}: aha adapts only ${LORA_MODULES.join(', ')}`);
    targets = tm as string[];
  } else bad('target_modules', `must be a list of module names or a regular expression, got ${JSON.stringify(tm)}`);
  const base = raw.base_model_name_or_path;
  const tokens = tokenIndices(raw.trainable_token_indices, (problem) => bad('trainable_token_indices', problem));
  const lora: LoraConfig = { r: r as number, alpha: alpha as number, dropout: dropout as number, targets: targets!, rslora: rslora as boolean, trainableTokens: tokens.embed, lmHeadTokens: tokens.lmHead };
  const ex = raw.exclude_modules;
  if (typeof ex === 'string') lora.exclude = regex('exclude_modules', ex);
  else if (Array.isArray(ex) && ex.every((t) => typeof t === 'string')) {
    if (ex.length > 0) lora.exclude = ex as string[];
  } else if (ex !== undefined && ex !== null) bad('exclude_modules', `must be a list of module names or a regular expression, got ${JSON.stringify(ex)}`);
  const layers = raw.layers_to_transform;
  if (layers !== undefined && layers !== null) {
    const list = typeof layers === 'number' ? [layers] : layers;
    if (!Array.isArray(list) || !list.every((l) => typeof l === 'number' && Number.isInteger(l) && l >= 0)) bad('layers_to_transform', `must be a layer index or a list of them, got ${JSON.stringify(layers)}`);
    // PEFT refuses this pair when it builds the config: a string target is matched whole, with no layer.
    if ((list as number[]).length > 0 && typeof tm === 'string' && tm !== 'all-linear') bad('layers_to_transform', 'cannot be used with target_modules as a regular expression (PEFT refuses the pair too)');
    if ((list as number[]).length > 0) lora.layers = list as number[];
  }
  const pattern = raw.layers_pattern;
  if (typeof pattern === 'string' && pattern !== '') lora.layersPattern = [pattern];
  else if (Array.isArray(pattern) && pattern.every((p) => typeof p === 'string')) {
    if (pattern.length > 0) lora.layersPattern = pattern as string[];
  } else if (pattern !== undefined && pattern !== null && pattern !== '') bad('layers_pattern', `must be a name or a list of names, got ${JSON.stringify(pattern)}`);
  for (const p of lora.layersPattern ?? []) regex('layers_pattern', p);
  lora.rankPattern = numberPattern(raw.rank_pattern, 'rank_pattern', (v) => Number.isInteger(v) && v >= 1, 'a positive integer', bad, regex);
  lora.alphaPattern = numberPattern(raw.alpha_pattern, 'alpha_pattern', (v) => v > 0, 'a positive number', bad, regex);
  for (const key of ['rankPattern', 'alphaPattern', 'layersPattern'] as const) if (lora[key] === undefined) delete lora[key];
  return { lora, baseModel: typeof base === 'string' ? base : null };
}

/** rank_pattern / alpha_pattern: {} or null for none, else module-name patterns to numbers. */
function numberPattern(
  v: unknown, field: string, ok: (value: number) => boolean, what: string,
  bad: (field: string, problem: string) => never, regex: (field: string, value: string) => unknown,
): Record<string, number> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) bad(field, `must be an object from module-name patterns to values, got ${JSON.stringify(v)}`);
  const entries = Object.entries(v as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (typeof value !== 'number' || !ok(value)) bad(field, `"${key}": must be ${what}, got ${JSON.stringify(value)}`);
    regex(field, key);
  }
  return entries.length > 0 ? (Object.fromEntries(entries) as Record<string, number>) : undefined;
}

/**
 * trainable_token_indices: null, a list of ids (PEFT: the input embedding's rows), or a dict from
 * module to ids of which aha applies the input embedding ("embed_tokens") and an untied lm_head
 * ("lm_head"). Ranges are checked against the model when the adapter is attached.
 */
function tokenIndices(v: unknown, bad: (problem: string) => never): { embed: number[]; lmHead: number[] } {
  if (v === undefined || v === null) return { embed: [], lmHead: [] };
  const list = (value: unknown, where: string): number[] => {
    if (!Array.isArray(value) || !value.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0)) bad(`${where}must be a list of token ids (non-negative integers), got ${JSON.stringify(value)}`);
    const ids = value as number[];
    const twice = ids.find((t, i) => ids.indexOf(t) !== i);
    if (twice !== undefined) bad(`${where}token ${twice} is listed twice`);
    return ids;
  };
  if (typeof v !== 'object' || Array.isArray(v)) return { embed: list(v, ''), lmHead: [] };
  const entries = Object.entries(v as Record<string, unknown>);
  const other = entries.map(([k]) => k).filter((k) => !['embed_tokens', 'model.embed_tokens', 'lm_head'].includes(k));
  if (other.length > 0) bad(`token rows of ${other.map((k) => JSON.stringify(k)).join(', ')} are not supported: aha trains rows of the input embedding (embed_tokens) and of lm_head`);
  const embedKeys = entries.filter(([k]) => k !== 'lm_head');
  if (embedKeys.length > 1) bad('"embed_tokens" and "model.embed_tokens" name the same module; give one');
  const head = entries.find(([k]) => k === 'lm_head');
  return { embed: embedKeys.length === 1 ? list(embedKeys[0][1], `"${embedKeys[0][0]}": `) : [], lmHead: head ? list(head[1], '"lm_head": ') : [] };
}

/** Checks an --adapter flag names an adapter folder (before anything loads). */
export function checkAdapterFlag(adapterDir: string | undefined, flag = '--adapter'): void {
  if (adapterDir === undefined) return;
  if (!existsSync(adapterDir)) throw new AhaError(`${flag} ${adapterDir} does not exist`);
  if (!isAdapterDir(adapterDir)) throw new AhaError(`${flag} ${adapterDir}: not a LoRA adapter folder (no ${ADAPTER_CONFIG_FILE})`);
  readAdapterConfig(adapterDir);
}
