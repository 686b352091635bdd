// The R1-Zero demo's settings: configs/r1-zero-demo.yaml over the defaults. `aha train` with no
// model, data or config file runs them, and `npm run bench:r1zero` measures them.
import { isAbsolute, join } from 'node:path';
import { packageRoot } from '../util/paths.js';
import { DEFAULT_CONFIG, readConfigFile, type GrpoConfig } from './config.js';

export const DEMO_CONFIG_FILE = 'configs/r1-zero-demo.yaml';

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
