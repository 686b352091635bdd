// The pretraining corpora by name, for `aha pretrain --corpus`: the arithmetic corpus of the
// bundled demo model, the Countdown corpus of the Countdown demo's model, and the world corpus of
// the tool-use miniature's model.
import { AhaError } from '../util/errors.js';
import { generateCorpus } from './arithmetic-corpus.js';
import { generateCountdownCorpusDocuments } from './countdown-corpus.js';
import { generateWorldCorpusDocuments } from './world-corpus.js';

export type CorpusGenerator = (opts: { seed: number; documents: number }) => string[];

export const PRETRAINING_CORPORA: Readonly<Record<string, CorpusGenerator>> = {
  arithmetic: (o) => generateCorpus(o),
  countdown: (o) => generateCountdownCorpusDocuments(o).map((d) => d.text),
  'countdown-retry': (o) => generateCountdownCorpusDocuments({ ...o, styleMix: { retry: 0.4 } }).map((d) => d.text),
  'countdown-retry-check': (o) => generateCountdownCorpusDocuments({ ...o, styleMix: { 'retry-check': 0.4 } }).map((d) => d.text),
  world: (o) => generateWorldCorpusDocuments(o).map((d) => d.text),
};

export function pretrainingCorpus(name: string): CorpusGenerator {
  const gen = PRETRAINING_CORPORA[name];
  if (!gen) throw new AhaError(`unknown corpus "${name}" (corpora: ${Object.keys(PRETRAINING_CORPORA).join(', ')})`);
  return gen;
}
