// The docs write the package's own folders as relative paths (`--model models/aha-tiny-countdown`,
// `--config recipes/countdown-model.json`), which only exist in the working folder inside the
// repository. Before any command runs, such a path flag that names nothing here but names a
// bundled file is pointed at the package's copy (util/paths.ts bundledPath).
import type { Command } from 'commander';
import { bundledPath } from '../util/paths.js';

/** Flags (commander keys) that hold a path to read, never one to write. */
const INPUT_PATH_FLAGS = ['model', 'initFrom', 'config', 'adapter', 'data', 'evalData', 'searchCorpus', 'input'];

export function resolveBundledFlags(command: Command): void {
  const flags = command.opts();
  for (const key of INPUT_PATH_FLAGS) {
    const value = flags[key];
    // With --endpoint, --model is the name the server knows the model by, not a folder.
    if (typeof value !== 'string' || (key === 'model' && flags.endpoint !== undefined)) continue;
    const path = bundledPath(value);
    if (path !== value) command.setOptionValue(key, path);
  }
}
