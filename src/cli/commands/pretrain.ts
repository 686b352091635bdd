// `aha pretrain`: pretrains the small character-level base model of the R1-Zero demo on the
// synthetic corpus and saves it as a model folder that `aha train` and `aha generate` load.
import { readJsonObject } from '../../util/json-file.js';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { AhaError, InputError } from '../../util/errors.js';
import { CharTokenizer } from '../../model/char-tokenizer.js';
import type { ModelConfig } from '../../model/transformer-config.js';
import { demoModelConfig, PRETRAIN_TRAINER_DEFAULTS, runPretrain, type PretrainOptions } from '../../sft/pretrain-run.js';
import { CHARSET } from '../../tasks/charset.js';
import { PRETRAINING_CORPORA } from '../../tasks/corpora.js';
import { numberFlag } from '../flags.js';
import { addTrainerOptions, rejectSettingsOnResume, threadsFlag, trainerFlags } from './sft.js';

type Flags = Record<string, string | boolean | undefined>;

// The bundled base model's recipe (docs/corpus.md): about 45 minutes on 2 cores.
const DEFAULT_STEPS = 3500;

/** Model settings from a JSON file (a partial config.json), over the demo model's. */
function modelOverrides(file: string | undefined): Partial<ModelConfig> {
  if (file === undefined) return {};
  if (!existsSync(file)) throw new InputError({ file }, 'file not found');
  const raw = readJsonObject(file, 'a JSON object of model settings');
  const known = Object.keys(demoModelConfig(1));
  for (const [key, value] of Object.entries(raw)) {
    if (!known.includes(key)) throw new InputError({ file, field: key }, `unknown model setting (known: ${known.join(', ')})`);
    if (key !== 'model_type' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null) throw new InputError({ file, field: key }, 'must be a number');
  }
  return raw as Partial<ModelConfig>;
}

function pretrainOptions(flags: Flags, runDir: string): PretrainOptions {
  const trainer = trainerFlags(flags, PRETRAIN_TRAINER_DEFAULTS);
  const vocab = new CharTokenizer({ chars: CHARSET }).vocabSize;
  const model = demoModelConfig(vocab, modelOverrides(flags.config as string | undefined));
  const steps = numberFlag(flags, 'steps', DEFAULT_STEPS, { min: 1, integer: true });
  const seqLen = numberFlag(flags, 'context', Math.min(PRETRAIN_TRAINER_DEFAULTS.seqLen, model.max_position_embeddings), { min: 8, integer: true });
  if (seqLen > model.max_position_embeddings) throw new AhaError(`--context ${seqLen} exceeds the model's max_position_embeddings ${model.max_position_embeddings}`);
  const corpus = typeof flags.corpus === 'string' ? flags.corpus : 'arithmetic';
  return {
    ...trainer,
    command: 'pretrain',
    corpus,
    seqLen,
    steps,
    out: typeof flags.out === 'string' ? flags.out : `${runDir}/model`,
    // By default one pass: every training document is seen once, none repeats.
    documents: numberFlag(flags, 'documents', steps * trainer.batchSize * trainer.gradAccum, { min: 1, integer: true }),
    heldOutDocuments: numberFlag(flags, 'evalDocuments', 200, { min: 0, integer: true }),
    chars: CHARSET,
    model,
    threads: threadsFlag(flags),
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('pretrain')
    .description(
      'Pretrain a small base model of the R1-Zero demos: a character-level tokenizer, a 0.86M-parameter ' +
        'Llama-style model and a synthetic corpus (arithmetic, or Countdown level 0 for the default demo; ' +
        'models/*/README.md give the exact commands of the bundled ones). Writes a model folder (config.json, ' +
        'model.safetensors, tokenizer.json) plus a run folder with metrics and checkpoints. ' +
        'Deterministic for a seed and thread count.',
    )
    .option('--corpus <name>', `synthetic corpus: ${Object.keys(PRETRAINING_CORPORA).join(' or ')} (default arithmetic; docs/corpus.md)`)
    .option('--out <dir>', 'where to write the model folder (default <run-dir>/model)')
    .option('--run-dir <dir>', 'run folder for config.json, metrics.jsonl and checkpoints (default runs/pretrain)')
    .option('--steps <n>', `optimiser steps (default ${DEFAULT_STEPS}; with --resume, extends the run)`)
    .option('--documents <n>', 'corpus documents to generate (default: steps x batch size x grad accum, one pass)')
    .option('--eval-documents <n>', 'extra documents held out for eval_loss (default 200)')
    .option('--context <n>', `characters per training row (default ${PRETRAIN_TRAINER_DEFAULTS.seqLen})`)
    .option('--config <file>', 'JSON file of model settings overriding the demo model (e.g. {"num_hidden_layers": 6})');
  addTrainerOptions(cmd, PRETRAIN_TRAINER_DEFAULTS).action(async (flags: Flags) => {
    const runDir = typeof flags.runDir === 'string' ? flags.runDir : 'runs/pretrain';
    const resume = flags.resume === true;
    if (resume) rejectSettingsOnResume(flags, ['resume', 'runDir', 'steps', 'threads', 'quiet']);
    const result = await runPretrain({
      runDir,
      resume,
      options: resume ? undefined : pretrainOptions(flags, runDir),
      steps: resume && flags.steps !== undefined ? numberFlag(flags, 'steps', 1, { min: 1, integer: true }) : undefined,
      threads: resume ? (threadsFlag(flags) ?? undefined) : undefined,
      quiet: flags.quiet === true,
    });
    if (result.interrupted) {
      process.stderr.write(`stopped at step ${result.state.step}; checkpoint ${result.checkpointDir}; continue with: aha pretrain --run-dir ${runDir} --resume\n`);
    } else {
      const evalPart = result.lastEvalLoss !== null ? `, eval_loss ${result.lastEvalLoss.toFixed(4)}` : '';
      process.stderr.write(`done: ${result.state.step} steps, loss ${result.lastLoss.toFixed(4)}${evalPart}; model in ${result.modelDir}\n`);
    }
  });
}
