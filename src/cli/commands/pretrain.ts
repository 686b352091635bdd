// `aha pretrain`: pretrains the small character-level base model of the R1-Zero demo on the
// synthetic corpus and saves it as a model folder that `aha train` and `aha generate` load.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AhaError } from '../../util/errors.js';
import { CharTokenizer } from '../../model/char-tokenizer.js';
import { readModelConfig } from '../../model/config-json.js';
import { readModelSettings } from '../../sft/model-settings.js';
import { demoModelConfig, PRETRAIN_TRAINER_DEFAULTS, runPretrain, type PretrainOptions } from '../../sft/pretrain-run.js';
import { CHARSET } from '../../tasks/charset.js';
import { PRETRAINING_CORPORA, pretrainingCorpus } from '../../tasks/corpus-registry.js';
import { numberFlag } from '../flags.js';
import { addTrainerOptions, rejectSettingsOnResume, threadsFlag, trainerFlags } from '../trainer-flags.js';

type Flags = Record<string, string | boolean | undefined>;

// The bundled base model's recipe (docs/corpus.md): about 45 minutes on 2 cores.
const DEFAULT_STEPS = 3500;

/**
 * Documents for one pass over the run: a row per document, or with --packing as many documents as
 * the rows' characters hold, from the mean length of a sample (each followed by its EOS).
 */
function onePass(corpus: string, trainer: { batchSize: number; gradAccum: number; batching: string; seed: number }, steps: number, seqLen: number): number {
  const rows = steps * trainer.batchSize * trainer.gradAccum;
  if (trainer.batching !== 'packed') return rows;
  const sample = pretrainingCorpus(corpus)({ seed: trainer.seed, documents: 256 });
  const mean = sample.reduce((n, d) => n + d.length + 1, 0) / sample.length;
  return Math.ceil((rows * seqLen) / mean);
}

function pretrainOptions(flags: Flags, runDir: string): PretrainOptions {
  const trainer = trainerFlags(flags, PRETRAIN_TRAINER_DEFAULTS);
  const vocab = new CharTokenizer({ chars: CHARSET }).vocabSize;
  const settings = typeof flags.config === 'string' ? readModelSettings(flags.config) : {};
  // Continued pretraining starts from the folder's config.json; --config changes only what it names.
  const initFrom = typeof flags.initFrom === 'string' ? resolve(flags.initFrom) : undefined;
  const model = initFrom !== undefined ? { ...readModelConfig(initFrom), ...settings } : demoModelConfig(vocab, settings);
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
    documents: numberFlag(flags, 'documents', onePass(corpus, trainer, steps, seqLen), { min: 1, integer: true }),
    heldOutDocuments: numberFlag(flags, 'evalDocuments', 200, { min: 0, integer: true }),
    chars: CHARSET,
    model,
    threads: threadsFlag(flags),
    ...(initFrom !== undefined ? { initFrom } : {}),
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
    .option('--out <dir>', 'where to write the model folder (default <run-dir>/model); a folder that already holds something is refused before training')
    .option('--run-dir <dir>', 'run folder for config.json, metrics.jsonl and checkpoints (default runs/pretrain)')
    .option('--steps <n>', `optimiser steps (default ${DEFAULT_STEPS}; with --resume, extends the run)`)
    .option('--documents <n>', 'corpus documents to generate (default: one pass, steps x batch size x grad accum, or with --packing as many as those rows hold)')
    .option('--eval-documents <n>', 'extra documents held out for eval_loss (default 200)')
    .option('--context <n>', `characters per training row (default ${PRETRAIN_TRAINER_DEFAULTS.seqLen})`)
    .option('--config <file>', 'JSON file of model settings overriding the demo model (e.g. {"num_hidden_layers": 6})')
    .option('--init-from <dir>', 'start from this model folder\'s weights instead of random ones (continued pretraining; its config.json is the model, --config may change only settings without weights, e.g. {"max_position_embeddings": 1024} with a longer --context; pick another --seed to see new documents)');
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
