// The pretraining corpora by name, for `aha pretrain --corpus`: the arithmetic corpus of the
// bundled demo model and the Countdown corpus of the Countdown demo's model.
import { AhaError } from '../util/errors.js';
import { generateCorpus } from './arithmetic-corpus.js';
import { generateCountdownCorpusDocuments } from './countdown-corpus.js';

export type CorpusGenerator = (opts: { seed: number; documents: number }) => string[];

export const PRETRAINING_CORPORA: Readonly<Record<string, CorpusGenerator>> = {
  arithmetic: (o) => generateCorpus(o),
  countdown: (o) => generateCountdownCorpusDocuments(o).map((d) => d.text),
};

export function pretrainingCorpus(name: string): CorpusGenerator {
  const gen = PRETRAINING_CORPORA[name];
  if (!gen) throw new AhaError(`unknown corpus "${name}" (corpora: ${Object.keys(PRETRAINING_CORPORA).join(', ')})`);
  return gen;
}
