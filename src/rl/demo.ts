// The R1-Zero demos' settings: configs/r1-zero-<task>.yaml over the defaults. `aha train` with no
// model, data or config file runs the Countdown one (the arithmetic one with --task arithmetic),
// and `npm run bench:r1zero` measures them.
import { isAbsolute, join } from 'node:path';
import { packageRoot } from '../util/paths.js';
import { DEFAULT_CONFIG, readConfigFile, type GrpoConfig } from './config.js';

/** The demo settings file of each built-in task. */
export const DEMO_CONFIG_FILES: Readonly<Record<string, string>> = {
  countdown: 'configs/r1-zero-countdown.yaml',
  arithmetic: 'configs/r1-zero-arithmetic.yaml',
  world: 'configs/r1-zero-world.yaml',
};

/** What `aha train` runs with no arguments. */
export const DEMO_CONFIG_FILE = DEMO_CONFIG_FILES.countdown;

/** The demo settings file for a task given on the command line (the default demo for none, or one without a demo). */
export function demoConfigFile(task?: string): string {
  return task !== undefined && Object.hasOwn(DEMO_CONFIG_FILES, task) ? DEMO_CONFIG_FILES[task] : DEMO_CONFIG_FILE;
}

/**
 * A settings file shipped in the package (the demo's by default) over the defaults. A relative
 * `model` in it names a bundled model, so it is resolved against the package, not the caller's
 * working folder.
 */
export function demoConfig(file: string = DEMO_CONFIG_FILE): GrpoConfig {
  const root = packageRoot();
  const config: GrpoConfig = { ...DEFAULT_CONFIG, task: 'arithmetic', ...readConfigFile(isAbsolute(file) ? file : join(root, file)) };
  return config.model !== null && !isAbsolute(config.model) ? { ...config, model: join(root, config.model) } : config;
}
