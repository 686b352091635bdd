#!/usr/bin/env node
// The `aha` command. The CLI is compiled from src/cli by `npm install` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('aha: the CLI is not compiled yet. Run `npm install` (or `npm run build`) in the aha folder.');
  process.exit(2);
}
await import(entry.href);
