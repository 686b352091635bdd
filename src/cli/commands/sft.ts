// `aha sft`: supervised fine-tuning on prompt/completion or chat data (loss on completion or
// assistant tokens only).
import type { Command } from 'commander';
import { numberFlag } from '../flags.js';
import { addTrainerOptions, rejectSettingsOnResume, threadsFlag, trainerFlags } from '../trainer-flags.js';
import { AhaError } from '../../util/errors.js';
import { runSft, SFT_DEFAULTS, type SftOptions } from '../../sft/sft-run.js';
import { assertTrainable, parseLoraSpec } from '../../model/lora.js';
import { addChatTemplateArgOption, chatTemplateArgFlag } from '../chat-template-flag.js';

type Flags = Record<string, string | boolean | undefined>;

function sftOptions(flags: Flags): SftOptions {
  if (typeof flags.model !== 'string') throw new AhaError('--model <dir> is required (the model folder to fine-tune)');
  if (typeof flags.data !== 'string') throw new AhaError('--data <file> is required (JSON Lines of {"prompt","completion"} or {"messages"})');
  const steps = flags.steps === undefined ? null : numberFlag(flags, 'steps', 1, { min: 1, integer: true });
  return {
    ...trainerFlags(flags, SFT_DEFAULTS),
    model: flags.model,
    data: flags.data,
    evalData: typeof flags.evalData === 'string' ? flags.evalData : null,
    evalFraction: numberFlag(flags, 'evalFraction', SFT_DEFAULTS.evalFraction, { min: 0, max: 0.5 }),
    seqLen: numberFlag(flags, 'maxLength', SFT_DEFAULTS.seqLen, { min: 2, integer: true }),
    steps,
    epochs: numberFlag(flags, 'epochs', SFT_DEFAULTS.epochs, { min: 1, integer: true }),
    threads: threadsFlag(flags),
    lora: typeof flags.lora === 'string' ? (assertTrainable(parseLoraSpec(flags.lora)), flags.lora) : null,
    chatTemplateArgs: chatTemplateArgFlag(flags) ?? {},
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('sft')
    .description(
      'Supervised fine-tuning (cold start, distillation): trains a model folder on JSON Lines of ' +
        '{"prompt", "completion"} (loss on the completion; both text, or both lists of messages as in TRL, ' +
        'rendered with the chat template) or {"messages": [{role, content}, …]} (chat template; loss on assistant ' +
        'turns, turn by turn for templates that rewrite earlier turns, such as R1-Distill\'s). Writes metrics.jsonl, ' +
        'checkpoints and <out>/model.',
    )
    .option('--model <dir>', 'model folder to fine-tune (config.json, model.safetensors, tokenizer.json), or a LoRA adapter folder whose adapter trains on')
    .option('--data <file>', 'JSON Lines training data')
    .option('--out <dir>', 'run folder (default runs/sft)')
    .option('--eval-data <file>', 'held-out JSON Lines data (default: hold out --eval-fraction of --data)')
    .option('--eval-fraction <x>', `share of --data held out for eval_loss when no --eval-data (default ${SFT_DEFAULTS.evalFraction})`)
    .option('--epochs <n>', `passes over the data (default ${SFT_DEFAULTS.epochs})`)
    .option('--steps <n>', 'optimiser steps (overrides --epochs; with --resume, extends the run)')
    .option('--max-length <n>', `tokens per example at most, longer ones are cut (default ${SFT_DEFAULTS.seqLen})`)
    .option('--lora <spec>', 'train LoRA adapters on the frozen base, e.g. r=16,alpha=32,dropout=0,targets=all-linear; trainable_tokens=<a>+<b> also trains those token rows (PEFT\'s trainable tokens; trainable_tokens_lm_head=true for an untied lm_head); <out>/model is then a PEFT adapter folder');
  addChatTemplateArgOption(cmd, 'renders {"messages"} lines and conversational pairs; a line\'s own "chat_template_kwargs" adds to it');
  addTrainerOptions(cmd, SFT_DEFAULTS).action(async (flags: Flags) => {
    const runDir = typeof flags.out === 'string' ? flags.out : 'runs/sft';
    const resume = flags.resume === true;
    if (resume) rejectSettingsOnResume(flags, ['resume', 'out', 'steps', 'threads', 'quiet']);
    const steps = resume && flags.steps !== undefined ? numberFlag(flags, 'steps', 1, { min: 1, integer: true }) : undefined;
    const threads = resume ? (threadsFlag(flags) ?? undefined) : undefined;
    const result = await runSft({ runDir, resume, options: resume ? undefined : sftOptions(flags), steps, threads, quiet: flags.quiet === true });
    const evalPart = result.lastEvalLoss !== null ? `, eval_loss ${result.lastEvalLoss.toFixed(4)}` : '';
    if (result.interrupted) {
      process.stderr.write(`stopped at step ${result.state.step}; checkpoint ${result.checkpointDir}; continue with: aha sft --out ${runDir} --resume\n`);
    } else {
      process.stderr.write(`done: ${result.state.step} steps, loss ${result.lastLoss.toFixed(4)}${evalPart}; model in ${result.modelDir}\n`);
    }
  });
}
