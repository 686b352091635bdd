// The layer table of docs/architecture.md is enforced by lint (eslint.config.js): these tests run
// ESLint through its Node API on probe files that exist only in memory, and check that the rules
// forbid exactly what the table forbids, so the doc and the check cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });
const LAYER_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

/** The table's rows: folder -> the folders it may import ('everything' -> null). */
function layerTable(): Map<string, string[] | null> {
  const rows = new Map<string, string[] | null>();
  for (const line of readFileSync('docs/architecture.md', 'utf8').split('\n')) {
    const m = /^\| `src\/([a-z-]+)` \|.*\| ([^|]+) \|$/.exec(line);
    if (!m) continue;
    const cell = m[2].trim();
    rows.set(m[1], cell === 'everything' ? null : cell === 'nothing' ? [] : cell.split(',').map((s) => s.trim()));
  }
  return rows;
}

/** The layer-rule messages ESLint reports for `code` as if it were the file at `filePath`, with their lines. */
async function layerErrors(filePath: string, code: string): Promise<{ line: number; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId !== null && LAYER_RULES.has(m.ruleId)).map((m) => ({ line: m.line, message: m.message }));
}

const table = layerTable();
const srcFolders = readdirSync('src', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

test('every src/ folder has a row in the layer table, and every row a folder', () => {
  assert.deepEqual([...table.keys()].sort(), srcFolders);
});

test('lint allows exactly the imports the layer table allows, for every pair of parts', async () => {
  const wrong: string[] = [];
  for (const [from, allowed] of table) {
    // One probe file per part importing every other part, one per line.
    const targets = srcFolders.filter((to) => to !== from);
    const code = targets.map((to, i) => `import { x${i} } from '../${to}/some-module.js';`).join('\n') + `\nexport { ${targets.map((_, i) => `x${i}`).join(', ')} };\n`;
    const flagged = new Set((await layerErrors(`src/${from}/layer-probe.ts`, code)).map((e) => targets[e.line - 1]));
    for (const to of targets) {
      const permitted = allowed === null || allowed.includes(to);
      if (permitted === flagged.has(to)) wrong.push(`${from} -> ${to}: table says ${permitted ? 'allowed' : 'forbidden'}, lint ${flagged.has(to) ? 'forbids it' : 'allows it'}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('an upward import fails lint from a nested file, as a re-export and as a dynamic import()', async () => {
  const nested = await layerErrors('src/rewards/math/layer-probe.ts', `import { x } from '../../rl/config.js';\nexport { x };\n`);
  assert.equal(nested.length, 1);
  assert.match(nested[0].message, /src\/rewards may import only util/);
  assert.equal((await layerErrors('src/model/layer-probe.ts', `export { x } from '../tasks/registry.js';\n`)).length, 1);
  assert.equal((await layerErrors('src/tasks/layer-probe.ts', `export async function f() { return import('../model/index.js'); }\n`)).length, 1);
  // Type-only imports count too: a type from an upper layer still couples the two.
  assert.equal((await layerErrors('src/core/layer-probe.ts', `import type { Task } from '../tasks/task.js';\nexport type T = Task;\n`)).length, 1);
});

test('imports within a part, into allowed parts and of packages pass; the package root is off limits to parts', async () => {
  const ok = `import { a } from './sibling.js';\nimport { b } from '../code/run.js';\nimport { c } from '../../util/errors.js';\nimport { d } from 'yaml';\nexport { a, b, c, d };\n`;
  assert.deepEqual(await layerErrors('src/rewards/math/layer-probe.ts', ok), []);
  assert.equal((await layerErrors('src/rl/layer-probe.ts', `import { x } from '../index.js';\nexport { x };\n`)).length, 1);
});
