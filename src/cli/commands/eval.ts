// `aha eval`: pass@1 over K samples, unbiased pass@k and maj@K on a benchmark, with aha's own
// model folder or any OpenAI-compatible server as the generator. This file parses and checks the
// flags; the run is the library's evaluate() (src/eval/evaluate.ts).
import { Option, type Command } from 'commander';
import { numberFlag, optionalNumberFlag } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { benchmarkNames, type BenchmarkFormat } from '../../tasks/benchmarks.js';
import { describeTemplates, templateNames } from '../../eval/templates.js';
import { EVAL_DEFAULTS as D } from '../../eval/defaults.js';
import { runEvaluation, type EvaluateOptions } from '../../eval/evaluate.js';
import { summaryJson, summaryTable } from '../../eval/summary.js';
import type { ApiKind } from '../../eval/generator.js';
import type { ToolProtocol } from '../../eval/tool-chat.js';
import { SAMPLING_PRECISION_HELP, samplingPrecisionFlag } from '../sampling-precision.js';
import type { ChatTemplateArgs } from '../../model/chat-template.js';
import { chatTemplateArgFlag, chatTemplateArgOption } from '../chat-template-flag.js';

type Flags = Record<string, string | string[] | boolean | undefined>;

function str(flags: Flags, key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}

/** --chat-template-arg NAME=VALUE (repeatable) as evaluate()'s chatTemplateArgs; null when none. */
function chatTemplateArgs(flags: Flags): { chatTemplateArgs: ChatTemplateArgs } | null {
  const given = chatTemplateArgFlag(flags);
  if (given === null) return null;
  if (flags.api === 'completions') throw new AhaError('--chat-template-arg applies to --api chat: with --api completions no chat template is rendered');
  return { chatTemplateArgs: given };
}

async function action(flags: Flags): Promise<void> {
  // Flags are checked here, by their names; evaluate() checks the data and template before a
  // model is loaded or a request is sent.
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
  const optional = (key: string, rule: Parameters<typeof optionalNumberFlag>[2]) => optionalNumberFlag(flags, key, rule);
  const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
  const tools = str(flags, 'tools');
  const options: EvaluateOptions = {
    data: dataArg,
    model,
    adapter,
    endpoint,
    api: (str(flags, 'api') ?? 'chat') as ApiKind,
    samples: numberFlag(flags, 'samples', D.samples, { min: 1, max: 1024, integer: true }),
    temperature: numberFlag(flags, 'temperature', D.temperature, { min: 0, max: 5 }),
    topP: numberFlag(flags, 'topP', D.topP, { min: Number.MIN_VALUE, max: 1 }),
    topK: optional('topK', { min: 0, integer: true }),
    minP: optional('minP', { min: 0, max: 1 }),
    repetitionPenalty: optional('repetitionPenalty', { min: Number.MIN_VALUE }),
    maxTokens: optional('maxTokens', { min: 1, integer: true }),
    stop: flags.stop as string[] | undefined,
    concurrency: numberFlag(flags, 'concurrency', D.concurrency, { min: 1, max: 4096, integer: true }),
    samplesPerRequest: numberFlag(flags, 'samplesPerRequest', D.samplesPerRequest, { min: 1, max: 1024, integer: true }),
    seed: numberFlag(flags, 'seed', D.seed, { min: 0, max: 2 ** 31 - 1, integer: true }),
    limit: optional('limit', { min: 1, integer: true }),
    out: str(flags, 'out'),
    promptTemplate: str(flags, 'promptTemplate'),
    system: str(flags, 'system'),
    ...(chatTemplateArgs(flags) ?? {}),
    format: str(flags, 'format') as BenchmarkFormat | undefined,
    fields: { problem: str(flags, 'problemField'), answer: str(flags, 'answerField'), solution: str(flags, 'solutionField'), id: str(flags, 'idField') },
    lastNumberFallback: flags.lastNumber !== false,
    codeTimeoutMs: numberFlag(flags, 'codeTimeout', D.codeTimeoutS, { min: 0.1, max: 600 }) * 1000,
    apiKey: str(flags, 'apiKey'),
    timeoutMs: numberFlag(flags, 'timeout', D.timeoutS, { min: 0.001 }) * 1000,
    retries: numberFlag(flags, 'retries', D.retries, { min: 0, max: 100, integer: true }),
    maxFailures: numberFlag(flags, 'maxFailures', D.maxFailures, { min: 1, integer: true }),
    regrade: flags.regrade === true,
    quiet: flags.quiet === true,
    // The tool flags, named as `aha train` names them (docs/tools.md); evaluate() checks them together.
    tools: tools === undefined || tools === 'none' ? undefined : tools.split(',').map((t) => t.trim()),
    maxToolCalls: optional('maxToolCalls', { min: 1, integer: true }),
    toolTimeoutMs: ms(optional('toolTimeout', { min: 0.001, max: 3600 })),
    searchTopK: optional('searchTopK', { min: 1, integer: true }),
    searchCorpus: str(flags, 'searchCorpus'),
    toolProtocol: str(flags, 'toolProtocol') as ToolProtocol | undefined,
    samplingPrecision: samplingPrecisionFlag(flags),
  };
  const { quitOnStopSignals } = await import('../../util/stop-signals.js');
  const offStopSignals = quitOnStopSignals('stopped; every sample finished so far is saved; re-run the same command to resume');
  let evaluation;
  try {
    evaluation = await runEvaluation(options, { samplingPrecision: '--sampling-precision' });
  } finally {
    offStopSignals();
  }
  const { result, label, description } = evaluation;
  const ctx = { data: label, model: description };
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
    .option('--samples <k>', `samples per problem, K (default ${D.samples})`)
    .option('--model <dir|name>', 'model folder (local; a LoRA adapter folder works too), or with --endpoint the served model name')
    .option('--adapter <dir>', 'local model only: apply this LoRA adapter folder (PEFT layout) to --model')
    .option('--endpoint <url>', 'OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1')
    .addOption(new Option('--api <kind>', 'chat: /v1/chat/completions with the prompt as the user message; completions: /v1/completions with the raw prompt').choices(['chat', 'completions']).default('chat'))
    .option('--temperature <t>', `sampling temperature (default ${D.temperature})`)
    .option('--top-p <p>', `nucleus sampling (default ${D.topP})`)
    .option('--top-k <k>', 'top-k sampling (not sent unless set; OpenAI itself rejects it)')
    .option('--min-p <p>', 'min-p sampling: drop tokens less likely than p times the most likely one (not sent unless set)')
    .option('--repetition-penalty <r>', "CTRL's repetition penalty, 1 = off (not sent unless set)")
    .option('--max-tokens <n>', `completion token limit (default ${D.maxTokensRemote} remote, ${D.maxTokensLocal} local)`)
    .option('--concurrency <n>', `requests in flight (remote) or prompts decoded together (local) (default ${D.concurrency})`)
    .option('--samples-per-request <n>', `ask for up to n samples per request (servers that honour "n", e.g. vLLM); default ${D.samplesPerRequest}`)
    .option('--prompt-template <name|file>', `a named template (${templateNames().join(', ')}; see below) or a file with a {problem} placeholder`)
    .option('--system <text>', 'system message (chat)')
    .option(...chatTemplateArgOption('sent to a server as chat_template_kwargs'))
    .option('--stop <string...>', 'stop strings (default: none, except HumanEval on --api completions)')
    .option('--seed <n>', `base seed; each sample gets its own seed derived from it (default ${D.seed})`)
    .option('--limit <n>', 'evaluate only the first n problems')
    .option('--out <file>', 'samples file, one JSON line per sample (default runs/eval-<data>-<model>.jsonl); the per-problem summary goes to <out>.problems.jsonl')
    .option('--json', 'print the summary table on stderr and a JSON summary as the last line of stdout')
    .addOption(new Option('--format <kind>', 'how records are graded (default: bundled benchmark or detected from the fields)').choices(['math', 'humaneval', 'mbpp', 'code']))
    .option('--problem-field <name>', 'field with the problem text (default problem, else question)')
    .option('--answer-field <name>', 'field with the gold answer (default answer; "#### n" understood)')
    .option('--solution-field <name>', 'field whose last \\boxed{} is the gold when there is no answer (default solution)')
    .option('--id-field <name>', 'field with a unique problem id (default id, task_id, unique_id or idx, else the line number)')
    .option('--no-last-number', 'do not fall back to the last number of a completion that states no answer')
    .option('--code-timeout <s>', `time limit of one sandboxed test program (default ${D.codeTimeoutS})`)
    .option('--api-key <key>', 'bearer token for the server (default $OPENAI_API_KEY)')
    .option('--timeout <s>', `per-request timeout in seconds (default ${D.timeoutS})`)
    .option('--retries <n>', `retries of a request after 429, 5xx, timeouts or dropped connections (default ${D.retries})`)
    .option('--max-failures <n>', `stop after this many requests failed for good (default ${D.maxFailures})`)
    .option('--tools <names>', 'tools the served model may call while it answers: search, python (comma-separated; none = no tools); docs/tools.md')
    .addOption(new Option('--tool-protocol <kind>', "chat: the chat API's tool calls (default with --api chat); text: <search>…</search> in the model's text, as aha-trained models write (default with --api completions)").choices(['chat', 'text']))
    .option('--max-tool-calls <n>', 'tool calls per sample at most; one past it gets an error result, then a last turn without tools (default 4)')
    .option('--tool-timeout <s>', 'seconds one tool call may take; a slower call gets an error result (default 10)')
    .option('--search-corpus <file>', 'JSON Lines passages ({"text": ...}) the search tool indexes with BM25')
    .option('--search-top-k <k>', 'passages a search returns (default 3)')
    .option('--regrade', 'grade the samples already in --out again (after a verifier change)')
    .option('--sampling-precision <p>', `local model only: ${SAMPLING_PRECISION_HELP}`)
    .option('--bf16', 'short for --sampling-precision bf16')
    .option('--quiet', 'no progress bar')
    .addHelpText('after', `\nPrompt templates:\n${describeTemplates()}\n\nExamples:\n  aha eval --data gsm8k --samples 4 --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-1.5B-Instruct --json\n  aha eval --data aime24 --samples 64 --endpoint http://127.0.0.1:8000 --model r1 --samples-per-request 16 --max-tokens 32768\n  aha eval --data my.jsonl --model runs/grpo/checkpoints/step-100 --api completions --prompt-template r1-zero
  aha eval --data q.jsonl --endpoint http://127.0.0.1:8000/v1 --model qwen --tools search --search-corpus passages.jsonl`)
    .action((flags: Flags) => action(flags));
}
