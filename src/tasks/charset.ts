// The exact characters of the task prompts, the pretraining corpus and valid answers, in code
// point order: the vocabulary of the character-level demo tokenizer (plus its special tokens).
// test/tasks/charset.test.ts checks that generated text uses exactly these.

export const CHARSET = '\n ()*+,-./0123456789:<=>ACMTUabcdefghiklmnoprstuwy';

/** The characters of `text` outside CHARSET (empty when the text is representable). */
export function outsideCharset(text: string): string[] {
  const bad = new Set<string>();
  for (const c of text) if (!CHARSET.includes(c)) bad.add(c);
  return [...bad];
}
