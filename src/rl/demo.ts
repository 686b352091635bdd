// The R1-Zero demo's settings: configs/r1-zero-demo.yaml over the defaults. `aha train` with no
// model, data or config file runs them, and `npm run bench:r1zero` measures them.
import { join } from 'node:path';
import { packageRoot } from '../util/paths.js';
import { DEFAULT_CONFIG, readConfigFile, type GrpoConfig } from './config.js';

export const DEMO_CONFIG_FILE = 'configs/r1-zero-demo.yaml';

export function demoConfig(): GrpoConfig {
  return { ...DEFAULT_CONFIG, task: 'arithmetic', ...readConfigFile(join(packageRoot(), DEMO_CONFIG_FILE)) };
}
