// `aha eval`: pass@1 over K samples, unbiased pass@k and maj@K on a benchmark, with aha's own
// model folder or any OpenAI-compatible server as the generator. This file parses and checks the
// flags and wires the parts; the harness is src/eval.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { numberFlag } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { benchmarkNames, benchmarkPath, findBenchmark, type BenchmarkFormat } from '../../tasks/benchmarks.js';
import { loadProblems, type FieldOptions } from '../../eval/problems.js';
import { defaultTemplateName, describeTemplates, resolveTemplate, templateNames } from '../../eval/templates.js';
import { RemoteGenerator } from '../../eval/remote.js';
import { runEval } from '../../eval/run.js';
import { summaryJson, summaryTable } from '../../eval/summary.js';
import type { ApiKind, Generator, SamplingOptions } from '../../eval/generator.js';

type Flags = Record<string, string | string[] | boolean | undefined>;

function str(flags: Flags, key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}

const slug = (s: string) => s.replace(/\/+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(-60) || 'model';

interface DataChoice {
  file: string;
  label: string;
  format?: BenchmarkFormat;
  include?: (r: Record<string, unknown>) => boolean;
}

function resolveData(value: string): DataChoice {
  if (existsSync(value)) return { file: value, label: basename(value).replace(/\.jsonl$/, '') };
  const b = findBenchmark(value);
  if (b) return { file: benchmarkPath(b), label: b.name, format: b.format, include: b.include };
  throw new AhaError(`--data ${value}: no such file, and not a bundled benchmark (${benchmarkNames().join(', ')})`);
}

async function action(flags: Flags): Promise<void> {
  // Everything is checked before a model is loaded or a request is sent.
  const dataArg = str(flags, 'data');
  if (!dataArg) throw new AhaError(`--data is required: a JSON Lines file or a bundled benchmark (${benchmarkNames().join(', ')})`);
  const model = str(flags, 'model');
  const endpoint = str(flags, 'endpoint');
  if (!model) throw new AhaError(endpoint ? '--model NAME is required with --endpoint (the model name the server serves)' : 'pass --model DIR (an aha/Hugging Face model folder) or --endpoint URL --model NAME');
  const adapter = str(flags, 'adapter');
  if (adapter !== undefined) {
    if (endpoint !== undefined) throw new AhaError('--adapter applies to a local --model folder; a server loads adapters itself (vLLM: --enable-lora --lora-modules NAME=DIR, then --model NAME)');
    const { checkAdapterFlag } = await import('../../model/adapter-files.js');
    checkAdapterFlag(adapter);
  }
  const api = (str(flags, 'api') ?? 'chat') as ApiKind;
  const samples = numberFlag(flags, 'samples', 1, { min: 1, max: 1024, integer: true });
  const remote = endpoint !== undefined;
  const sampling: SamplingOptions = {
    temperature: numberFlag(flags, 'temperature', 0.6, { min: 0, max: 5 }),
    topP: numberFlag(flags, 'topP', 0.95, { min: Number.MIN_VALUE, max: 1 }),
    maxTokens: numberFlag(flags, 'maxTokens', remote ? 4096 : 512, { min: 1, integer: true }),
  };
  if (flags.topK !== undefined) sampling.topK = numberFlag(flags, 'topK', 0, { min: 0, integer: true });
  const concurrency = numberFlag(flags, 'concurrency', 8, { min: 1, max: 4096, integer: true });
  const samplesPerRequest = numberFlag(flags, 'samplesPerRequest', 1, { min: 1, max: 1024, integer: true });
  const seed = numberFlag(flags, 'seed', 0, { min: 0, max: 2 ** 31 - 1, integer: true });
  const limit = flags.limit === undefined ? undefined : numberFlag(flags, 'limit', 0, { min: 1, integer: true });
  const timeoutS = numberFlag(flags, 'timeout', 600, { min: 0.001 });
  const retries = numberFlag(flags, 'retries', 5, { min: 0, max: 100, integer: true });
  const maxFailures = numberFlag(flags, 'maxFailures', 10, { min: 1, integer: true });
  const codeTimeoutS = numberFlag(flags, 'codeTimeout', 10, { min: 0.1, max: 600 });

  const data = resolveData(dataArg);
  // The verifier and sandbox load only when a command actually evaluates (keeps `aha --help` quick).
  const { graderFor, lastBoxed } = await import('../../eval/verifiers.js');
  const format = (str(flags, 'format') as BenchmarkFormat | undefined) ?? data.format;
  const fields: FieldOptions = { problem: str(flags, 'problemField'), answer: str(flags, 'answerField'), solution: str(flags, 'solutionField'), id: str(flags, 'idField') };
  const loaded = loadProblems({ file: data.file, label: data.label === dataArg ? data.file : dataArg, format, fields, include: data.include, lastBoxed });
  const problems = limit !== undefined ? loaded.problems.slice(0, limit) : loaded.problems;
  const template = resolveTemplate(str(flags, 'promptTemplate') ?? defaultTemplateName(loaded.format, api));
  const stop = flags.stop as string[] | undefined;
  if (stop !== undefined) sampling.stop = stop;
  else if (loaded.format === 'humaneval' && api === 'completions') sampling.stop = ['\ndef ', '\nclass ', '\nif __name__', '\nprint(', '\n#'];
  const lastNumberFallback = flags.lastNumber !== false;
  const grader = graderFor(loaded.format, { lastNumberFallback, codeTimeoutMs: codeTimeoutS * 1000 });
  const system = str(flags, 'system');

  let generator: Generator;
  if (remote) {
    generator = new RemoteGenerator({
      endpoint,
      model,
      api,
      apiKey: str(flags, 'apiKey') ?? process.env.OPENAI_API_KEY,
      system,
      timeoutMs: timeoutS * 1000,
      retries,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
    });
  } else {
    // Loaded only here: remote evaluation never needs the compute core.
    const { LocalGenerator } = await import('../../eval/local.js');
    generator = LocalGenerator.open(model, { api, system, adapter });
  }

  const out = str(flags, 'out') ?? `runs/eval-${data.label}-${slug(remote ? model : basename(model))}.jsonl`;
  const result = await runEval({
    problems,
    samples,
    generator,
    sampling,
    template,
    grader,
    concurrency,
    samplesPerRequest,
    outFile: out,
    settings: {
      // A bundled benchmark by name, so a moved or upgraded install still resumes; a file by its full path.
      data: data.format !== undefined ? `bundled:${data.label}` : resolve(data.file),
      format: loaded.format,
      backend: remote ? 'remote' : 'local',
      model,
      api,
      template: template.text,
      system: system ?? null,
      temperature: sampling.temperature,
      top_p: sampling.topP,
      top_k: sampling.topK ?? null,
      max_tokens: sampling.maxTokens,
      stop: sampling.stop ?? null,
      seed,
    },
    gradingSettings: { last_number_fallback: lastNumberFallback, code_timeout_s: codeTimeoutS },
    seed,
    maxFailures,
    regrade: flags.regrade === true,
    quiet: flags.quiet === true,
  });
  const ctx = { data: data.label, model: generator.description };
  const table = summaryTable(result, ctx);
  if (flags.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify(summaryJson(result, ctx)) + '\n');
  } else {
    process.stdout.write(table);
  }
}

export function register(program: Command): void {
  program
    .command('eval')
    .description(
      'Evaluate pass@1 (mean over K samples), unbiased pass@k and maj@K (majority vote) on a benchmark, with an aha model folder or an OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama). ' +
        'Samples are appended to --out as they finish; re-running the same command resumes.',
    )
    .option('--data <file|name>', `JSON Lines file, or a bundled benchmark: ${benchmarkNames().join(', ')}`)
    .option('--samples <k>', 'samples per problem, K (default 1)')
    .option('--model <dir|name>', 'model folder (local; a LoRA adapter folder works too), or with --endpoint the served model name')
    .option('--adapter <dir>', 'local model only: apply this LoRA adapter folder (PEFT layout) to --model')
    .option('--endpoint <url>', 'OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1')
    .addOption(new Option('--api <kind>', 'chat: /v1/chat/completions with the prompt as the user message; completions: /v1/completions with the raw prompt').choices(['chat', 'completions']).default('chat'))
    .option('--temperature <t>', 'sampling temperature (default 0.6)')
    .option('--top-p <p>', 'nucleus sampling (default 0.95)')
    .option('--top-k <k>', 'top-k sampling (not sent unless set; OpenAI itself rejects it)')
    .option('--max-tokens <n>', 'completion token limit (default 4096 remote, 512 local)')
    .option('--concurrency <n>', 'requests in flight (remote) or prompts decoded together (local) (default 8)')
    .option('--samples-per-request <n>', 'ask for up to n samples per request (servers that honour "n", e.g. vLLM); default 1')
    .option('--prompt-template <name|file>', `a named template (${templateNames().join(', ')}; see below) or a file with a {problem} placeholder`)
    .option('--system <text>', 'system message (chat)')
    .option('--stop <string...>', 'stop strings (default: none, except HumanEval on --api completions)')
    .option('--seed <n>', 'base seed; each sample gets its own seed derived from it (default 0)')
    .option('--limit <n>', 'evaluate only the first n problems')
    .option('--out <file>', 'samples file, one JSON line per sample (default runs/eval-<data>-<model>.jsonl); the per-problem summary goes to <out>.problems.jsonl')
    .option('--json', 'print the summary table on stderr and a JSON summary as the last line of stdout')
    .addOption(new Option('--format <kind>', 'how records are graded (default: bundled benchmark or detected from the fields)').choices(['math', 'humaneval', 'mbpp']))
    .option('--problem-field <name>', 'field with the problem text (default problem, else question)')
    .option('--answer-field <name>', 'field with the gold answer (default answer; "#### n" understood)')
    .option('--solution-field <name>', 'field whose last \\boxed{} is the gold when there is no answer (default solution)')
    .option('--id-field <name>', 'field with a unique problem id (default id, task_id, unique_id or idx, else the line number)')
    .option('--no-last-number', 'do not fall back to the last number of a completion that states no answer')
    .option('--code-timeout <s>', 'time limit of one sandboxed test program (default 10)')
    .option('--api-key <key>', 'bearer token for the server (default $OPENAI_API_KEY)')
    .option('--timeout <s>', 'per-request timeout in seconds (default 600)')
    .option('--retries <n>', 'retries of a request after 429, 5xx, timeouts or dropped connections (default 5)')
    .option('--max-failures <n>', 'stop after this many requests failed for good (default 10)')
    .option('--regrade', 'grade the samples already in --out again (after a verifier change)')
    .option('--quiet', 'no progress bar')
    .addHelpText('after', `\nPrompt templates:\n${describeTemplates()}\n\nExamples:\n  aha eval --data gsm8k --samples 4 --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-1.5B-Instruct --json\n  aha eval --data aime24 --samples 64 --endpoint http://127.0.0.1:8000 --model r1 --samples-per-request 16 --max-tokens 32768\n  aha eval --data my.jsonl --model runs/grpo/checkpoints/step-100 --api completions --prompt-template r1-zero`)
    .action((flags: Flags) => action(flags));
}
