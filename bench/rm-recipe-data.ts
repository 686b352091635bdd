// Writes the bundled data of recipes/r1-arithmetic-rm.yaml (run from the repository root:
// `npx tsx bench/rm-recipe-data.ts`):
//   recipes/data/r1-preferences.jsonl  gold-ranked pairs of the base model's samples (bench/lib/rm-miniature.ts)
//   recipes/data/r1-final-prompts.jsonl  the final stage's prompts: half with their answer (verifiable,
//     for the rule-based rewards), half without (stand-ins for R1's general prompts: only the
//     preference reward model judges them)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveModelDir } from '../src/rl/setup.js';
import { DIFFICULTY, goldRankedPairs, task } from './lib/rm-miniature.js';

const out = join('recipes', 'data');
mkdirSync(out, { recursive: true });
const pairs = goldRankedPairs(resolveModelDir(null, 'arithmetic'), 7, 160, 200);
writeFileSync(join(out, 'r1-preferences.jsonl'), pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
const problems = task.generate({ split: 'train', count: 200, seed: 11, difficulty: DIFFICULTY });
const prompts = problems.map((p, i) => (i % 2 === 0 ? { id: p.id, prompt: task.prompt(p), answer: p.gold } : { id: p.id, prompt: task.prompt(p) }));
writeFileSync(join(out, 'r1-final-prompts.jsonl'), prompts.map((p) => JSON.stringify(p)).join('\n') + '\n');
console.log(`${pairs.length} pairs, ${prompts.length} prompts written to ${out}`);
