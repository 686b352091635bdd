// Where a model's reply ends and where its answer begins, for the math and code verifiers alike:
// an end-of-turn token kept as text ends it, and a reasoning model's answer follows its thinking.

// End-of-turn tokens as their text (outputs decoded with special tokens kept: "The answer is
// 5.<|im_end|>"): the reply ends there, and what a base model runs on to after one is not its
// answer. DeepSeek's bars are full-width, or ASCII once full-width forms were folded.
const END_OF_TURN = /<\|(?:im_end|endoftext|eot_id|end)\|>|<[|｜]end▁of▁sentence[|｜]>|<end_of_turn>|<\/s>/;

/** The text up to the first end-of-turn token. */
export function beforeEndOfTurn(text: string): string {
  const end = END_OF_TURN.exec(text);
  return end ? text.slice(0, end.index) : text;
}

const THINK_CLOSE = '</think>';

/**
 * What follows the last </think> (R1, QwQ, Qwen3: "<think>…</think> answer"), or null when the
 * reply has no </think> or nothing after it: then the whole reply is all there is to read, as a
 * chat reply whose content is empty is read from its reasoning.
 */
export function afterThinking(text: string): string | null {
  const close = text.lastIndexOf(THINK_CLOSE);
  if (close < 0) return null;
  const after = text.slice(close + THINK_CLOSE.length);
  return after.trim() === '' ? null : after;
}
