// Deterministic doubles for the search tests: a scripted generator (each prompt, at each
// temperature, answers from its own list, in call order), a judge over "A=<answer>" texts, and
// scorers that look their scores up in tables.
import type { GenerationRequest, GenerationResult, Generator, SamplingOptions } from '../../../src/eval/generator.js';
import type { Judge, SearchProblem } from '../../../src/eval/search/problem.js';
import type { OutcomeScorer, StepScorer } from '../../../src/eval/search/scorers.js';

/** Every reply costs its characters plus one token (the stop string's or the end token). */
export const cost = (text: string) => text.length + 1;

export class ScriptedGenerator implements Generator {
  readonly description = 'scripted';
  readonly calls: { prompt: string; temperature: number; stop: string[] | undefined }[] = [];
  private readonly used = new Map<string, number>();
  constructor(private readonly script: Record<string, string[]>) {}

  async generate(req: GenerationRequest, s: SamplingOptions): Promise<GenerationResult> {
    const key = s.temperature === 0 ? `greedy|${req.prompt}` : req.prompt;
    const list = this.script[key];
    if (!list) throw new Error(`no script for ${JSON.stringify(key)}`);
    const i = this.used.get(key) ?? 0;
    if (i >= list.length) throw new Error(`script for ${JSON.stringify(key)} ran out after ${i} replies`);
    this.used.set(key, i + 1);
    this.calls.push({ prompt: req.prompt, temperature: s.temperature, stop: s.stop });
    const text = list[i];
    return { samples: [{ text, finishReason: 'stop' }], usage: { promptTokens: req.prompt.length, completionTokens: cost(text) } };
  }

  async close(): Promise<void> {}
}

/** "…A=x" states answer x; right when x is the gold; finished once "A=" is written. */
export const fakeJudge: Judge = {
  stepSeparator: '\n',
  judge(problem, completion) {
    const m = /A=(\w+)/.exec(completion);
    return { answer: m ? m[1] : null, correct: m !== null && m[1] === problem.gold };
  },
  finished: (text) => text.includes('A='),
  revisionPrompt: (problem, earlier) => `${problem.prompt}[${earlier.join(',')}]`,
};

export const problemP: SearchProblem = { id: 'p', prompt: 'P', gold: '1' };

export function tableOutcome(table: Record<string, number>): OutcomeScorer {
  return {
    name: 'table',
    async score(_p, completions) {
      return completions.map((c) => {
        if (!(c in table)) throw new Error(`no score for ${JSON.stringify(c)}`);
        return table[c];
      });
    },
  };
}

/** Scores a step prefix by its last step's text (separator removed). */
export function tableSteps(table: Record<string, number>): StepScorer & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    name: 'steps',
    asked,
    async scoreSteps(_p, rows) {
      return rows.map((steps) => {
        asked.push([...steps]);
        const last = steps[steps.length - 1].replace(/\n$/, '');
        if (!(last in table)) throw new Error(`no score for step ${JSON.stringify(last)}`);
        return [table[last]];
      });
    },
  };
}
