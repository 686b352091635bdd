// The pretraining corpus of the tool-use miniature's base model (models/aha-tiny-world): documents
// about random people (never the task's world, whose facts live only in its search corpus). Three
// kinds: a guess at the fact in the task's frame (common, right by chance only), a look-up in the
// frame (rare: the model writes <search>name</search>, the search result follows as the tool
// writes it, and the answer is copied from it), and reading practice outside the frame (a
// question, one or two passages, the fact copied out). The look-up is rare but always right, the
// situation the miniature starts GRPO from (docs/tools.md). A fourth kind drills the one skill a
// look-up rests on, outside the frame: several questions, each followed by a search for the name
// exactly as the question writes it. It makes copying a name common in training without making
// searching common in the frame.
import { Rng } from '../util/rng.js';
import { checkCorpusOptions, normaliseMix, pickWeighted } from './mix.js';
import { answerTail } from './task.js';
import { formatPassages, toolResultText } from './tool-text.js';
import { personPassage, randomPerson, worldFact, worldPrompt, worldQuestion, WORLD_RELATIONS, type Person, type WorldRelation } from './world.js';

export type WorldCorpusStyle = 'guess' | 'search' | 'reading' | 'query';

/**
 * Default share of each style. Look-ups in the frame are rare on purpose: 6 in 56 framed documents
 * (11%, as before the query drill was added).
 */
export const DEFAULT_WORLD_STYLE_MIX: Readonly<Record<WorldCorpusStyle, number>> = { guess: 0.5, search: 0.06, reading: 0.19, query: 0.25 };

/** Questions per query-drill document (each about another random person). */
export const QUERY_DRILL_LINES = { min: 3, max: 6 } as const;

/** One line of the query drill: a question, then the search for the name as written in it. */
export function queryLine(name: string, relation: WorldRelation): string {
  return `${worldQuestion(name, relation)} <search>${name}</search>`;
}

/** The sentence that states a fact, in the think block. */
export function factSentence(p: Person, relation: WorldRelation): string {
  return relation === 'town' ? `${p.name} is from ${p.town}.` : `${p.name} works as a ${p.work}.`;
}

/** A completion that guesses (the fact drawn at random, so right by chance only). */
export function guessCompletion(guess: Person, relation: WorldRelation): string {
  return `<think>\n${factSentence(guess, relation)}\n${answerTail(worldFact(guess, relation))}`;
}

/** The model-written start of a look-up, up to the closing search tag. */
export function searchCall(name: string): string {
  return `<think>\nlet me search.\n</think>\n<search>${name}</search>`;
}

/** After the search result: the fact copied out, then the answer. */
export function answerFromSearch(p: Person, relation: WorldRelation): string {
  return `<think>\n${factSentence(p, relation)}\n${answerTail(worldFact(p, relation))}`;
}

export interface WorldCorpusOptions {
  seed: number;
  documents: number;
  mix?: Partial<Record<WorldCorpusStyle, number>>;
}

/** The corpus documents (deterministic for a seed). */
export function generateWorldCorpusDocuments(options: WorldCorpusOptions): { style: WorldCorpusStyle; text: string }[] {
  checkCorpusOptions(options);
  const mix = normaliseMix<WorldCorpusStyle>(options.mix ?? DEFAULT_WORLD_STYLE_MIX, 'style');
  const rng = new Rng((options.seed ^ 0x776f726c) >>> 0);
  const out: { style: WorldCorpusStyle; text: string }[] = [];
  for (let i = 0; i < options.documents; i++) {
    const style = pickWeighted(rng, mix);
    const p = randomPerson(rng);
    const relation = rng.pick(WORLD_RELATIONS);
    let text: string;
    if (style === 'guess') {
      text = worldPrompt(p.name, relation) + guessCompletion({ ...randomPerson(rng), name: p.name }, relation);
    } else if (style === 'search') {
      text = worldPrompt(p.name, relation) + searchCall(p.name) + toolResultText('information', formatPassages([personPassage(p)])) + answerFromSearch(p, relation);
    } else if (style === 'query') {
      const lines = [queryLine(p.name, relation)];
      const count = rng.range(QUERY_DRILL_LINES.min, QUERY_DRILL_LINES.max);
      while (lines.length < count) lines.push(queryLine(randomPerson(rng).name, rng.pick(WORLD_RELATIONS)));
      text = lines.join('\n');
    } else {
      const passages = [personPassage(p)];
      if (rng.next() < 0.5) passages.splice(rng.int(2), 0, personPassage(randomPerson(rng)));
      text = `${worldQuestion(p.name, relation)}${toolResultText('information', formatPassages(passages))}${answerFromSearch(p, relation)}`;
    }
    out.push({ style, text });
  }
  return out;
}
