// The task verifiers as accuracy rewards (1 when correct, 0 when not) for the GRPO trainer, the
// eval harness and the reward server. An example carries the problem: `gold`, `task`, and the
// problem's meta fields (flattened, e.g. `numbers` and `target` for Countdown).
import { hasReward, registerReward } from '../rewards/registry.js';
import type { RewardExample, RewardFunction, RewardScore } from '../rewards/types.js';
import { getTask, listTasks } from './registry.js';
import type { Problem, Task } from './task.js';

/** The reward example for a problem: its meta flattened, plus task, id, gold and difficulty. */
export function problemExample(problem: Problem): RewardExample {
  return { ...problem.meta, task: problem.meta.task, id: problem.id, gold: problem.gold, difficulty: problem.difficulty, prompt: problem.prompt };
}

/** Rebuilds enough of a Problem from an example for a verifier; null when fields are missing. */
function problemFrom(example: RewardExample): Problem | null {
  if (typeof example.gold !== 'string') return null;
  const meta = typeof example.meta === 'object' && example.meta !== null ? (example.meta as Record<string, unknown>) : example;
  return { id: String(example.id ?? ''), prompt: String(example.prompt ?? ''), gold: example.gold, difficulty: Number(example.difficulty ?? 0), meta };
}

function score(task: Task, completion: string, example: RewardExample): RewardScore {
  const problem = problemFrom(example);
  if (!problem) return null;
  try {
    return task.verify(completion, problem).correct ? 1 : 0;
  } catch {
    return null; // the example lacks this task's fields (e.g. no numbers for Countdown)
  }
}

/** `<task>_accuracy`: that task's exact verifier. */
export function taskAccuracyReward(task: Task): RewardFunction {
  return {
    name: `${task.name}_accuracy`,
    description: `1 if the last <answer> is correct for the ${task.name} task (exact verifier), else 0`,
    score: (completion, example) => score(task, completion, example),
  };
}

/** `task_accuracy`: dispatches on the example's `task` field; declines examples without one. */
export const taskAccuracy: RewardFunction = {
  name: 'task_accuracy',
  description: "1 if the last <answer> is correct by the verifier of the example's task (arithmetic, countdown), else 0",
  score(completion, example) {
    if (typeof example.task !== 'string') return null;
    let task: Task;
    try {
      task = getTask(example.task);
    } catch {
      return null;
    }
    return score(task, completion, example);
  },
};

/** Registers `task_accuracy` and one `<task>_accuracy` per task (safe to call more than once). */
export function registerTaskRewards(): void {
  for (const fn of [taskAccuracy, ...listTasks().map(taskAccuracyReward)]) {
    if (!hasReward(fn.name)) registerReward(fn);
  }
}

registerTaskRewards();
