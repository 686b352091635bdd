// The reflection counter: how often a completion uses words of self-checking ("wait", "verify",
// "recheck", "mistake", ...), the "aha moment" metric. A metric by default, not a reward:
// rewarding the words teaches the words, not the checking.

export const REFLECTION_WORDS = [
  'wait', 'verify', 'verifying', 'verified', 'verification', 'check', 'checking', 'recheck', 'rechecking', 'double-check', 'double check',
  'mistake', 'error', 'wrong', 'incorrect', 'reconsider', 're-examine', 'reevaluate', 're-evaluate', 'let me think again', 'on second thought',
  'actually', 'hmm', 'however', 'revisit', 'retry', 'let me try again',
];

const PATTERN = new RegExp(
  `\\b(?:${[...REFLECTION_WORDS].sort((a, b) => b.length - a.length).map((w) => w.replace(/[-\s]/g, '[-\\s]?')).join('|')})\\b`,
  'gi',
);

/** Number of reflection words and phrases in the text (case-insensitive, whole words). */
export function countReflections(text: string): number {
  return (text.match(PATTERN) ?? []).length;
}
