// The words that mark a model stopping to reflect ("wait", "let me check", ...), highlighted in
// the completions browser. The list is the reward part's, so the page highlights exactly what
// the reflect_rate metric counts. Imported from its own module rather than src/rewards/index.ts,
// which would load the math checker and the code sandbox just for a word list.
export { REFLECTION_WORDS, countReflections } from '../rewards/reflection.js';
