// The `world` task of the tool-use miniature (docs/tools.md): questions about a generated world
// of people, each from a town and working at a trade. The facts are drawn at random, so a
// model cannot know them; they live only in the world's search corpus (one passage per person),
// which the `search` tool indexes. Answers are checked by exact match. Held-out questions are
// decided by a hash of (person, relation), as for every task.
import { Rng } from '../util/rng.js';
import { problemId, sampleSplit, splitOf } from './split.js';
import { difficultyList, lastAnswer, type GenerateOptions, type Problem, type Task, type Verdict } from './task.js';

export type WorldRelation = 'town' | 'work';
export const WORLD_RELATIONS: readonly WorldRelation[] = ['town', 'work'];

/** The towns and trades facts are drawn from (written in the demo tokenizer's characters). */
export const WORLD_TOWNS: readonly string[] = ['Cardo', 'Mirel', 'Tolun', 'Ubara', 'Ansel', 'Corim', 'Maltu', 'Tesko'];
export const WORLD_TRADES: readonly string[] = ['baker', 'farmer', 'potter', 'tailor', 'smith', 'miller', 'hunter', 'fisher'];

/** The world the task asks about: its seed and size are fixed, so the corpus never changes. */
export const WORLD_SEED = 2026;
export const WORLD_PEOPLE = 1200;

export interface Person {
  name: string;
  town: string;
  work: string;
}

/** A search-corpus record (the JSON Lines shape the `search` tool reads: id, title, text). */
export interface Passage {
  id: string;
  title: string;
  text: string;
}

const STARTS = ['Ta', 'Ti', 'To', 'Tu', 'Ma', 'Mi', 'Mo', 'Mu', 'Ca', 'Ci', 'Co', 'Cu', 'A', 'U'];
const CONSONANTS = 'bdfghklmnprstwy';
const VOWELS = 'aeiou';
const ENDINGS = ['', '', 'n', 'l', 'r', 's'];

/** A random person's name: a capital start, one or two syllables and an optional ending. */
export function randomName(rng: Rng): string {
  let name = rng.pick(STARTS);
  const syllables = rng.range(1, 2);
  for (let i = 0; i < syllables; i++) name += rng.pick([...CONSONANTS]) + rng.pick([...VOWELS]);
  return name + rng.pick(ENDINGS);
}

/** A random person with random facts (names are not checked for uniqueness here). */
export function randomPerson(rng: Rng): Person {
  return { name: randomName(rng), town: rng.pick(WORLD_TOWNS), work: rng.pick(WORLD_TRADES) };
}

/** `count` people with distinct names, drawn from `seed`. */
export function generateWorld(seed: number, count: number): Person[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const people: Person[] = [];
  while (people.length < count) {
    const p = randomPerson(rng);
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    people.push(p);
  }
  return people;
}

let cachedWorld: Person[] | null = null;
/** The task's world (WORLD_SEED, WORLD_PEOPLE). */
export function theWorld(): Person[] {
  cachedWorld ??= generateWorld(WORLD_SEED, WORLD_PEOPLE);
  return cachedWorld;
}

/** The one passage the corpus holds about a person. */
export function personPassage(p: Person): string {
  return `${p.name} is from ${p.town} and works as a ${p.work}.`;
}

/** The world's search corpus: one passage per person. */
export function worldCorpus(people: readonly Person[] = theWorld()): Passage[] {
  return people.map((p) => ({ id: p.name, title: p.name, text: personPassage(p) }));
}

/** The question about one relation of a person. */
export function worldQuestion(name: string, relation: WorldRelation): string {
  return relation === 'town' ? `the town ${name} is from.` : `the work of ${name}.`;
}

/**
 * The prompt frame of the miniature: like the R1-Zero frame, plus the search tag. Written in the
 * demo tokenizer's characters (so no question mark and few capitals).
 */
export function worldPrompt(name: string, relation: WorldRelation): string {
  return `User: ${worldQuestion(name, relation)} search with <search> name </search> if needed, think in <think> </think>, then answer in <answer> </answer>.\nAssistant: `;
}

/** The fact a question asks for. */
export function worldFact(p: Person, relation: WorldRelation): string {
  return relation === 'town' ? p.town : p.work;
}

function worldProblem(p: Person, relation: WorldRelation): Problem {
  const canonical = `${p.name}:${relation}`;
  return {
    id: problemId('world', 0, canonical),
    prompt: worldPrompt(p.name, relation),
    gold: worldFact(p, relation),
    difficulty: 0,
    meta: { task: 'world', name: p.name, relation, split: splitOf('world', canonical) },
  };
}

function spec(problem: Problem): { name: string; relation: WorldRelation } {
  const m = problem.meta as { name?: unknown; relation?: unknown };
  if (typeof m.name !== 'string' || !WORLD_RELATIONS.includes(m.relation as WorldRelation)) throw new Error(`world problem ${problem.id} has no name/relation in meta`);
  return { name: m.name, relation: m.relation as WorldRelation };
}

/** Exact match of the last answer against the gold fact (surrounding spaces ignored). */
export function verifyWorld(completion: string, gold: string): Verdict {
  const extracted = lastAnswer(completion);
  return { correct: extracted !== null && extracted === gold, extracted };
}

export const worldTask: Task = {
  name: 'world',
  description: 'Questions about a generated world of people (their town, their work) whose facts live only in the search corpus; exact-match answers (the tool-use miniature).',
  difficulties: [0],
  generate(options: GenerateOptions): Problem[] {
    // One level: any other is refused, not quietly served as level 0.
    difficultyList('world', [0], options.difficulty);
    const people = theWorld();
    return sampleSplit({
      task: 'world',
      split: options.split,
      count: options.count,
      seed: options.seed,
      draw: (rng) => {
        const p = rng.pick(people);
        const relation = rng.pick(WORLD_RELATIONS);
        return { canonical: `${p.name}:${relation}`, value: worldProblem(p, relation) };
      },
    });
  },
  prompt(problem: Problem): string {
    const s = spec(problem);
    return worldPrompt(s.name, s.relation);
  },
  verify(completion: string, problem: Problem): Verdict {
    return verifyWorld(completion, problem.gold);
  },
};
