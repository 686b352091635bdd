// Satori's format-tuning demonstrations, written by a program for Countdown level 0 (the bundled
// demo's setting): Chain-of-Action-Thought trajectories whose steps start with a meta-action. After
// the puzzle restated ("10 from 12, 3, 5."), a step states one candidate, either guessed ("12+3-5
// makes it.") or added up and judged against the target ("12+3-5: 12+3=15, 15-5=10. 10 against 10,
// right."), in the words of the Countdown corpus so the base model already knows them.
// `<|continue|>` works out the guess before it, `<|reflect|>` goes back over a step judged wrong (or
// re-checks one judged right) and replaces a miss by searching the sign patterns, `<|explore|>`
// leaves a missed candidate for the next sign pattern. Every demonstration ends right.
//
// No judgment can be read off its position: a worked-out guess is right half the time, a re-check
// after `<|reflect|>` confirms a right step as often as it exposes a slip, and a right candidate
// after a reflection is found by going through the sign patterns in order, judging each, not
// placed on the line after it. (The first demonstrations always put the right candidate on the
// line after a reflection; the model learned "a line after a reflection is right" and judged
// "16 against 14, right." there; docs/self-correction.md.)
//
// Kinds: `guess` (a guess, `<|continue|>` works it out; when it misses, `<|reflect|>` and the
// search), `slip` (a sum gone wrong that seems to hit, `<|reflect|>` redoes it, then the search),
// `verify` (a right candidate, `<|reflect|>` redoes it and confirms it) and `explore` (the sign
// patterns in order, one explore per miss). The intermediate answer after a step is its last
// candidate: `countdownCandidate` reads it back, `candidateJudge` verifies it as the task's
// verifier would a final answer.
//
// How a total is judged (`CoatVerdict`: a subtraction by default, the corpus's side-by-side, or digit
// by digit) and how the thinking opens (`CoatOpening`: the puzzle restated by default, or the
// corpus's "trying the signs:") are options; the alternatives were measured and none format-tuned
// better (docs/self-correction.md, fourth round).
import { Rng } from '../util/rng.js';
import { AhaError } from '../util/errors.js';
import { CONTINUE, EXPLORE, REFLECT } from '../util/meta-actions.js';
import { candidates, judgement, type Candidate } from './countdown-corpus.js';
import { COUNTDOWN_LEVELS, countdownCanonical, countdownQuestion, drawCountdown, verifyCountdown } from './countdown.js';
import { normaliseMix, pickWeighted } from './mix.js';
import { splitOf } from './split.js';
import { answerTail, frame } from './task.js';

export type CoatDemoKind = 'guess' | 'slip' | 'verify' | 'explore';
export const COAT_DEMO_KINDS: readonly CoatDemoKind[] = ['guess', 'slip', 'verify', 'explore'];

/** Default share of each kind: slips and verifications balance each other, so a re-check's verdict follows its sums. */
export const DEFAULT_COAT_DEMO_MIX: Readonly<Record<CoatDemoKind, number>> = { guess: 0.5, slip: 0.1, verify: 0.1, explore: 0.3 };

/** How often a `guess` demonstration's guess is right: half, so "right" and "no" after `<|continue|>` are equally likely. */
const GUESS_HIT_SHARE = 0.5;

/** The level the demonstrations are written for. */
export const COAT_DEMO_LEVEL = 0;

export interface CoatDemo {
  prompt: string;
  completion: string;
  kind: CoatDemoKind;
  numbers: number[];
  target: number;
}

/** A guessed candidate, stated without working. */
const guessStep = (c: Candidate) => `${c.text} makes it.\n`;
/**
 * A total set against the target, then the larger less the smaller, then the verdict: "18 against
 * 10, 18-10=8, no." or "10 against 10, 10-10=0, right.". The corpus's "18 against 10, no." puts the
 * two numbers side by side; the subtraction after them copies both from a few characters back and
 * leaves the verdict to read one digit ("=0" or not), a sum like those the model already gets right,
 * instead of comparing two numbers by eye (the format-tuned model judged "16 against 14, right."
 * about as often as "no"; docs/self-correction.md).
 */
export function judgedBySubtraction(value: number, target: number): string {
  const [hi, lo] = value >= target ? [value, target] : [target, value];
  return `${value} against ${target}, ${hi}-${lo}=${hi - lo}, ${hi === lo ? 'right' : 'no'}.`;
}

/**
 * The total and the target compared a digit at a time, tens then units (a one-digit number's tens
 * digit is 0), up to the first pair that differs: "16 against 24, 1 is not 2, no.", "16 against
 * 14, 1 is 1, 6 is not 4, no.", "14 against 14, 1 is 1, 4 is 4, right.". Each comparison is of
 * two single digits copied from a few characters back, and the verdict follows the pair before it;
 * the format-tuned model's two-digit subtractions were right only 67% of the time
 * (docs/self-correction.md).
 */
export function judgedByDigits(value: number, target: number): string {
  const [v, t] = [value, target].map((x) => String(x).padStart(2, '0'));
  if (v.length > 2 || t.length > 2) throw new AhaError(`coat demo: a digit-by-digit verdict needs numbers below 100, got ${value} against ${target}`);
  const pairs: string[] = [];
  for (let i = 0; i < 2; i++) {
    pairs.push(`${v[i]} is ${v[i] === t[i] ? '' : 'not '}${t[i]}`);
    if (v[i] !== t[i]) break;
  }
  return `${value} against ${target}, ${pairs.join(', ')}, ${value === target ? 'right' : 'no'}.`;
}

/**
 * How a total is judged against the target: `subtraction` ("18 against 10, 18-10=8, no.",
 * `judgedBySubtraction`), `side`, the Countdown corpus's own "18 against 10, no." (the two numbers
 * side by side, a judgment the base model practised on its pages of sums; `judgement`), or
 * `digits`, one digit at a time (`judgedByDigits`).
 */
export type CoatVerdict = 'subtraction' | 'side' | 'digits';
export const COAT_VERDICTS: readonly CoatVerdict[] = ['subtraction', 'side', 'digits'];
const VERDICT: Record<CoatVerdict, (value: number, target: number) => string> = { subtraction: judgedBySubtraction, side: judgement, digits: judgedByDigits };

/**
 * How the thinking opens: `restate`, the puzzle restated ("10 from 12, 3, 5."), or `search`, the
 * Countdown corpus's opening of a search ("trying the signs: 10 from 12, 3, 5."). The base model
 * copies the puzzle without fault after "trying the signs: " (25 of 25 of its own searches on 200
 * held-out problems); after a bare restatement it has to learn that copy anew, and 150 SFT steps
 * left it miscopying 171 puzzles in 200 (docs/self-correction.md).
 */
export type CoatOpening = 'restate' | 'search';
export const COAT_OPENINGS: readonly CoatOpening[] = ['restate', 'search'];

/** A candidate added up and judged. */
const checkStep = (c: Candidate, target: number, verdict: CoatVerdict) => `${c.text}: ${c.work}. ${VERDICT[verdict](c.value, target)}\n`;

/** The candidate's working with its last sum made to come out at the target: a slip that seems to hit. */
function slipStep(c: Candidate, target: number, verdict: CoatVerdict): string {
  const sums = c.work.split(', ');
  const last = sums[sums.length - 1];
  sums[sums.length - 1] = last.slice(0, last.lastIndexOf('=') + 1) + String(target);
  return `${c.text}: ${sums.join(', ')}. ${VERDICT[verdict](target, target)}\n`;
}

/** The sign patterns in order, `tried` left out, each judged, up to the first that hits. */
function searchSteps(all: readonly Candidate[], tried: Candidate, target: number, verdict: CoatVerdict): string {
  const rest = all.filter((c) => c !== tried);
  const hit = rest.findIndex((c) => c.value === target);
  return rest.slice(0, hit + 1).map((c) => checkStep(c, target, verdict)).join('');
}

/** One trajectory of `kind` for the puzzle, or null when the puzzle has nothing of that kind to show. */
export function coatCompletion(kind: CoatDemoKind, numbers: readonly number[], target: number, rng: Rng, verdict: CoatVerdict = 'subtraction', opening: CoatOpening = 'restate'): string | null {
  const check = (c: Candidate) => checkStep(c, target, verdict);
  const all = candidates(numbers);
  const hitIndex = all.findIndex((c) => c.value === target);
  if (hitIndex < 0) throw new AhaError(`coat demo: no sign pattern of ${numbers.join(', ')} makes ${target}`);
  const hits = all.filter((c) => c.value === target);
  const misses = all.filter((c) => c.value !== target);
  const end = answerTail(all[hitIndex].text);
  // The puzzle restated first, so the target and numbers each step copies are a line away (the
  // Countdown corpus's searches do the same; a 0.86M model copies badly from further back).
  const open = `<think>\n${opening === 'search' ? 'trying the signs: ' : ''}${target} from ${numbers.join(', ')}.\n`;
  if (kind === 'verify') {
    const hit = rng.pick(hits);
    return `${open}${check(hit)}${REFLECT}${check(hit)}${answerTail(hit.text)}`;
  }
  if (kind === 'explore') {
    // The sign patterns in order up to the hit, each miss left with an explore.
    const tries = all.slice(0, hitIndex + 1);
    if (tries.length < 2) return null;
    return `${open}${tries.map(check).join(EXPLORE)}${end}`;
  }
  if (misses.length === 0) return null;
  if (kind === 'slip') {
    const miss = rng.pick(misses);
    return `${open}${slipStep(miss, target, verdict)}${REFLECT}${check(miss)}${searchSteps(all, miss, target, verdict)}${end}`;
  }
  // guess: right half the time; a miss is worked out, judged, and replaced by the search.
  if (rng.next() < GUESS_HIT_SHARE) {
    const hit = rng.pick(hits);
    return `${open}${guessStep(hit)}${CONTINUE}${check(hit)}${answerTail(hit.text)}`;
  }
  const miss = rng.pick(misses);
  return `${open}${guessStep(miss)}${CONTINUE}${check(miss)}${REFLECT}${searchSteps(all, miss, target, verdict)}${end}`;
}

export interface CoatDemoOptions {
  count: number;
  seed: number;
  mix?: Readonly<Partial<Record<CoatDemoKind, number>>>;
  /** How totals are judged (default `subtraction`). */
  verdict?: CoatVerdict;
  /** How the thinking opens (default `restate`). */
  opening?: CoatOpening;
}

/** `count` demonstrations on training-split puzzles (never a held-out one), deterministic for a seed. */
export function coatDemos(opts: CoatDemoOptions): CoatDemo[] {
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new AhaError(`coat demos: count must be a positive integer, got ${opts.count}`);
  for (const k of Object.keys(opts.mix ?? {})) {
    if (!(COAT_DEMO_KINDS as readonly string[]).includes(k)) throw new AhaError(`coat demos: mix has an unknown kind "${k}"; kinds are ${COAT_DEMO_KINDS.join(', ')}`);
  }
  const verdict = opts.verdict ?? 'subtraction';
  if (!COAT_VERDICTS.includes(verdict)) throw new AhaError(`coat demos: verdict must be one of ${COAT_VERDICTS.join(', ')}, got ${JSON.stringify(verdict)}`);
  const opening = opts.opening ?? 'restate';
  if (!COAT_OPENINGS.includes(opening)) throw new AhaError(`coat demos: opening must be one of ${COAT_OPENINGS.join(', ')}, got ${JSON.stringify(opening)}`);
  // Shares in COAT_DEMO_KINDS order (the defaults' key order), checked and summing to 1.
  const mix = normaliseMix<CoatDemoKind>({ ...DEFAULT_COAT_DEMO_MIX, ...opts.mix }, 'coat demo mix');
  const rng = new Rng(opts.seed);
  const out: CoatDemo[] = [];
  while (out.length < opts.count) {
    const spec = drawCountdown(rng, COAT_DEMO_LEVEL);
    if (splitOf('countdown', countdownCanonical(spec.numbers, spec.target)) !== 'train') continue;
    const kind = pickWeighted(rng, mix);
    const completion = coatCompletion(kind, spec.numbers, spec.target, rng, verdict, opening);
    if (completion === null) continue;
    out.push({ prompt: frame(countdownQuestion(spec.numbers, spec.target, COAT_DEMO_LEVEL)), completion, kind, numbers: spec.numbers, target: spec.target });
  }
  return out;
}

/** A candidate stated at the start of a line or a step: guessed ("… makes it.") or worked ("…: …"). */
const CANDIDATE = /(?:^|\n|\|>)\s*(\d+(?:\s*[-+*/]\s*\d+)+)\s*(?:makes it|:)/g;

/** The last candidate a piece of working states (the intermediate answer it leaves), or null. */
export function countdownCandidate(text: string): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(CANDIDATE)) last = m[1].replace(/\s+/g, '');
  return last;
}

/**
 * Verifies an intermediate answer of a Countdown problem as the task's verifier would a final one;
 * null when `example` does not carry the puzzle (numbers, target, difficulty).
 */
export function candidateJudge(example: Record<string, unknown>): ((candidate: string) => boolean) | null {
  const { numbers, target } = example;
  const difficulty = Number(example.difficulty ?? 0);
  if (!Array.isArray(numbers) || typeof target !== 'number' || !COUNTDOWN_LEVELS[difficulty]) return null;
  const ops = COUNTDOWN_LEVELS[difficulty].ops;
  return (candidate) => verifyCountdown(`<answer>${candidate}</answer>`, numbers as number[], target, ops).correct;
}

/** Countdown's intermediate answers, for the COAT metrics and the reflection bonus (rl/coat.ts). */
export const COUNTDOWN_CANDIDATES = { candidate: countdownCandidate, judge: candidateJudge } as const;
