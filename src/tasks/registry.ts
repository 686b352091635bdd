// The task registry: task names (as used in configs and on the command line) -> Task. The
// built-in tasks are there from the start; library users add their own (tasks/define.ts).
import { AhaError } from '../util/errors.js';
import { arithmeticTask } from './arithmetic.js';
import { countdownTask } from './countdown.js';
import type { Task } from './task.js';
import { worldTask } from './world.js';

const TASKS = new Map<string, Task>([arithmeticTask, countdownTask, worldTask].map((t) => [t.name, t]));

/** Adds a task under its name; a second task with the same name is an error. */
export function registerTask(task: Task): void {
  if (TASKS.has(task.name)) throw new AhaError(`a task named "${task.name}" already exists; choose another name`);
  TASKS.set(task.name, task);
}

export function listTasks(): Task[] {
  return [...TASKS.values()];
}

/** The task called `name`; an AhaError listing the known names if there is none. */
export function getTask(name: string): Task {
  const task = TASKS.get(name);
  if (!task) throw new AhaError(`unknown task "${name}"; known tasks: ${[...TASKS.keys()].join(', ')}`);
  return task;
}
