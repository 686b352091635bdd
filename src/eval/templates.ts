// Prompt templates: how a problem becomes the text sent to the model. Named templates cover the
// usual evaluation prompts; `--prompt-template FILE` reads a custom one. Every template has a
// `{problem}` placeholder.
import { existsSync } from 'node:fs';
import { AhaError } from '../util/errors.js';
import { readUtf8File } from '../util/text-file.js';
import type { BenchmarkFormat } from '../tasks/benchmarks.js';
import { frame } from '../tasks/task.js';

export interface PromptTemplate {
  /** Template name, or the file it came from. */
  name: string;
  text: string;
}

const NAMED: Record<string, { text: string; about: string }> = {
  math: {
    // The instruction DeepSeek-R1's evaluation appended to math problems.
    text: '{problem}\nPlease reason step by step, and put your final answer within \\boxed{}.',
    about: 'the problem, then "Please reason step by step, and put your final answer within \\boxed{}." (R1 evaluation; default for math)',
  },
  'r1-zero': {
    text:
      'A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. ' +
      'The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: {problem}. Assistant:',
    about: 'the DeepSeek-R1-Zero training template (for base models on --api completions)',
  },
  // The frame aha's own models learn: built-in tasks and `aha train --data` put a problem in it.
  aha: {
    text: frame('{problem}'),
    about: 'aha\'s R1-Zero frame, "User: {problem} Think in <think> </think>, then answer in <answer> </answer>." then "Assistant: " on a new line: the prompt aha train gives a data file\'s problem or question (for aha\'s own checkpoints, with --api completions)',
  },
  code: {
    text: 'Complete the following Python function. Reply with the complete function in a single ```python code block.\n\n```python\n{problem}```',
    about: 'HumanEval for chat models: the function header and docstring, asking for the whole function (default for humaneval with --api chat)',
  },
  mbpp: {
    text: '{problem}\n\nReply with the Python code in a single ```python code block.',
    about: 'MBPP: the task and its asserts, asking for a code block (default for mbpp)',
  },
  program: {
    text: '{problem}\n\nReply with your complete solution in a single fenced code block.',
    about: 'a code task (APPS, LiveCodeBench, KodCode …): the problem, asking for the solution in a code block (default for code)',
  },
  raw: {
    text: '{problem}',
    about: 'the problem text alone (default for humaneval with --api completions: the model continues the function)',
  },
};

export function templateNames(): string[] {
  return Object.keys(NAMED);
}

export function describeTemplates(): string {
  return Object.entries(NAMED)
    .map(([name, t]) => `  ${name}: ${t.about}`)
    .join('\n');
}

/** The default template for a benchmark format and endpoint kind. */
export function defaultTemplateName(format: BenchmarkFormat, api: 'chat' | 'completions'): string {
  if (format === 'humaneval') return api === 'chat' ? 'code' : 'raw';
  if (format === 'mbpp') return 'mbpp';
  if (format === 'code') return 'program';
  return 'math';
}

/** A named template, or the contents of a file; either way it must contain `{problem}`. */
export function resolveTemplate(nameOrFile: string): PromptTemplate {
  const named = NAMED[nameOrFile];
  let t: PromptTemplate;
  if (named) t = { name: nameOrFile, text: named.text };
  else if (existsSync(nameOrFile)) t = { name: nameOrFile, text: readUtf8File(nameOrFile) };
  else throw new AhaError(`--prompt-template "${nameOrFile}" is neither a file nor a named template (${templateNames().join(', ')})`);
  if (!t.text.includes('{problem}')) throw new AhaError(`prompt template ${t.name} has no {problem} placeholder`);
  return t;
}

/** Fills the template; `{problem}` may appear more than once. */
export function renderPrompt(template: PromptTemplate, problem: string): string {
  return template.text.split('{problem}').join(problem);
}
