// `aha pretrain` as a function: the character-level tokenizer over the corpus's character set,
// a small Llama-style model, one of the synthetic corpora (tasks/corpus-registry.ts), the LM trainer with every
// token counted, and the final model folder. Deterministic for a seed and thread count.
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setNumThreads } from '../core/index.js';
import { loadModel, saveModel } from '../model/load-model.js';
import { CharTokenizer } from '../model/char-tokenizer.js';
import type { ModelConfig } from '../model/transformer-config.js';
import { createTransformer } from '../model/transformer.js';
import type { CausalLM } from '../model/causal-lm.js';
import { loadResumeCheckpoint, updateRunConfig, writeRunConfig } from '../model/training-run.js';
import { AhaError } from '../util/errors.js';
import { pretrainingCorpus } from '../tasks/corpus-registry.js';
import { splitHeldOut } from './batching.js';
import { everyTokenCounts, type TokenExample } from './examples.js';
import { openLmRun, resumePoint, trainLanguageModel, type TrainerConfig, type TrainResult } from './trainer.js';

export interface PretrainOptions extends TrainerConfig {
  command: 'pretrain';
  /** Where the final model folder goes. */
  out: string;
  /** Training documents (plus `heldOutDocuments` generated alongside for eval_loss). */
  documents: number;
  heldOutDocuments: number;
  /** The synthetic corpus by name (tasks/corpus-registry.ts); runs from before the choice existed used "arithmetic". */
  corpus?: string;
  /** Characters of the tokenizer's vocabulary. */
  chars: string;
  model: ModelConfig;
  threads: number | null;
  /**
   * A model folder the run starts from instead of random weights (continued pretraining, e.g. a
   * longer context: RoPE has no weights per position, so max_position_embeddings may grow). Its
   * tokenizer must be the character-level one over `chars`, and `model` must give every weight the
   * shape it has there.
   */
  initFrom?: string;
}

/**
 * The demo base model: Llama-style (RMSNorm, RoPE, SwiGLU), hidden 128, 4 layers of 2 heads of
 * 64, MLP 384, tied embeddings, context 384 characters: 0.86M parameters. Width 256 (3.4M
 * parameters) trained on the same 3,500 steps copied operands far worse (forced careful working
 * right 22% of the time against 82%; docs/corpus.md), and sampled 3-4 times slower.
 */
export function demoModelConfig(vocabSize: number, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'llama',
    vocab_size: vocabSize,
    hidden_size: 128,
    intermediate_size: 384,
    num_hidden_layers: 4,
    num_attention_heads: 2,
    num_key_value_heads: 2,
    max_position_embeddings: 384,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
    ...overrides,
  };
}

export const PRETRAIN_TRAINER_DEFAULTS: Omit<TrainerConfig, 'steps'> = {
  batchSize: 16,
  gradAccum: 1,
  seqLen: 384,
  batching: 'bucketed',
  lengthWindow: 16,
  lr: 2e-3,
  minLrRatio: 0.1,
  warmupSteps: 50,
  schedule: 'cosine',
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  maxGradNorm: 1,
  evalSteps: 100,
  saveSteps: 200,
  saveTotalLimit: null,
  seed: 1,
};

export interface PretrainRunOptions {
  runDir: string;
  options?: PretrainOptions;
  resume?: boolean;
  steps?: number;
  threads?: number;
  quiet?: boolean;
  signal?: AbortSignal;
  onStep?: (row: Readonly<Record<string, number>>) => void;
  log?: (line: string) => void;
}

export interface PretrainResult extends TrainResult {
  runDir: string;
  modelDir: string | null;
  parameters: number;
}

/** Each document as ids followed by EOS, every token counted. */
export function documentExamples(tok: CharTokenizer, docs: readonly string[]): TokenExample[] {
  return docs.map((d) => everyTokenCounts([...tok.encode(d, { addSpecialTokens: false }), tok.eosId]));
}

/** Model settings a continued run may change: none of them has or reshapes a weight. */
const SETTINGS_WITHOUT_WEIGHTS = new Set(['max_position_embeddings', 'rope_theta', 'rms_norm_eps']);

/**
 * The model of `config` holding the weights of the folder `dir` (--init-from). Refused when the
 * folder's tokenizer would give its embedding rows other characters, or when a weight's shape
 * differs (the settings changed the model's shape, not only settings without weights).
 */
function startingWeights(dir: string, config: ModelConfig, tok: CharTokenizer, chars: string): CausalLM {
  const loaded = loadModel(dir);
  const theirs = loaded.tokenizer;
  const ids = (t: CharTokenizer) => [...t.encode(chars, { addSpecialTokens: false }), t.eosId, t.padId].join();
  const sameIds = theirs instanceof CharTokenizer && theirs.vocabSize === tok.vocabSize && ids(theirs) === ids(tok);
  if (!sameIds) throw new AhaError(`--init-from ${dir}: its tokenizer is not aha's character-level tokenizer over the corpus's characters, so its embedding rows would stand for other characters`);
  // Settings that read the same weights differently (head counts, activation, tying) are refused
  // too, not only those that change a shape: the weights would load and mean something else.
  for (const key of new Set([...Object.keys(loaded.config), ...Object.keys(config)])) {
    if (SETTINGS_WITHOUT_WEIGHTS.has(key)) continue;
    const theirs = (loaded.config as unknown as Record<string, unknown>)[key];
    const ours = (config as unknown as Record<string, unknown>)[key];
    if (theirs !== undefined && ours !== undefined && JSON.stringify(theirs) !== JSON.stringify(ours)) {
      throw new AhaError(`--init-from ${dir}: ${key} is ${JSON.stringify(theirs)} there and ${JSON.stringify(ours)} in the settings given; only settings without weights (${[...SETTINGS_WITHOUT_WEIGHTS].join(', ')}) may differ from the folder's config.json`);
    }
  }
  const model = createTransformer(config, { seed: 0 });
  const from = loaded.model.parameters();
  const to = model.parameters();
  for (const [name, p] of to) {
    const q = from.get(name);
    if (q === undefined || q.shape.join() !== p.shape.join()) {
      throw new AhaError(`--init-from ${dir}: weight ${name} is [${q?.shape.join(', ') ?? 'absent'}] there and [${p.shape.join(', ')}] in the settings given`);
    }
    p.data.set(q.data);
  }
  for (const name of from.keys()) if (!to.has(name)) throw new AhaError(`--init-from ${dir}: weight ${name} has no place in the settings given`);
  return model;
}

export async function runPretrain(run: PretrainRunOptions): Promise<PretrainResult> {
  const log = run.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const runDir = resolve(run.runDir);
  // The model folder is written over at the end: a folder already holding something (another model)
  // is refused now, before the training it would cost, not replaced after it.
  const out = run.resume === true ? undefined : run.options?.out;
  if (out !== undefined && existsSync(out) && readdirSync(out).length > 0) throw new AhaError(`--out ${out} already exists and is not empty; choose a new folder for the model`);
  const opened = openLmRun<PretrainOptions>(runDir, 'pretrain', run.resume === true, run.options && { ...run.options, out: resolve(run.options.out) });
  let o = opened.options;
  const resumeFrom = opened.resumeFrom;
  const threads = run.threads ?? o.threads;
  if (threads !== null) setNumThreads(threads);
  if (run.steps !== undefined) o = { ...o, steps: run.steps };
  if (o.model.max_position_embeddings < o.seqLen) {
    throw new AhaError(`the context length ${o.seqLen} exceeds the model's max_position_embeddings ${o.model.max_position_embeddings}`);
  }

  const docs = pretrainingCorpus(o.corpus ?? 'arithmetic')({ seed: o.seed, documents: o.documents + o.heldOutDocuments });
  const { train: trainDocs, heldOut: heldDocs } = splitHeldOut(docs, o.heldOutDocuments, o.seed);
  let tok = new CharTokenizer({ chars: o.chars });
  let model;
  let resume: Parameters<typeof trainLanguageModel>[0]['resume'];
  if (resumeFrom) {
    const ckpt = loadResumeCheckpoint(resumeFrom);
    if (!(ckpt.tokenizer instanceof CharTokenizer)) throw new AhaError(`${resumeFrom}: expected the character-level tokenizer`);
    tok = ckpt.tokenizer;
    model = ckpt.model;
    resume = resumePoint(resumeFrom, ckpt);
    if (run.steps !== undefined) updateRunConfig(runDir, { steps: run.steps });
    log(`resuming ${runDir} from step ${resume.trainerState.step} of ${o.steps}`);
  } else {
    if (tok.vocabSize > o.model.vocab_size) throw new AhaError(`vocab_size ${o.model.vocab_size} is smaller than the tokenizer's ${tok.vocabSize} ids`);
    model = o.initFrom !== undefined ? startingWeights(o.initFrom, o.model, tok, o.chars) : createTransformer(o.model, { seed: o.seed });
    writeRunConfig(runDir, o);
  }
  const train = documentExamples(tok, trainDocs);
  const heldOut = documentExamples(tok, heldDocs);
  const parameters = [...model.parameters().values()].reduce((n, p) => n + p.data.length, 0);
  if (!resumeFrom) log(`pretrain: ${(parameters / 1e6).toFixed(2)}M parameters, ${train.length} documents (${heldOut.length} held out), ${o.steps} steps`);
  const result = await trainLanguageModel({ runDir, model, tokenizer: tok, train, heldOut, padId: tok.padId, config: o, resume, quiet: run.quiet, signal: run.signal, onStep: run.onStep });
  let modelDir: string | null = null;
  if (!result.interrupted) {
    saveModel(model, tok, o.out);
    modelDir = o.out;
  }
  return { ...result, runDir, modelDir, parameters };
}
