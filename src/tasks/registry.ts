// The task registry: task names (as used in configs and on the command line) -> Task.
import { AhaError } from '../util/errors.js';
import { arithmeticTask } from './arithmetic.js';
import { countdownTask } from './countdown.js';
import type { Task } from './task.js';

const TASKS: ReadonlyMap<string, Task> = new Map([arithmeticTask, countdownTask].map((t) => [t.name, t]));

export function listTasks(): Task[] {
  return [...TASKS.values()];
}

/** The task called `name`; an AhaError listing the known names if there is none. */
export function getTask(name: string): Task {
  const task = TASKS.get(name);
  if (!task) throw new AhaError(`unknown task "${name}"; known tasks: ${[...TASKS.keys()].join(', ')}`);
  return task;
}
