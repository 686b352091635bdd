// The TypeScript examples of the user docs are what a user pastes into a project that has aha
// installed: every import must come from the package root ('aha'; a path into src/ is not
// reachable through package.json "exports") and name something the root exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as root from '../../src/index.js';
import { packageRoot } from '../../src/util/paths.js';

/** The docs a user of the package reads (docs/architecture.md, core.md, model.md, corpus.md are for contributors). */
const USER_DOCS = ['README.md', ...['api', 'eval', 'grpo', 'sft', 'pipeline', 'real-models', 'rewards', 'tools', 'reward-models', 'test-time-compute', 'self-correction', 'report', 'run-folder', 'tasks'].map((d) => `docs/${d}.md`)];

test('every import in the user docs\' ts examples is from "aha" and names an export of the package root', () => {
  const rootSource = readFileSync(join(packageRoot(), 'src', 'index.ts'), 'utf8');
  const problems: string[] = [];
  let imports = 0;
  for (const doc of USER_DOCS) {
    const text = readFileSync(join(packageRoot(), doc), 'utf8');
    for (const block of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      for (const m of block[1].matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
        imports++;
        if (m[2] !== 'aha') problems.push(`${doc}: import from '${m[2]}' (a user's project can only import 'aha')`);
        for (const raw of m[1].split(',').map((s) => s.trim()).filter(Boolean)) {
          const isType = raw.startsWith('type ');
          const name = raw.replace(/^type\s+/, '').split(/\s+as\s+/)[0];
          const exported = isType ? new RegExp(`\\btype ${name}\\b`).test(rootSource) : name in root;
          if (!exported) problems.push(`${doc}: ${name} is not exported from the package root`);
        }
      }
    }
  }
  assert.ok(imports >= 10, `found only ${imports} imports: the extraction no longer matches the docs`);
  assert.deepEqual(problems, []);
});
