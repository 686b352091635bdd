// Pipeline recipes: YAML with a name and an ordered list of stages (name, kind, config). This
// file parses a recipe and validates all of it before anything runs: the stage kinds and names,
// each stage's config keys and values (configs.ts), references to earlier stages'
// outputs, and that the model folders and data files it names exist. Errors name the recipe
// file, the YAML line, the stage and the field.
import { existsSync, statSync } from 'node:fs';
import { readUtf8File } from '../util/text-file.js';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Document } from 'yaml';
import { AhaError, InputError } from '../util/errors.js';
import { bundledPath, packageRoot } from '../util/paths.js';
import { hasReward } from '../rewards/index.js';
import { isAdapterDir } from '../model/adapter-files.js';
import { bundledModel } from '../rl/config.js';
import { registerTaskRewards } from '../tasks/rewards.js';
import { ConfigFieldError, evalConfig, grpoConfig, rewardModelConfig, sampleConfig, sftConfig, STAGE_KINDS, type StageKind } from './configs.js';
import { isLearnedReward } from '../rl/learned-on.js';
import { dataChoices, dataKind } from './problems.js';
import { didYouMean } from '../util/near-name.js';

export interface RecipeStage {
  name: string;
  kind: StageKind;
  /** As written, with `${stages.<name>.output}` references still in it. */
  config: Record<string, unknown>;
  /** Hash of kind and config: a finished stage whose recipe entry changed is not silently reused. */
  hash: string;
  /** 1-based YAML line of the stage entry. */
  line?: number;
}

export interface Recipe {
  name: string;
  file: string;
  /** The pipeline's run folder (default runs/<name>). */
  runDir: string;
  stages: RecipeStage[];
}

const STAGE_NAME = /^[A-Za-z0-9_-]+$/;
const REF = /\$\{([^}]*)\}/g;
const REF_SHAPE = /^stages\.([A-Za-z0-9_-]+)\.output$/;
const TOP_KEYS = ['name', 'run_dir', 'description', 'stages'];
const STAGE_KEYS = ['name', 'kind', 'config', 'description'];

/** Fields whose literal values are paths checked for existence, per kind. */
const PATH_FIELDS: Record<StageKind, string[]> = { sft: ['model', 'data', 'eval_data'], grpo: ['model', 'data'], sample: ['model', 'data'], eval: ['model', 'data'], reward_model: ['model', 'data', 'eval_data'] };

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function stageHash(kind: string, config: Record<string, unknown>): string {
  return createHash('sha256').update(stableJson({ kind, config })).digest('hex').slice(0, 16);
}

/** Every `${…}` reference in a config value, as its inner text. */
export function referencesIn(v: unknown): string[] {
  if (typeof v === 'string') return [...v.matchAll(REF)].map((m) => m[1].trim());
  if (Array.isArray(v)) return v.flatMap(referencesIn);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(referencesIn);
  return [];
}

/** Replaces `${stages.<name>.output}` in every string of a config with the stage's output. */
export function substitute(v: unknown, outputs: ReadonlyMap<string, string>): unknown {
  if (typeof v === 'string') {
    return v.replace(REF, (_, inner: string) => {
      const m = REF_SHAPE.exec(inner.trim());
      const out = m ? outputs.get(m[1]) : undefined;
      if (out === undefined) throw new Error(`internal: unresolved reference \${${inner}}`);
      return out;
    });
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, outputs));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, outputs)]));
  return v;
}

/**
 * A path from a recipe: as given when it exists (relative to the working folder), else the same
 * path inside the aha package (so shipped recipes find models/ and data/ when run from elsewhere).
 */
export function resolveRecipePath(p: string): string {
  if (existsSync(p)) return resolve(p);
  const inPackage = join(packageRoot(), p);
  return existsSync(inPackage) ? inPackage : resolve(p);
}

/** Resolves the literal path fields of a config (values with references are left alone). */
export function resolvePaths(kind: StageKind, config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  const isPath = (field: string, value: string): boolean => {
    if (referencesIn(value).length > 0) return false;
    // A served model is a name; a generation stage's data may name a task or benchmark.
    if (field === 'model') return config.endpoint === undefined;
    if (field === 'data' && (kind === 'sample' || kind === 'eval')) return dataKind(value) === 'file' || dataKind(value) === null;
    return true;
  };
  const resolveOne = (field: string, x: unknown) => (typeof x === 'string' && isPath(field, x) ? resolveRecipePath(x) : x);
  for (const f of PATH_FIELDS[kind]) {
    const v = out[f];
    if (v !== undefined) out[f] = Array.isArray(v) ? v.map((x) => resolveOne(f, x)) : resolveOne(f, v);
  }
  return out;
}

class RecipeErrors {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The 1-based line of the key (in a mapping) or item (in a list) at `path`, else its closest parent's. */
  lineOf(path: (string | number)[]): number | undefined {
    for (let n = path.length; n >= 1; n--) {
      const parent = this.doc.getIn(path.slice(0, n - 1), true);
      const last = path[n - 1];
      let node: { range?: [number, number, number] | null } | undefined;
      if (isMap(parent)) node = parent.items.find((p) => isScalar(p.key) && p.key.value === last)?.key as typeof node;
      else if (isSeq(parent) && typeof last === 'number') node = parent.items[last] as typeof node;
      if (node?.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }

  fail(path: (string | number)[], stage: string | null, field: string | null, problem: string): never {
    const where = [stage !== null ? `stage "${stage}"` : null, field !== null ? `field "${field}"` : null].filter(Boolean).join(', ');
    throw new InputError({ file: this.file, line: this.lineOf(path) }, (where ? where + ': ' : '') + problem);
  }
}

function checkPathExists(kind: StageKind, field: string, value: string, given: string, config: Record<string, unknown>): string | null {
  if (field === 'model') {
    if (config.endpoint !== undefined) return null;
    if (!existsSync(value)) return `model folder ${value} does not exist`;
    if (!statSync(value).isDirectory() || !(existsSync(join(value, 'config.json')) || isAdapterDir(value))) return `${value} is not a model folder (no config.json) nor a LoRA adapter folder (no adapter_config.json)`;
    return null;
  }
  if (field === 'data' && (kind === 'sample' || kind === 'eval')) return dataKind(value) === null ? `data "${given}" is not ${dataChoices()}` : null;
  return existsSync(value) ? null : `file ${value} does not exist`;
}

/**
 * A training stage whose model is a LoRA adapter folder (an earlier LoRA stage's output, or a
 * folder on disk) trains those adapters further, as `aha train` and `aha sft` do; new adapters
 * (`lora:`) there are refused now, not when the stage's turn comes.
 */
function checkTrainingOnAdapter(stage: RecipeStage, earlier: readonly RecipeStage[], resolved: Record<string, unknown>, fail: (field: string, problem: string) => never): void {
  const { kind, config } = stage;
  if ((kind !== 'sft' && kind !== 'grpo') || typeof config.model !== 'string') return;
  const ref = /^\$\{(.*)\}$/.exec(config.model.trim());
  const from = ref ? earlier.find((x) => x.name === REF_SHAPE.exec(ref[1])?.[1]) : undefined;
  const adapter = from !== undefined
    ? (from.kind === 'sft' || from.kind === 'grpo') && from.config.lora !== undefined && from.config.lora !== null
    : ref === null && typeof resolved.model === 'string' && existsSync(resolved.model) && isAdapterDir(resolved.model);
  if (!adapter) return;
  const what = from !== undefined ? `stage "${from.name}" trains LoRA adapters, so its output is an adapter folder` : `${config.model} is a LoRA adapter folder`;
  if (config.lora !== undefined && config.lora !== null) {
    fail('lora', `${what}, whose adapters this stage trains further; drop lora: here to do that, or merge them into their base with npx aha merge and give the merged folder as this stage's model to train new adapters`);
  }
}

/** A stand-in for outputs not made yet: lets the config checks run on referencing values. */
function placeholders(stages: readonly RecipeStage[]): Map<string, string> {
  return new Map(stages.map((s) => [s.name, `<output of ${s.name}>`]));
}

function validateStageConfig(stage: RecipeStage, config: Record<string, unknown>, runDir: string): void {
  switch (stage.kind) {
    case 'sample':
      sampleConfig(config);
      return;
    case 'eval':
      evalConfig(config);
      return;
    case 'sft':
      sftConfig(config);
      return;
    case 'grpo': {
      const cfg = grpoConfig(config, join(runDir, stage.name));
      registerTaskRewards();
      for (const r of cfg.rewards) if (!hasReward(r.name) && !isLearnedReward(r.name)) throw new ConfigFieldError('rewards', `unknown reward "${r.name}"`);
      return;
    }
    case 'reward_model':
      rewardModelConfig(config);
      return;
  }
}

/** Parses and validates a recipe text (`file` names it in errors; run_dir defaults to runs/<name>). */
export function parseRecipe(text: string, file: string, opts: { runDir?: string } = {}): Recipe {
  const lines = new LineCounter();
  // YAML 1.1 merge keys (<<: *anchor) let stages share settings; without them '<<' would be an unknown option.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new InputError({ file, line: lines.linePos(e.pos[0]).line }, `not valid YAML (${e.message.split('\n')[0]})`);
  }
  const E = new RecipeErrors(file, doc, lines);
  const root: unknown = doc.toJS();
  if (root === null || typeof root !== 'object' || Array.isArray(root) || !isMap(doc.contents)) E.fail([], null, null, 'a recipe is a mapping with "name" and "stages"');
  const top = root as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!TOP_KEYS.includes(k)) E.fail([k], null, k, `unknown key${didYouMean(k, TOP_KEYS)}; known: ${TOP_KEYS.join(', ')}`);
  if (typeof top.name !== 'string' || !STAGE_NAME.test(top.name)) E.fail(['name'], null, 'name', 'required: the pipeline name (letters, digits, _ and -), which names its run folder');
  if (top.run_dir !== undefined && (typeof top.run_dir !== 'string' || top.run_dir === '')) E.fail(['run_dir'], null, 'run_dir', 'must be a folder path');
  if (!Array.isArray(top.stages) || top.stages.length === 0) E.fail(['stages'], null, 'stages', 'required: a non-empty list of stages');
  const runDir = resolve(opts.runDir ?? (top.run_dir as string | undefined) ?? join('runs', top.name as string));

  const stages: RecipeStage[] = [];
  (top.stages as unknown[]).forEach((raw, i) => {
    const at = ['stages', i];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) E.fail(at, null, null, `stage ${i + 1} must be a mapping with name, kind and config`);
    const s = raw as Record<string, unknown>;
    const label = typeof s.name === 'string' ? s.name : `#${i + 1}`;
    for (const k of Object.keys(s)) if (!STAGE_KEYS.includes(k)) E.fail([...at, k], label, k, `unknown key${didYouMean(k, STAGE_KEYS)}; known: ${STAGE_KEYS.join(', ')}`);
    if (typeof s.name !== 'string' || !STAGE_NAME.test(s.name)) E.fail([...at, 'name'], label, 'name', 'required: letters, digits, _ and - (it names the stage folder)');
    if (stages.some((x) => x.name === s.name)) E.fail([...at, 'name'], label, 'name', 'another stage already has this name');
    if (typeof s.kind !== 'string' || !(STAGE_KINDS as readonly string[]).includes(s.kind)) E.fail([...at, 'kind'], label, 'kind', `must be one of ${STAGE_KINDS.join(', ')}, got ${JSON.stringify(s.kind)}`);
    const config = s.config === undefined || s.config === null ? {} : s.config;
    if (typeof config !== 'object' || Array.isArray(config)) E.fail([...at, 'config'], label, 'config', 'must be a mapping of options');
    const cfg = config as Record<string, unknown>;
    const kind = s.kind as StageKind;
    // References: only to earlier stages' outputs.
    for (const [key, value] of Object.entries(cfg)) {
      for (const ref of referencesIn(value)) {
        const m = REF_SHAPE.exec(ref);
        if (m === null) return E.fail([...at, 'config', key], label, key, `unknown reference \${${ref}}; write \${stages.<earlier stage>.output}`);
        if (!stages.some((x) => x.name === m[1])) {
          const later = (top.stages as Record<string, unknown>[]).some((x) => x && x.name === m[1]);
          E.fail([...at, 'config', key], label, key, later ? `\${${ref}} refers to a stage that runs later; a stage can only use the outputs of earlier stages` : `\${${ref}}: there is no stage "${m[1]}"`);
        }
      }
    }
    const stage: RecipeStage = { name: s.name as string, kind, config: cfg, hash: stageHash(kind, cfg), line: E.lineOf(at) };
    const resolved = resolvePaths(kind, substitute(cfg, placeholders(stages)) as Record<string, unknown>);
    try {
      validateStageConfig(stage, resolved, runDir);
    } catch (err) {
      // A mapping's entry (chat_template_kwargs.enable_thinking) is found on its own YAML line.
      if (err instanceof ConfigFieldError) E.fail([...at, 'config', ...err.field.split('.')], stage.name, err.field, err.problem);
      if (err instanceof AhaError) E.fail([...at, 'config'], stage.name, null, err.message);
      throw err;
    }
    for (const f of PATH_FIELDS[kind]) {
      // A grpo stage without a model trains its task's bundled base model (as `aha train` does).
      const bundled = kind === 'grpo' && f === 'model' && cfg.model === undefined ? bundledModel(typeof cfg.task === 'string' ? cfg.task : null) : undefined;
      const given = bundled ?? cfg[f];
      const list = Array.isArray(given) ? given : [given];
      const rv = bundled !== undefined ? resolveRecipePath(bundled) : resolved[f];
      const rlist = (Array.isArray(rv) ? rv : [rv]) as unknown[];
      list.forEach((x, j) => {
        if (typeof x !== 'string' || referencesIn(x).length > 0) return;
        const problem = checkPathExists(kind, f, rlist[j] as string, x, resolved);
        if (problem) E.fail([...at, 'config', f], stage.name, f, problem);
      });
    }
    checkTrainingOnAdapter(stage, stages, resolved, (field, problem) => E.fail([...at, 'config', field], stage.name, field, problem));
    stages.push(stage);
  });
  return { name: top.name as string, file, runDir, stages };
}

/** Reads a recipe file; a shipped one (`recipes/r1-arithmetic.yaml`) is found from any folder. */
export function readRecipe(given: string, opts: { runDir?: string } = {}): Recipe {
  const file = bundledPath(given);
  if (!existsSync(file)) throw new InputError({ file }, 'recipe file not found');
  return parseRecipe(readUtf8File(file), file, opts);
}
