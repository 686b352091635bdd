// Public surface of the tasks part: the Task contract, the registry, the two tasks, the held-out
// split, the pretraining corpora, the character set and the accuracy rewards.
export type { Problem, Task, Split, GenerateOptions, Verdict } from './task.js';
export { frame, lastAnswer } from './task.js';
export { getTask, listTasks } from './registry.js';
export { arithmeticTask, ARITHMETIC_LEVELS, verifyInteger } from './arithmetic.js';
export { countdownTask, COUNTDOWN_LEVELS, verifyCountdown } from './countdown.js';
export { solveCountdown } from './countdown-solver.js';
export { splitOf, HELDOUT_FRACTION } from './split.js';
export { generateCorpus, generateCorpusDocuments, corpusStats, DEFAULT_STYLE_MIX, DEFAULT_DIFFICULTY_MIX } from './arithmetic-corpus.js';
export type { CorpusOptions, CorpusDocument, CorpusStats, CorpusStyle } from './arithmetic-corpus.js';
export { generateCountdownCorpusDocuments, countdownCorpusStats, DEFAULT_COUNTDOWN_STYLE_MIX } from './countdown-corpus.js';
export { PRETRAINING_CORPORA, pretrainingCorpus } from './corpus-registry.js';
export { CHARSET, outsideCharset } from './charset.js';
export { problemExample, taskAccuracy, taskAccuracyReward, registerTaskRewards } from './rewards.js';
