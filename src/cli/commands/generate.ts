// `aha generate`: sample completions from a model folder for one prompt (--prompt) or a JSON
// Lines file of prompts or chat messages (--input). Flags and the input file are checked before
// the model is loaded; completions go to stdout (text, or one JSON line each with --json), the
// progress bar to stderr.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseNumber } from '../flags.js';
import { AhaError, InputError } from '../../util/errors.js';
import { readJsonl } from '../../util/jsonl.js';
import { checkAdapterFlag, isAdapterDir, loadModelOrAdapter } from '../../model/adapter.js';
import { sample } from '../../model/sampling.js';
import { setSamplingPrecision } from '../../model/sampling-precision.js';
import type { ChatMessage, Tokenizer } from '../../model/tokenizer.js';
import type { ChatTemplateArgs } from '../../model/chat-template.js';
import { chatTemplateArgFlag, chatTemplateArgOption } from '../chat-template-flag.js';
import { SAMPLING_PRECISION_HELP, samplingPrecisionFlag } from '../sampling-precision.js';

interface GenerateFlags {
  model?: string;
  adapter?: string;
  prompt?: string;
  input?: string;
  chat?: boolean;
  maxTokens: string;
  temperature: string;
  topP: string;
  topK: string;
  minP: string;
  repetitionPenalty: string;
  seed: string;
  stop: string[];
  samples: string;
  batchSize: string;
  json?: boolean;
  chatTemplateArg?: string[];
  bf16?: boolean;
  samplingPrecision?: string;
  quiet?: boolean;
}

/** One request: a plain prompt or chat messages, with the input line's id if it had one. */
interface Request {
  prompt?: string;
  messages?: ChatMessage[];
  id?: unknown;
}

function parseMessages(raw: unknown, file: string, line: number): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new InputError({ file, line, field: 'messages' }, 'must be a non-empty list of {role, content}');
  return raw.map((m, i) => {
    const msg = m as { role?: unknown; content?: unknown } | null;
    if (!msg || typeof msg.role !== 'string' || typeof msg.content !== 'string') {
      throw new InputError({ file, line, field: `messages[${i}]` }, 'must be an object with string "role" and "content"');
    }
    return { role: msg.role, content: msg.content };
  });
}

function readRequests(file: string): Request[] {
  const records = readJsonl(file);
  if (records.length === 0) throw new InputError({ file }, 'holds no prompts');
  return records.map(({ line, value }) => {
    if (typeof value.prompt === 'string') return { prompt: value.prompt, id: value.id };
    if (value.messages !== undefined) return { messages: parseMessages(value.messages, file, line), id: value.id };
    throw new InputError({ file, line, field: 'prompt' }, 'each line needs a string "prompt" or a "messages" list');
  });
}

function promptText(tok: Tokenizer, req: Request, chat: boolean, templateArgs: ChatTemplateArgs): { text: string; special: boolean } {
  if (req.messages) return { text: tok.applyChatTemplate(req.messages, { templateArgs }), special: false };
  if (chat) return { text: tok.applyChatTemplate([{ role: 'user', content: req.prompt! }], { templateArgs }), special: false };
  return { text: req.prompt!, special: true };
}

export function register(program: Command): void {
  program
    .command('generate')
    .description(
      'Sample completions from a model folder (Hugging Face layout: config.json, model.safetensors, tokenizer.json). ' +
        'Give one --prompt, or --input with a JSON Lines file whose lines hold "prompt" (plain text) or "messages" ' +
        '(rendered with the chat template); an "id" field is copied to --json output.',
    )
    .option('--model <dir>', 'model folder (a LoRA adapter folder works too: its base model is read from adapter_config.json)')
    .option('--adapter <dir>', 'apply this LoRA adapter folder (PEFT layout) to --model')
    .option('--prompt <text>', 'one prompt')
    .option('--input <file>', 'JSON Lines prompts ("prompt" or "messages" per line)')
    .option('--chat', 'wrap --prompt / "prompt" as a user message in the chat template')
    .option(...chatTemplateArgOption('with --chat or "messages"'))
    .option('--max-tokens <n>', 'new tokens at most per completion', '256')
    .option('--temperature <t>', 'sampling temperature; 0 = greedy', '1')
    .option('--top-p <p>', 'nucleus sampling: keep the most likely tokens up to this mass (1 = off)', '1')
    .option('--top-k <k>', 'keep the k most likely tokens (0 = off)', '0')
    .option('--min-p <p>', 'drop tokens less likely than p times the most likely one (0 = off)', '0')
    .option('--repetition-penalty <r>', "CTRL's penalty on tokens already in the prompt or completion (1 = off)", '1')
    .option('--seed <n>', 'random seed (same seed, same completions)', '0')
    .option('--stop <text>', 'stop string, cut from the completion (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--samples <n>', 'completions per prompt', '1')
    .option('--batch-size <n>', 'sequences decoded together', '64')
    .option('--sampling-precision <p>', SAMPLING_PRECISION_HELP)
    .option('--bf16', 'short for --sampling-precision bf16')
    .option('--json', 'one JSON line per completion: prompt, completion, tokens, finish_reason, logprob')
    .option('--quiet', 'no progress bar')
    .action((flags: GenerateFlags) => {
      // Everything about the flags and the input is checked before the model is loaded.
      if (!flags.model) throw new AhaError('--model <dir> is required (a model folder with config.json)');
      if (!existsSync(join(flags.model, 'config.json')) && !isAdapterDir(flags.model)) {
        throw new AhaError(`--model ${flags.model}: not a model folder (no config.json there)`);
      }
      checkAdapterFlag(flags.adapter);
      if ((flags.prompt === undefined) === (flags.input === undefined)) throw new AhaError('give exactly one of --prompt or --input');
      const precision = samplingPrecisionFlag(flags) ?? 'f32';
      const maxTokens = parseNumber('--max-tokens', flags.maxTokens, { min: 1, integer: true });
      const temperature = parseNumber('--temperature', flags.temperature, { min: 0 });
      const topP = parseNumber('--top-p', flags.topP, { min: Number.MIN_VALUE, max: 1 });
      const topK = parseNumber('--top-k', flags.topK, { min: 0, integer: true });
      const minP = parseNumber('--min-p', flags.minP, { min: 0, max: 1 });
      const repetitionPenalty = parseNumber('--repetition-penalty', flags.repetitionPenalty, { min: Number.MIN_VALUE });
      const seed = parseNumber('--seed', flags.seed, { min: 0, integer: true });
      const samples = parseNumber('--samples', flags.samples, { min: 1, integer: true });
      const batchSize = parseNumber('--batch-size', flags.batchSize, { min: 1, integer: true });
      if (flags.stop.some((s) => s === '')) throw new AhaError('--stop must not be empty');
      const templateArgs: ChatTemplateArgs = chatTemplateArgFlag(flags as unknown as Record<string, unknown>) ?? {};
      const requests: Request[] = flags.input !== undefined ? readRequests(flags.input) : [{ prompt: flags.prompt! }];
      if (requests.some((r) => r.prompt === '')) throw new AhaError('a prompt is empty');

      const { model, tokenizer, eosIds } = loadModelOrAdapter(flags.model, flags.adapter);
      setSamplingPrecision(model, precision, { option: flags.bf16 === true ? '--bf16' : '--sampling-precision', model: flags.model });
      const texts = requests.map((r) => promptText(tokenizer, r, flags.chat === true, templateArgs));
      const ids = texts.map((t) => tokenizer.encode(t.text, { addSpecialTokens: t.special }));
      const all = ids.flatMap((p) => Array.from({ length: samples }, () => p));
      const out = sample(model, all, {
        maxNewTokens: maxTokens,
        temperature,
        topP,
        topK,
        minP,
        repetitionPenalty,
        seed,
        stop: flags.stop,
        eosIds,
        tokenizer,
        batchSize,
        progress: flags.quiet ? false : 'generate',
      });
      out.forEach((s, k) => {
        const i = Math.floor(k / samples);
        const j = k % samples;
        if (flags.json) {
          const logprob = s.logprobs.reduce((a, b) => a + b, 0);
          const rec: Record<string, unknown> = { index: i, sample: j };
          if (requests[i].id !== undefined) rec.id = requests[i].id;
          Object.assign(rec, {
            prompt: texts[i].text,
            completion: s.text,
            tokens: s.tokens.length,
            finish_reason: s.finishReason,
            logprob,
          });
          process.stdout.write(JSON.stringify(rec) + '\n');
        } else {
          if (all.length > 1) process.stdout.write(`=== prompt ${i + 1}${samples > 1 ? `, sample ${j + 1}` : ''} (${s.tokens.length} tokens, ${s.finishReason}) ===\n`);
          process.stdout.write(s.text + '\n');
        }
      });
    });
}
