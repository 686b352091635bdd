// A user's own task from the library API: generator, prompt and exact verifier (the Task contract
// of task.ts), checked when it is defined and each time it generates, so a slip in user code is a
// clear error naming the task and the field, not a silently wrong training run. Once defined, the
// task is known by name everywhere a built-in one is: the trainer's `task`, `<name>_accuracy`.
import { AhaError } from '../util/errors.js';
import { registerTask } from './registry.js';
import { registerTaskRewards } from './rewards.js';
import { lastAnswer, type GenerateOptions, type Problem, type Task, type Verdict } from './task.js';

export interface TaskDefinition {
  name: string;
  description?: string;
  /** Difficulty levels, easiest first (default [1]). */
  difficulties?: readonly number[];
  /** Deterministic for its options; only problems of `options.split`. */
  generate(options: GenerateOptions): Problem[];
  /** The prompt of a problem (default: `problem.prompt`). */
  prompt?(problem: Problem): string;
  /** Exact check of a completion (default: the last <answer> equals `problem.gold`). */
  verify?(completion: string, problem: Problem): Verdict;
  /** What answers the verifier treats as one share, for votes (Task.answerKey; default: the text without white space). */
  answerKey?(answer: string, problem: Problem): string;
}

const NAME = /^[a-z][a-z0-9_-]*$/;

function checkProblems(name: string, problems: unknown, options: GenerateOptions): Problem[] {
  if (!Array.isArray(problems)) throw new AhaError(`task "${name}": generate() returned ${typeof problems}, expected an array of problems`);
  problems.forEach((p: Partial<Problem>, i) => {
    const where = `task "${name}": generate() problem ${i}`;
    if (p === null || typeof p !== 'object') throw new AhaError(`${where} is not an object`);
    for (const field of ['id', 'prompt', 'gold'] as const) {
      if (typeof p[field] !== 'string' || p[field] === '') throw new AhaError(`${where}, field "${field}": must be a non-empty string`);
    }
    if (typeof p.difficulty !== 'number') throw new AhaError(`${where}, field "difficulty": must be a number`);
    if (p.meta === null || typeof p.meta !== 'object') throw new AhaError(`${where}, field "meta": must be an object (use {} when there is nothing)`);
  });
  if (problems.length > options.count) throw new AhaError(`task "${name}": generate() returned ${problems.length} problems, more than the ${options.count} asked for`);
  return problems as Problem[];
}

/** The default verifier: the trimmed last <answer> equals the gold text. */
function exactAnswer(completion: string, problem: Problem): Verdict {
  const extracted = lastAnswer(completion);
  return { correct: extracted !== null && extracted === problem.gold.trim(), extracted };
}

/** Registers a task under its name and returns it. */
export function defineTask(def: TaskDefinition): Task {
  if (def === null || typeof def !== 'object') throw new AhaError('defineTask: expected a task definition object');
  if (typeof def.name !== 'string' || !NAME.test(def.name)) {
    throw new AhaError(`defineTask: name ${JSON.stringify(def.name)} is not valid: use lower-case letters, digits, _ and -, starting with a letter`);
  }
  const name = def.name;
  if (typeof def.generate !== 'function') throw new AhaError(`task "${name}": generate must be a function (options) => problems`);
  for (const f of ['prompt', 'verify', 'answerKey'] as const) {
    if (def[f] !== undefined && typeof def[f] !== 'function') throw new AhaError(`task "${name}": ${f} must be a function`);
  }
  const difficulties = def.difficulties ?? [1];
  if (!Array.isArray(difficulties) || difficulties.length === 0 || !difficulties.every((d) => Number.isInteger(d))) {
    throw new AhaError(`task "${name}": difficulties must be a non-empty list of integers`);
  }
  const task: Task = {
    name,
    description: def.description ?? `user task ${name}`,
    difficulties,
    generate: (options) => checkProblems(name, def.generate(options), options),
    prompt: (problem) => (def.prompt ? def.prompt(problem) : problem.prompt),
    verify: (completion, problem) => {
      const v = def.verify ? def.verify(completion, problem) : exactAnswer(completion, problem);
      if (v === null || typeof v !== 'object' || typeof v.correct !== 'boolean') throw new AhaError(`task "${name}": verify() must return { correct: boolean, extracted: string | null }`);
      return v;
    },
  };
  const key = def.answerKey;
  if (key) {
    task.answerKey = (answer, problem) => {
      const k = key(answer, problem);
      if (typeof k !== 'string') throw new AhaError(`task "${name}": answerKey() must return a string, got ${typeof k}`);
      return k;
    };
  }
  registerTask(task);
  registerTaskRewards();
  return task;
}

