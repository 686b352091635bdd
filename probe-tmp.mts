import { loadModel } from './src/model/load-model.ts';
import { sampleWithTools } from './src/rl/tools/sampler.ts';
import { searchTool } from './src/rl/tools/search.ts';
import { worldCorpus, worldTask } from './src/tasks/world.ts';
import { Rng } from './src/util/rng.ts';
const dir = process.argv[2];
const { model, tokenizer, eosIds } = loadModel(dir);
const probs = worldTask.generate({ split: 'heldout', count: 200, seed: 3, difficulty: 0 });
const out = await sampleWithTools(model, probs.map((p) => tokenizer.encode(p.prompt)), { maxNewTokens: 200, sampling: { temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1 }, eosIds, tokenizer, rng: new Rng(1), tools: [searchTool(worldCorpus())], maxToolCalls: 2, toolTimeoutMs: 10000 });
let used = 0, okUsed = 0, ok = 0, attempted = 0;
out.forEach((s, i) => {
  const v = worldTask.verify(s.text, probs[i]);
  const u = s.segments.some((x) => x.kind === 'tool');
  if (s.text.includes('<search>')) attempted++;
  if (u) { used++; if (v.correct) okUsed++; }
  if (v.correct) ok++;
});
console.log({ n: out.length, attempted, used, okUsed, ok, acc: ok / out.length });
for (const s of out.filter((s) => s.segments.some((x) => x.kind === 'tool')).slice(0, 3)) console.log(JSON.stringify(s.text));
for (const s of out.slice(0, 3)) console.log(JSON.stringify(s.text));
