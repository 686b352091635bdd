// `aha sample`: rejection sampling. K completions per problem from a model folder or a served
// teacher, kept when the verifier accepts them and they pass the readability filters, then
// deduplicated and written as an SFT data set with provenance. The flags are the pipeline's
// sample-stage options (snake_case there, kebab-case here), parsed by the same code.
import { Option, type Command } from 'commander';
import { AhaError } from '../../util/errors.js';
import type { SampleConfig, Schema } from '../../pipeline/configs.js';
import { DEFAULT_FILTERS, DEFAULT_THRESHOLDS, FILTER_NAMES } from '../../pipeline/filters.js';
import { dataChoices, dataKind } from '../../pipeline/problems.js';
import { SAMPLING_PRECISION_HELP } from '../sampling-precision.js';
import { chatTemplateArgFlag, chatTemplateArgOption } from '../chat-template-flag.js';

type Flags = Record<string, string | boolean | string[] | undefined>;

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const flagName = (field: string) => '--' + field.replace(/_/g, '-');

/** Commander's string flags -> the typed stage config (numbers parsed; the schema judges them). */
export function flagsToConfig(flags: Flags, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(flags)) {
    const field = snake(key);
    const f = schema[field];
    if (!f || raw === undefined) continue;
    if (typeof raw !== 'string') {
      out[field] = raw;
      continue;
    }
    const asNumber = (s: string) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s);
    if (f.type === 'int' || f.type === 'number') out[field] = asNumber(raw);
    else if (f.type === 'ints') out[field] = raw.split(',').map(asNumber);
    else if (f.type === 'strings') out[field] = raw.split(',');
    else out[field] = raw;
  }
  return out;
}

async function configFromFlags(flags: Flags): Promise<SampleConfig> {
  if (flags.data === undefined) throw new AhaError(`--data is required: ${dataChoices()}`);
  // Loaded on use: the stage configs pull in the trainers' defaults (and the compute core).
  const { ConfigFieldError, SAMPLE_SCHEMA, sampleConfig } = await import('../../pipeline/configs.js');
  const templateArgs = chatTemplateArgFlag(flags);
  try {
    return sampleConfig({ ...flagsToConfig(flags, SAMPLE_SCHEMA), ...(templateArgs !== null ? { chat_template_kwargs: templateArgs } : {}) });
  } catch (err) {
    if (err instanceof ConfigFieldError) throw new AhaError(`${err.field.startsWith('chat_template_kwargs') ? '--chat-template-arg' : flagName(err.field)}: ${err.problem}`);
    throw err;
  }
}

const slug = (s: string) => s.replace(/\/+$/, '').replace(/^.*\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60) || 'model';

async function action(flags: Flags): Promise<void> {
  const config = await configFromFlags(flags);
  if (dataKind(config.data) === null) throw new AhaError(`--data ${config.data}: no such file, and not a task or bundled benchmark (${dataChoices()})`);
  const out = typeof flags.out === 'string' ? flags.out : `runs/sample-${slug(config.data)}-${slug(config.model)}.jsonl`;
  const { sampleFromConfig, formatSummary, rawSamplesFile } = await import('../../pipeline/rejection-sampling.js');
  const { quitOnStopSignals } = await import('../../util/stop-signals.js');
  const offStopSignals = quitOnStopSignals(`stopped; every sample finished so far is saved in ${rawSamplesFile(out)}; re-run the same command to resume`);
  let summary;
  try {
    summary = await sampleFromConfig(config, { out, quiet: flags.quiet === true, precisionOption: '--sampling-precision' });
  } finally {
    offStopSignals();
  }
  if (flags.json) {
    process.stderr.write(formatSummary(summary));
    process.stdout.write(JSON.stringify(summary) + '\n');
  } else process.stdout.write(formatSummary(summary));
}

export function register(program: Command): void {
  const t = DEFAULT_THRESHOLDS;
  program
    .command('sample')
    .description(
      'Rejection sampling: generate K completions per problem with a model folder or an OpenAI-compatible server (a teacher for distillation), ' +
        'keep those the verifier accepts and that pass the readability filters, deduplicate, and write an SFT data set ({prompt, completion} plus provenance). ' +
        'Raw samples go to <out>.samples.jsonl as they finish; re-running the same command resumes.',
    )
    .option('--data <file|task|name>', dataChoices())
    .option('--model <dir|name>', 'model folder (local), or with --endpoint the served model name')
    .option('--endpoint <url>', 'OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1')
    .addOption(new Option('--api <kind>', 'chat or completions (default: chat with --endpoint, completions for a model folder)').choices(['chat', 'completions']))
    .option('--samples <k>', 'completions per problem, K (default 4)')
    .addOption(new Option('--keep <which>', 'correct: only completions the verifier accepts (default); all: any that pass the filters').choices(['correct', 'all']))
    .option('--filters <names>', `comma-separated readability filters: ${FILTER_NAMES.join(', ')}, or none (default ${DEFAULT_FILTERS.join(',')})`)
    .option('--language <code>', `language the thinking must be in (default ${t.language})`)
    .option('--min-language <x>', `least share of thinking words in that language (default ${t.minLanguage})`)
    .option('--min-chars <n>', `shortest completion kept, in characters (default ${t.minChars})`)
    .option('--max-chars <n>', `longest completion kept, in characters (default ${t.maxChars})`)
    .option('--ngram <n>', `word n-gram size of the repetition filter (default ${t.ngram})`)
    .option('--max-ngram-repeats <n>', `most occurrences of one n-gram (default ${t.maxNgramRepeats})`)
    .option('--max-paragraph-chars <n>', `longest thinking paragraph (between blank lines), in characters (default ${t.maxParagraphChars})`)
    .option('--out <file>', 'SFT data set to write (default runs/sample-<data>-<model>.jsonl); <out>.summary.json gets the counts')
    .addOption(new Option('--split <split>', 'task data: which split to draw problems from (default train)').choices(['train', 'heldout']))
    .option('--count <n>', 'task data: problems to generate (default 200)')
    .option('--difficulty <levels>', 'task data: comma-separated difficulty levels (default all)')
    .option('--data-seed <n>', 'task data: seed of the problem generator (default 0)')
    .option('--limit <n>', 'only the first n problems')
    .option('--prompt-template <name|file>', 'prompt template (default raw for tasks, else by data format; see aha eval --help)')
    .option('--problem-field <name>', 'file data: field with the problem text (default problem, else question)')
    .option('--answer-field <name>', 'file data: field with the gold answer (default answer; "#### n" understood)')
    .option('--solution-field <name>', 'file data: field whose last \\boxed{} is the gold when there is no answer (default solution)')
    .option('--id-field <name>', 'file data: field with a unique problem id (default id, task_id, unique_id or idx, else the line number)')
    .option('--system <text>', 'system message (chat)')
    .option(...chatTemplateArgOption('--api chat only; sent to a server as chat_template_kwargs'))
    .option('--temperature <t>', 'sampling temperature (default 0.7)')
    .option('--top-p <p>', 'nucleus sampling (default 0.95)')
    .option('--max-tokens <n>', 'completion token limit (default 4096 remote, 256 local); truncated completions are rejected')
    .option('--concurrency <n>', 'requests in flight (remote) or prompts decoded together (local) (default 8)')
    .option('--samples-per-request <n>', 'ask for up to n samples per request (servers that honour "n")')
    .option('--seed <n>', 'base seed; each sample gets its own seed derived from it (default 0)')
    .option('--timeout <s>', 'per-request timeout in seconds (default 600)')
    .option('--retries <n>', 'retries of a failed request (default 5)')
    .option('--max-failures <n>', 'stop after this many requests failed for good (default 10)')
    .option('--sampling-precision <p>', `local model only: ${SAMPLING_PRECISION_HELP}`)
    .option('--json', 'print the summary on stderr and a JSON summary as the last line of stdout')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      '\nThe API key for --endpoint is read from $OPENAI_API_KEY.\n\nExamples:\n' +
        '  aha sample --data arithmetic --count 500 --model runs/grpo/checkpoints/step-100 --samples 8 --out data/rs.jsonl\n' +
        '  aha sample --data gsm8k --endpoint http://127.0.0.1:8000/v1 --model deepseek-r1-distill-qwen-7b --samples 4 --filters language,tags,length,repetition',
    )
    .action((flags: Flags) => action(flags));
}
