// What a search strategy needs to know about a problem and its task: the raw prompt, how to judge
// a finished completion (its stated answer, for voting, and whether it is right), where a step
// ends (the separator beam search cuts on), when a partial completion is finished, and how to
// show the model its earlier answers (revisions). `taskJudge` builds it for the bundled tasks.
import type { Problem, Task } from '../../tasks/task.js';
import { lastAnswer } from '../../tasks/task.js';

export interface SearchProblem {
  id: string;
  /** The raw prompt (completions API): the model continues this text. */
  prompt: string;
  gold: string;
}

export interface Judgement {
  /** The stated answer; null when there is none. */
  answer: string | null;
  correct: boolean;
  /** What equal answers share (the task's answerKey): answers with one key vote together. Default: the answer. */
  key?: string;
}

export interface Judge {
  judge(problem: SearchProblem, completion: string): Judgement;
  /** The text that ends one reasoning step (a line, for the bundled tasks). */
  readonly stepSeparator: string;
  /** Whether a partial completion already holds its final answer (no further step is wanted). */
  finished(text: string): boolean;
  /** The prompt of a revision: the problem with the model's earlier answers (oldest first) in context. */
  revisionPrompt(problem: SearchProblem, earlierAnswers: readonly string[]): string;
}

/** A task's problems as search problems, keeping the Task problem for the verifier. */
export function searchProblems(problems: readonly Problem[]): SearchProblem[] {
  return problems.map((p) => ({ id: p.id, prompt: p.prompt, gold: p.gold }));
}

const ASSISTANT = '\nAssistant: ';

/**
 * The judge of a bundled task: its exact verifier, answers grouped for votes by the task's
 * answerKey (Countdown: by the value of a valid expression, so "9-3+5" and "5+9-3" vote together),
 * else compared with white space removed ("9 - 3 + 5" and "9-3+5"), a step per line, finished once a complete
 * <answer>…</answer> is written. A revision puts the earlier answers at the end of the user's
 * turn ("Tried: a, b."), the prompt's frame otherwise unchanged; the words are in the character
 * set of the bundled character-level models, which have no token for most capitals or ";".
 */
export function taskJudge(task: Task, problems: readonly Problem[]): Judge {
  const byId = new Map(problems.map((p) => [p.id, p]));
  const original = (p: SearchProblem): Problem => {
    const found = byId.get(p.id);
    if (!found) throw new Error(`${task.name}: no problem with id ${p.id}`);
    return found;
  };
  return {
    stepSeparator: '\n',
    judge(problem, completion) {
      const p = original(problem);
      const v = task.verify(completion, p);
      if (v.extracted === null) return { answer: null, correct: v.correct };
      const answer = v.extracted.replace(/\s+/g, '');
      return { answer, correct: v.correct, key: task.answerKey ? task.answerKey(v.extracted, p) : answer };
    },
    finished: (text) => lastAnswer(text) !== null,
    revisionPrompt(problem, earlier) {
      if (earlier.length === 0) return problem.prompt;
      const note = ` Tried: ${earlier.join(', ')}.`;
      const at = problem.prompt.lastIndexOf(ASSISTANT);
      return at < 0 ? `${problem.prompt}${note}\n` : `${problem.prompt.slice(0, at)}${note}${problem.prompt.slice(at)}`;
    },
  };
}
