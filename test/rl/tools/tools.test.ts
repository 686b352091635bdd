// The built-in tools and a run's tool options: BM25 search over a JSON Lines corpus, the python
// tool through the sandbox, tool metrics from segments, and option checks naming their field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bm25Index, readCorpus, searchTool } from '../../../src/tools/search.js';
import { callProgram, pythonTool } from '../../../src/tools/python.js';
import { defineTool, DEFAULT_MAX_RESULT_CHARS, runTool } from '../../../src/tools/tool.js';
import { toolMetrics } from '../../../src/tools/metrics.js';
import { buildTools } from '../../../src/tools/registry.js';
import { DEFAULT_CONFIG, validateConfig, readConfigFile } from '../../../src/rl/config.js';
import { demoConfig, demoConfigFile } from '../../../src/rl/demo.js';
import { configFromFlags } from '../../../src/cli/commands/train.js';
import { sandboxStatus } from '../../../src/rewards/index.js';
import { theWorld, worldCorpus } from '../../../src/tasks/world.js';

const dir = mkdtempSync(join(tmpdir(), 'aha-tools-'));

test('BM25: the passage with the rare query term ranks first; a term found nowhere finds nothing', () => {
  const idx = new Bm25Index([
    { text: 'the cat sat on the mat' },
    { text: 'the dog sat on the log' },
    { text: 'a cat and a cat and a cat' },
    { text: 'nothing here' },
  ]);
  assert.deepEqual(idx.search('cat', 5).map((p) => p.text), ['a cat and a cat and a cat', 'the cat sat on the mat']);
  assert.deepEqual(idx.search('dog log', 1).map((p) => p.text), ['the dog sat on the log']);
  assert.deepEqual(idx.search('zebra', 3), []);
  assert.deepEqual(idx.search('  ', 3), []);
});

test('BM25 scores: idf·tf·(k1+1)/(tf + k1·(1 − b + b·len/avg)), k1 1.2, b 0.75, len in distinct terms', () => {
  // Our own arithmetic for one term over a three-passage corpus, against the library's scores.
  // MiniSearch measures a passage's length in distinct terms (docs/tools.md says so).
  const texts = ['apple apple pear', 'apple pear pear pear pear pear', 'kiwi'];
  const len = texts.map((t) => new Set(t.split(' ')).size);
  const avg = len.reduce((a, b) => a + b, 0) / len.length;
  const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
  const bm25 = (tf: number, l: number) => idf * (tf * 2.2) / (tf + 1.2 * (1 - 0.75 + (0.75 * l) / avg));
  const want = [bm25(2, len[0]), bm25(1, len[1])];
  const idx = new Bm25Index(texts.map((text) => ({ text })));
  const got = (idx as unknown as { index: { search(q: string, o: object): { score: number }[] } }).index.search('apple', { bm25: { k: 1.2, b: 0.75, d: 0 } }).map((r) => r.score);
  assert.equal(got.length, 2);
  got.forEach((s, i) => assert.ok(Math.abs(s - want[i]) < 1e-9, `${s} vs ${want[i]}`));
});

test('the search tool answers with numbered passages, top-k; the world corpus finds each person', async () => {
  const tool = searchTool(worldCorpus(), 3);
  const p = theWorld()[17];
  const out = await tool.call(p.name, { signal: new AbortController().signal });
  assert.ok(out.startsWith(`doc 1: ${p.name} is from ${p.town} and works as a ${p.work}.`), out);
  assert.equal(await tool.call('qqq', { signal: new AbortController().signal }), 'no results.');
});

test('readCorpus names the file, line and field of a bad passage', () => {
  const file = join(dir, 'bad.jsonl');
  writeFileSync(file, '{"text": "ok"}\n{"title": "x"}\n');
  assert.throws(() => readCorpus(file), /bad\.jsonl:2.*text/);
  const good = join(dir, 'good.jsonl');
  writeFileSync(good, '{"id": "a", "title": "A", "text": "alpha beta"}\n{"text": "gamma"}\n');
  assert.deepEqual(readCorpus(good).map((p) => p.text), ['alpha beta', 'gamma']);
});

test('the python tool returns stdout, or the error the program ended with', { skip: sandboxStatus().ok ? false : 'no sandbox here' }, async () => {
  const tool = pythonTool(5000);
  const ctx = { signal: new AbortController().signal };
  assert.equal(await tool.call('print(6 * 7)', ctx), '42\n');
  const err = await tool.call('print(1)\nraise ValueError("bad value")', ctx);
  assert.match(err, /^1\nerror: .*ValueError: bad value/s);
  assert.match(await tool.call('import socket\nsocket.create_connection(("1.1.1.1", 80), timeout=1)', ctx), /error: /);
  // A program written as one code fence runs what is inside it.
  assert.equal(await tool.call('```python\nprint(6 * 7)\n```', ctx), '42\n');
  assert.equal(await tool.call('```\nprint("a```b")\n```', ctx), 'a```b\n');
});

test('python: the program in a call is the text between the tags, or the inside of the one fence it is', () => {
  assert.equal(callProgram('```python\nx = 1\nprint(x)\n```'), 'x = 1\nprint(x)');
  assert.equal(callProgram('```py\nprint(1)```'), 'print(1)');
  assert.equal(callProgram('print(1)'), 'print(1)');
  // Text around the fence, or an unclosed fence: run as written (and fail as written).
  assert.equal(callProgram('see:\n```python\nprint(1)\n```'), 'see:\n```python\nprint(1)\n```');
  assert.equal(callProgram('```python\nprint(1)'), '```python\nprint(1)');
});

test('python: a long output is cut before the error, so the model still reads why its program failed (or that it printed too much)', { skip: sandboxStatus().ok ? false : 'no sandbox here' }, async () => {
  const r = await runTool(pythonTool(5000), 'print("y" * 5000)\nraise ValueError("bad value")', 5000);
  assert.equal(r.result.length <= DEFAULT_MAX_RESULT_CHARS, true);
  assert.match(r.result, /^y+\n\(cut at \d+ characters\)\nerror: .*ValueError: bad value$/s);
  // Killed for printing too much: said so, not a bare status.
  const flood = await runTool(pythonTool(5000), 'print("z" * (3 << 20))', 5000);
  assert.match(flood.result, /^z+\n\(cut at \d+ characters\)\nerror: output limit exceeded \(1 MiB\)$/);
});

test('python: the time limit is on the program, not on its wait for a sandbox slot', { skip: sandboxStatus().ok ? false : 'no sandbox here', timeout: 20000 }, async () => {
  // Every slot busy for 1 s; a quick program queued behind them still runs under a 0.8 s limit.
  const busy = Array.from({ length: availableParallelism() }, () => runTool(pythonTool(5000), 'import time\ntime.sleep(1)', 5000));
  const quick = await runTool(pythonTool(800), 'print(6 * 7)', 800);
  assert.deepEqual(quick, { result: '42\n', invalid: false });
  await Promise.all(busy);
  // A program that runs past it is cut, with the same error as runTool's own clock gives.
  assert.deepEqual(await runTool(pythonTool(300), 'while True: pass', 300), { result: 'error: python failed: timed out after 0.3 s', invalid: true });
});

test('runTool cuts a call at the timeout, unless its tool enforces the limit on its own work', async () => {
  const slow = { name: 'slow', resultTag: 'out', call: () => new Promise<string>((r) => setTimeout(() => r('done'), 60)) };
  assert.deepEqual(await runTool(defineTool(slow), 'x', 20), { result: 'error: slow failed: timed out after 0.02 s', invalid: true });
  assert.deepEqual(await runTool(defineTool({ ...slow, enforcesTimeout: true }), 'x', 20), { result: 'done', invalid: false });
});

test('tool metrics: calls per completion, use rate, invalid share, tool tokens', () => {
  const m = toolMetrics([
    { segments: [{ kind: 'model', text: 'a', tokens: 3 }, { kind: 'tool', text: 'b', tokens: 10, tool: 'search', invalid: false }, { kind: 'model', text: 'c', tokens: 2 }, { kind: 'tool', text: 'd', tokens: 4, tool: 'search', invalid: true }] },
    { segments: [{ kind: 'model', text: 'a', tokens: 5 }] },
  ]);
  assert.deepEqual(m, { 'tools/calls_per_completion': 1, 'tools/use_rate': 0.5, 'tools/invalid_rate': 0.5, 'tools/tokens_per_completion': 7 });
  assert.deepEqual(toolMetrics([{}, {}]), {});
});

test('tool options are checked with errors naming the field', () => {
  const base = { ...DEFAULT_CONFIG, task: 'world' };
  assert.throws(() => validateConfig({ ...base, tools: 'search' as unknown as string[] }), /tools must be a list/);
  assert.throws(() => validateConfig({ ...base, tools: ['search', 'search'] }), /tools names a tool twice/);
  assert.throws(() => validateConfig({ ...base, max_tool_calls: 0 }), /max_tool_calls must be an integer >= 1/);
  assert.throws(() => validateConfig({ ...base, tool_timeout: -1 }), /tool_timeout must be/);
  assert.throws(() => validateConfig({ ...base, search_top_k: 1.5 }), /search_top_k/);
  assert.throws(() => validateConfig({ ...base, search_corpus: 'x.jsonl' }), /search_corpus is set but tools does not include search/);
  // Settings nothing would read are refused, naming the field.
  assert.throws(() => validateConfig({ ...base, max_tool_calls: 2 }), /max_tool_calls is set but tools is empty/);
  assert.throws(() => validateConfig({ ...base, tool_timeout: 3 }), /tool_timeout is set but tools is empty/);
  assert.throws(() => validateConfig({ ...base, tools: ['python'], search_top_k: 5 }), /search_top_k is set but tools does not include search/);
  assert.equal(validateConfig({ ...base, tools: ['python'], max_tool_calls: 2, tool_timeout: 3 }).max_tool_calls, 2);
  assert.equal(validateConfig({ ...base, tools: ['search'], search_top_k: 5 }).search_top_k, 5);
  // --tools none on the world miniature (max_tool_calls 2) turns its tool settings off too.
  const off = validateConfig(configFromFlags({ task: 'world', tools: 'none' }, demoConfig(demoConfigFile('world'))));
  assert.deepEqual([off.tools, off.max_tool_calls], [[], 4]);
  assert.throws(() => buildTools({ ...base, tools: ['calculator'] }), /unknown tool "calculator"; built in: search, python/);
  assert.throws(() => buildTools({ ...base, task: 'countdown', tools: ['search'] }), /search needs search_corpus/);
  const yaml = join(dir, 'tools.yaml');
  writeFileSync(yaml, 'task: world\ntools: [search]\nmax_tool_calls: 2\ntool_timeout: 3\n');
  const cfg = validateConfig({ ...DEFAULT_CONFIG, ...readConfigFile(yaml) });
  assert.deepEqual([cfg.tools, cfg.max_tool_calls, cfg.tool_timeout], [['search'], 2, 3]);
  assert.equal(buildTools(cfg)[0].name, 'search');
});

test('aha train refuses an unknown tool in one line, exit 2, before loading anything', async () => {
  const { spawnSync } = await import('node:child_process');
  const out = join(dir, 'never');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--task', 'world', '--tools', 'search,calculator', '--output', out], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'aha: tools: unknown tool "calculator"; built in: search, python');
  assert.equal((await import('node:fs')).existsSync(out), false);
});
