// A quick probe of a world base model (docs/tools.md): does it copy the person's name from the
// question when it searches? The tool-use miniature rests on that skill: a search with a wrong name
// finds nothing, so GRPO has nothing to reinforce. Samples one answer per held-out world question
// (temperature 1, the search tool on the world corpus, as `aha train --task world` does) and counts
// how often the model searches, how often a search names the person exactly as the question writes
// it, how often the guess's think sentence starts with that name, and the accuracy. Outside the
// frame it also measures the bare skill: after one line of the corpus's query drill and a new
// question, the share of searches that write the name exactly.
// Usage: npx tsx bench/world-probe.ts MODEL_DIR [MODEL_DIR...] [--problems N] [--seed N] [--json]
import { loadModel } from '../src/model/load-model.js';
import { sampleWithTools } from '../src/rl/tools/sampler.js';
import { searchTool } from '../src/tools/search.js';
import { worldCorpus, worldTask } from '../src/tasks/world.js';
import { Rng } from '../src/util/rng.js';
import { benchArgs } from './lib/args.js';

const OPTIONS = ['--problems', '--seed'];
const argv = process.argv.slice(2);
// Model folders are the arguments that are neither a flag nor an option's value.
const isDir = (a: string, i: number): boolean => !a.startsWith('--') && !(i > 0 && OPTIONS.includes(argv[i - 1]));
const dirs = argv.filter(isDir);
const args = benchArgs('world-probe', OPTIONS, ['--json'], argv.filter((a, i) => !isDir(a, i)));
const problems = args.int('--problems', 200);
const seed = args.int('--seed', 1);
const json = args.has('--json');
if (dirs.length === 0 || !Number.isInteger(problems) || problems < 1 || !Number.isInteger(seed)) {
  throw new Error('usage: npx tsx bench/world-probe.ts MODEL_DIR [MODEL_DIR...] [--problems N] [--seed N] [--json]');
}

interface Probe {
  model: string;
  answers: number;
  /** Share of answers that wrote at least one well-formed search call. */
  search_rate: number;
  /** Share of those searches whose (first) query is the person's name exactly. */
  exact_name_rate: number;
  /** Share of searches whose first query starts with the name's first two letters. */
  two_letter_rate: number;
  /** Share of answers without a search whose think block starts with the exact name. */
  think_name_rate: number;
  accuracy: number;
  accuracy_when_searching: number;
  /** Share of drill prompts (`the work of NAME. <search>`) completed with exactly `NAME</search>`. */
  drill_exact_rate: number;
  seconds: number;
}

// As `aha train --task world` samples (temperature 1, nothing cut off).
const SAMPLING = { temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1 };

const share = (a: number, b: number) => (b === 0 ? 0 : Number((a / b).toFixed(4)));

async function probe(dir: string): Promise<Probe> {
  const t0 = performance.now();
  const { model, tokenizer, eosIds } = loadModel(dir);
  const probs = worldTask.generate({ split: 'heldout', count: problems, seed, difficulty: 0 });
  const out = await sampleWithTools(model, probs.map((p) => tokenizer.encode(p.prompt)), {
    maxNewTokens: 200,
    sampling: SAMPLING,
    eosIds,
    tokenizer,
    rng: new Rng(seed),
    tools: [searchTool(worldCorpus())],
    maxToolCalls: 2,
    toolTimeoutMs: 10_000,
  });
  // The bare copy: no tools, only the text up to the closing tag.
  const drills = probs.map((p) => tokenizer.encode(`the town Mabu is from. <search>Mabu</search>\nthe work of ${(p.meta as { name: string }).name}. <search>`));
  const drilled = await sampleWithTools(model, drills, {
    maxNewTokens: 16,
    sampling: SAMPLING,
    eosIds,
    tokenizer,
    rng: new Rng(seed),
    tools: [],
    maxToolCalls: 0,
    toolTimeoutMs: 10_000,
  });
  const drillExact = drilled.filter((s, i) => s.text.startsWith(`${(probs[i]!.meta as { name: string }).name}</search>`)).length;
  let searches = 0, exact = 0, twoLetters = 0, guesses = 0, thinkName = 0, correct = 0, correctSearching = 0;
  out.forEach((s, i) => {
    const name = (probs[i]!.meta as { name: string }).name;
    const ok = worldTask.verify(s.text, probs[i]!).correct;
    if (ok) correct++;
    const query = /<search>([^<]*)<\/search>/.exec(s.text)?.[1]?.trim();
    if (query !== undefined && s.segments.some((x) => x.kind === 'tool')) {
      searches++;
      if (query === name) exact++;
      if (query.slice(0, 2) === name.slice(0, 2)) twoLetters++;
      if (ok) correctSearching++;
    } else {
      guesses++;
      if (new RegExp(`^<think>\\n${name} `).test(s.text)) thinkName++;
    }
  });
  return {
    model: dir,
    answers: out.length,
    search_rate: share(searches, out.length),
    exact_name_rate: share(exact, searches),
    two_letter_rate: share(twoLetters, searches),
    think_name_rate: share(thinkName, guesses),
    accuracy: share(correct, out.length),
    accuracy_when_searching: share(correctSearching, searches),
    drill_exact_rate: share(drillExact, out.length),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
}

console.log('| model | answers | searching | exact name in search | first two letters | exact name in a guess | accuracy | accuracy when searching | exact name after a drill line | seconds |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const results: Probe[] = [];
for (const dir of dirs) {
  const r = await probe(dir);
  results.push(r);
  console.log(`| ${r.model} | ${r.answers} | ${r.search_rate} | ${r.exact_name_rate} | ${r.two_letter_rate} | ${r.think_name_rate} | ${r.accuracy} | ${r.accuracy_when_searching} | ${r.drill_exact_rate} | ${r.seconds} |`);
}
if (json) console.log(JSON.stringify(results));
