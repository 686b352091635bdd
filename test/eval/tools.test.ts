// `aha eval --tools` against the fake OpenAI-compatible server over real HTTP on 127.0.0.1: the
// chat protocol (tools array, tool_calls answered with tool messages carrying the call's id and
// the search result), invalid calls, the cap on calls, the text protocol (<search> tags stopped at
// the closing tag, over completions and chat), the python tool in the sandbox, and the errors that
// come before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from '../../src/cli/commands/eval.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { RemoteGenerator } from '../../src/eval/remote.js';
import { ToolLoopGenerator } from '../../src/eval/tool-chat.js';
import { searchTool } from '../../src/tools/search.js';
import { sandboxStatus } from '../../src/rewards/index.js';
import { AhaError } from '../../src/util/errors.js';
import { runCommand } from '../cli/in-process.js';
import { startFakeServer, type FakeRequest, type FakeTurn } from './fake-openai-server.js';
import { tempDir, writeLines } from './helpers.js';

type Message = { role: string; content: string | null; tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[]; tool_call_id?: string };

const ahaInProcess = (args: string[]) => runCommand(register, 'eval', args);
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
const messages = (r: FakeRequest) => r.body.messages as Message[];
/** The person a question asks about ("What is the number of Tiko?"). */
const person = (text: string) => /number of (\w+)/.exec(text)![1];
const call = (id: string, name: string, args: string) => ({ id, type: 'function', function: { name, arguments: args } });

/** Two questions whose answers only the corpus knows, and the corpus (with a decoy passage). */
function fixtures(): { dir: string; data: string; corpus: string } {
  const dir = tempDir();
  const data = writeLines(join(dir, 'q.jsonl'), [
    { id: 'tiko', problem: 'What is the number of Tiko?', answer: '42' },
    { id: 'pell', problem: 'What is the number of Pell?', answer: '7' },
  ]);
  const corpus = writeLines(join(dir, 'corpus.jsonl'), [{ text: "Tiko's number is 42." }, { text: "Pell's number is 7." }, { text: "Mara's number is 3." }]);
  return { dir, data, corpus };
}

test('chat protocol: tool_calls run the search tool, the follow-up carries the call and its result, the answer is graded', async () => {
  const { dir, data, corpus } = fixtures();
  const server = await startFakeServer({
    reply: () => 'unused',
    turn: (req): FakeTurn => {
      const m = messages(req);
      const asked = person(m.find((x) => x.role === 'user')!.content!);
      const tool = m.find((x) => x.role === 'tool');
      if (!tool) return { content: null, tool_calls: [call(`call_${asked}`, 'search', JSON.stringify({ query: asked }))], finish_reason: 'tool_calls' };
      // Answer with the number the search result gives for the person asked about.
      const n = new RegExp(`${asked}'s number is (\\d+)`).exec(tool.content!)?.[1] ?? 'unknown';
      return { content: `The passage says so: \\boxed{${n}}` };
    },
  });
  try {
    const out = join(dir, 'out.jsonl');
    const stdout = await ahaInProcess(['--data', data, '--endpoint', server.url, '--model', 'fake', '--tools', 'search', '--search-corpus', corpus, '--out', out, '--json', '--quiet']);
    const s = lastJson(stdout);
    assert.equal(s['pass@1'], 1);
    assert.equal(s['tools/calls_per_completion'], 1);
    assert.equal(s['tools/use_rate'], 1);
    assert.equal(s['tools/invalid_rate'], 0);
    assert.ok((s['tools/chars_per_completion'] as number) > 20);
    assert.equal(server.requests.length, 4);
    const first = server.requests.find((r) => messages(r).length === 1 && person(messages(r)[0].content!) === 'Tiko')!;
    assert.equal(first.body.tool_choice, 'auto');
    const tools = first.body.tools as { type: string; function: { name: string; parameters: { properties: Record<string, unknown>; required: string[] } } }[];
    assert.deepEqual(tools.map((t) => [t.type, t.function.name, Object.keys(t.function.parameters.properties), t.function.parameters.required]), [['function', 'search', ['query'], ['query']]]);
    const follow = server.requests.find((r) => messages(r).length === 3 && person(messages(r)[0].content!) === 'Tiko')!;
    const [, assistant, toolMsg] = messages(follow);
    assert.equal(assistant.role, 'assistant');
    assert.deepEqual(assistant.tool_calls, [call('call_Tiko', 'search', '{"query":"Tiko"}')]);
    assert.equal(toolMsg.role, 'tool');
    assert.equal(toolMsg.tool_call_id, 'call_Tiko');
    assert.match(toolMsg.content!, /^doc 1: Tiko's number is 42\./);
    const rec = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((r) => r.id === 'tiko');
    assert.equal(rec.completion, 'The passage says so: \\boxed{42}');
    assert.deepEqual(rec.tool_calls.map((c: { tool: string; input: string; invalid: boolean }) => [c.tool, c.input, c.invalid]), [['search', 'Tiko', false]]);
    const perProblem = readFileSync(join(dir, 'out.problems.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(perProblem.map((p) => [p.id, p.tool_calls, p.invalid_tool_calls]), [['tiko', 1, 0], ['pell', 1, 0]]);
  } finally {
    await server.close();
  }
});

test('chat protocol: an unknown tool, arguments that are not JSON and a missing field come back as errors and count as invalid', async () => {
  const { dir, data, corpus } = fixtures();
  const server = await startFakeServer({
    reply: () => 'unused',
    turn: (req) => {
      const m = messages(req);
      if (m.length === 1) return { content: 'let me look', tool_calls: [call('a', 'calculator', '{"input":"6*7"}'), call('b', 'search', '{query: Tiko'), call('c', 'search', '{"q":"Tiko"}')] };
      return { content: `errors: ${m.filter((x) => x.role === 'tool').map((x) => `${x.tool_call_id}=${x.content}`).join(' | ')} \\boxed{0}` };
    },
  });
  try {
    const r = await evaluate({ data, model: 'fake', endpoint: server.url, tools: ['search'], searchCorpus: corpus, limit: 1, out: join(dir, 'out.jsonl') });
    assert.equal(r.metrics['pass@1'], 0);
    assert.deepEqual(r.tools, { 'tools/calls_per_completion': 3, 'tools/use_rate': 1, 'tools/invalid_rate': 1, 'tools/chars_per_completion': r.tools!['tools/chars_per_completion'] });
    const said = messages(server.requests[1]).filter((x) => x.role === 'tool').map((x) => [x.tool_call_id, x.content]);
    assert.deepEqual(said, [
      ['a', 'error: there is no tool "calculator"; tools: search'],
      ['b', 'error: the arguments of search are not valid JSON; send {"query": "…"}'],
      ['c', 'error: search needs a non-empty string "query"'],
    ]);
    assert.equal(r.perProblem[0].toolCalls?.invalid, 3);
  } finally {
    await server.close();
  }
});

test('chat protocol: the call past --max-tool-calls gets an error, then one last turn with tool_choice none', async () => {
  const { dir, data, corpus } = fixtures();
  const server = await startFakeServer({
    reply: () => 'unused',
    // A model that never stops searching while it may.
    turn: (req) => (req.body.tool_choice === 'none' ? { content: 'fine: \\boxed{42}' } : { content: null, tool_calls: [call(`c${req.number}`, 'search', '{"query":"Tiko"}')] }),
  });
  try {
    const r = await evaluate({ data, model: 'fake', endpoint: server.url, tools: ['search'], searchCorpus: corpus, maxToolCalls: 2, limit: 1, out: join(dir, 'out.jsonl') });
    assert.equal(r.metrics['pass@1'], 1);
    assert.equal(server.requests.length, 4);
    assert.deepEqual(server.requests.map((q) => q.body.tool_choice), ['auto', 'auto', 'auto', 'none']);
    const tools = messages(server.requests[3]).filter((x) => x.role === 'tool').map((x) => x.content);
    assert.equal(tools.length, 3);
    assert.match(tools[0]!, /Tiko's number is 42/);
    assert.equal(tools[2], 'error: at most 2 tool calls per answer');
    assert.equal(r.tools!['tools/calls_per_completion'], 3);
    assert.equal(r.tools!['tools/invalid_rate'], 1 / 3);
  } finally {
    await server.close();
  }
});

test('text protocol: <search> stops at the closing tag, the result comes back as <information> in the text (completions and chat)', async () => {
  const { dir, data, corpus } = fixtures();
  // Tiko: the server strips the stop string (OpenAI's rule); Pell: it keeps it and runs on (a
  // server sending include_stop_str_in_output), and the text after the tag is dropped.
  const server = await startFakeServer({
    reply: () => 'unused',
    turn: (req) => {
      const chat = req.path.endsWith('/chat/completions');
      const m = chat ? messages(req) : [];
      const sofar = chat ? (m.at(-1)!.role === 'assistant' ? m.at(-1)!.content! : '') : String(req.body.prompt);
      const asked = person(chat ? m[0].content! : sofar);
      if (!sofar.includes('<information>')) return asked === 'Tiko' ? { content: '<think>look it up</think>\n<search>Tiko', stop_reason: '</search>' } : { content: '<search>Pell</search> made-up text' };
      const n = new RegExp(`${asked}'s number is (\\d+)`).exec(sofar)?.[1] ?? 'none';
      return { content: `\n<answer>\\boxed{${n}}</answer>` };
    },
  });
  try {
    const r = await evaluate({ data, model: 'fake', endpoint: server.url, api: 'completions', promptTemplate: 'raw', tools: ['search'], searchCorpus: corpus, stop: ['</answer>'], out: join(dir, 'c.jsonl') });
    assert.equal(r.metrics['pass@1'], 1);
    assert.deepEqual(r.tools, { 'tools/calls_per_completion': 1, 'tools/use_rate': 1, 'tools/invalid_rate': 0, 'tools/chars_per_completion': r.tools!['tools/chars_per_completion'] });
    const first = server.requests[0];
    assert.deepEqual(first.body.stop, ['</answer>', '</search>']);
    assert.equal('tools' in first.body, false);
    const tikoFollow = server.requests.find((q) => String(q.body.prompt).includes('Tiko') && String(q.body.prompt).includes('<information>'))!;
    assert.match(String(tikoFollow.body.prompt), /<think>look it up<\/think>\n<search>Tiko<\/search>\n<information>\ndoc 1: Tiko's number is 42\.\n.*<\/information>\n$/s);
    const recs = readFileSync(join(dir, 'c.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const pell = recs.find((x) => x.id === 'pell');
    assert.match(pell.completion, /^<search>Pell<\/search>\n<information>\ndoc 1: Pell's number is 7\./);
    assert.doesNotMatch(pell.completion, /made-up/);

    // Over the chat API the answer so far goes back as an assistant message the server continues.
    server.requests.length = 0;
    const c = await evaluate({ data, model: 'fake', endpoint: server.url, api: 'chat', toolProtocol: 'text', tools: ['search'], searchCorpus: corpus, limit: 1, out: join(dir, 'chat.jsonl') });
    assert.equal(c.metrics['pass@1'], 1);
    const cont = server.requests[1].body;
    assert.equal(cont.continue_final_message, true);
    assert.equal(cont.add_generation_prompt, false);
    assert.match((cont.messages as Message[]).at(-1)!.content!, /^<think>look it up<\/think>\n<search>Tiko<\/search>\n<information>/);
  } finally {
    await server.close();
  }
});

test('text protocol: an empty call is invalid and not run; vLLM\'s stop_reason null (EOS) after an open tag is no call; a call in the last turn counts as invalid', async () => {
  // Each conversation's pieces in order, keyed by its prompt; the fake strips nothing.
  const pieces: Record<string, FakeTurn[]> = {
    empty: [{ content: '<search> </search>' }, { content: ' done' }],
    eos: [{ content: 'think <search>Tiko', stop_reason: null }, { content: ' never asked' }],
    cap: [{ content: '<search>Tiko</search>' }, { content: '<search>Pell</search>' }, { content: '<search>Mara</search> so 42' }],
  };
  const server = await startFakeServer({ reply: () => 'unused', turn: (req) => pieces[String(req.body.prompt).split(' ')[0]].shift()! });
  try {
    const remote = new RemoteGenerator({ endpoint: server.url, model: 'fake', api: 'completions', timeoutMs: 5000, retries: 0, backoffBaseMs: 1, backoffMaxMs: 5 });
    const queries: string[] = [];
    const search = searchTool([{ text: "Tiko's number is 42." }], 1);
    const spy = { ...search, call: (q: string, c: Parameters<typeof search.call>[1]) => (queries.push(q), search.call(q, c)) };
    const gen = new ToolLoopGenerator(remote, { tools: [spy], maxToolCalls: 2, toolTimeoutMs: 5000, protocol: 'text' });
    const sampling = { temperature: 0, topP: 1, maxTokens: 100 };
    const empty = (await gen.generate({ prompt: 'empty ', n: 1 }, sampling)).samples[0];
    assert.equal(empty.text, '<search> </search>\n<information>\nerror: write <search>input</search>\n</information>\n done');
    assert.deepEqual(empty.toolCalls!.map((c) => [c.input, c.invalid]), [['', true]]);
    const eos = (await gen.generate({ prompt: 'eos ', n: 1 }, sampling)).samples[0];
    assert.equal(eos.text, 'think <search>Tiko');
    assert.deepEqual(eos.toolCalls, []);
    assert.deepEqual(queries, []);
    // Past the cap, the last turn's call is plain text, not run, and counted invalid (as over chat).
    const one = new ToolLoopGenerator(remote, { tools: [spy], maxToolCalls: 1, toolTimeoutMs: 5000, protocol: 'text' });
    const cap = (await one.generate({ prompt: 'cap ', n: 1 }, sampling)).samples[0];
    assert.deepEqual(cap.toolCalls!.map((c) => [c.input, c.invalid]), [['Tiko', false], ['Pell', true], ['Mara', true]]);
    assert.ok(cap.text.endsWith('</information>\n<search>Mara</search> so 42'));
    assert.deepEqual(queries, ['Tiko']);
  } finally {
    await server.close();
  }
});

test('an answer without choices is asked for again, inside the retries, and its usage counted once', async () => {
  const server = await startFakeServer({
    reply: () => 'unused',
    noChoices: (req) => req.number === 2,
    turn: (req) => (messages(req).some((x) => x.role === 'tool') ? { content: 'so \\boxed{42}' } : { content: null, tool_calls: [call('c1', 'search', '{"query":"Tiko"}')] }),
  });
  try {
    const remote = new RemoteGenerator({ endpoint: server.url, model: 'fake', api: 'chat', timeoutMs: 5000, retries: 2, backoffBaseMs: 1, backoffMaxMs: 5 });
    const tools = [searchTool([{ text: "Tiko's number is 42." }], 1)];
    const gen = new ToolLoopGenerator(remote, { tools, maxToolCalls: 2, toolTimeoutMs: 5000, protocol: 'chat' });
    const r = await gen.generate({ prompt: 'What is the number of Tiko?', n: 1 }, { temperature: 0, topP: 1, maxTokens: 100 });
    assert.equal(r.samples[0].text, 'so \\boxed{42}');
    assert.equal(server.requests.length, 3);
    assert.equal(gen.retries(), 1);
    // The fake counts the last message's words: the question, then the tool result; the empty answer's are not counted.
    assert.deepEqual(r.usage, { promptTokens: 6 + 6, completionTokens: 1 + 2 });
  } finally {
    await server.close();
  }
});

test('a turn the server aborted (vLLM, SGLang: finish_reason "abort" in an HTTP 200) is asked for again, not taken as the answer', async () => {
  const server = await startFakeServer({
    reply: () => 'unused',
    turn: (req) => (req.number === 2 ? { content: 'so \\boxed{', finish_reason: 'abort' } : messages(req).some((x) => x.role === 'tool') ? { content: 'so \\boxed{42}' } : { content: null, tool_calls: [call('c1', 'search', '{"query":"Tiko"}')] }),
  });
  try {
    const remote = new RemoteGenerator({ endpoint: server.url, model: 'fake', api: 'chat', timeoutMs: 5000, retries: 2, backoffBaseMs: 1, backoffMaxMs: 5 });
    const gen = new ToolLoopGenerator(remote, { tools: [searchTool([{ text: "Tiko's number is 42." }], 1)], maxToolCalls: 2, toolTimeoutMs: 5000, protocol: 'chat' });
    const r = await gen.generate({ prompt: 'What is the number of Tiko?', n: 1 }, { temperature: 0, topP: 1, maxTokens: 100 });
    assert.deepEqual([r.samples[0].text, r.samples[0].finishReason], ['so \\boxed{42}', 'stop']);
    assert.equal(server.requests.length, 3);
    assert.equal(gen.retries(), 1);
  } finally {
    await server.close();
  }
});

test('the python tool runs the model\'s code in the sandbox', { skip: sandboxStatus().ok ? false : 'code sandbox unavailable' }, async () => {
  const { dir, data } = fixtures();
  const server = await startFakeServer({
    reply: () => 'unused',
    turn: (req) => {
      const tool = messages(req).find((x) => x.role === 'tool');
      return tool ? { content: `\\boxed{${tool.content!.trim()}}` } : { content: null, tool_calls: [call('p', 'python', JSON.stringify({ code: 'print(6 * 7)' }))] };
    },
  });
  try {
    const r = await evaluate({ data, model: 'fake', endpoint: server.url, tools: ['python'], toolTimeoutMs: 20_000, limit: 1, out: join(dir, 'out.jsonl') });
    assert.equal(r.metrics['pass@1'], 1);
    const tools = (server.requests[0].body.tools as { function: { name: string; parameters: { required: string[] } } }[]).map((t) => [t.function.name, t.function.parameters.required[0]]);
    assert.deepEqual(tools, [['python', 'code']]);
  } finally {
    await server.close();
  }
});

test('a server that rejects tools: one line naming its message and suggesting --tool-protocol text', async () => {
  const { dir, data, corpus } = fixtures();
  const server = await startFakeServer({ reply: () => 'unused', fail: (req) => ('tools' in req.body ? { status: 400, message: '"auto" tool choice requires --enable-auto-tool-choice' } : null) });
  try {
    await assert.rejects(
      ahaInProcess(['--data', data, '--endpoint', server.url, '--model', 'fake', '--tools', 'search', '--search-corpus', corpus, '--out', join(dir, 'out.jsonl'), '--quiet', '--retries', '0']),
      /the server rejected a request with tools \(.*HTTP 400: "auto" tool choice requires --enable-auto-tool-choice\).*try --tool-protocol text/,
    );
  } finally {
    await server.close();
  }
  // A later turn's 400 (here: the context grew too long) is the server's own message, not a tools hint.
  const later = await startFakeServer({
    reply: () => 'unused',
    turn: () => ({ content: null, tool_calls: [call('a', 'search', '{"query":"Tiko"}')] }),
    fail: (req) => (messages(req).length > 1 ? { status: 400, message: 'maximum context length exceeded' } : null),
  });
  try {
    const err = await evaluate({ data, model: 'fake', endpoint: later.url, tools: ['search'], searchCorpus: corpus, limit: 1, retries: 0, out: join(dir, 'later.jsonl') }).catch((e: Error) => e);
    assert.match(String(err), /HTTP 400: maximum context length exceeded/);
    assert.doesNotMatch(String(err), /tool-protocol/);
  } finally {
    await later.close();
  }
});

test('tool errors come before any request: unknown tool, corpus missing or bad (file and line), a local model, mismatched options', async () => {
  const { dir, data, corpus } = fixtures();
  // Port 9 (discard) has no server: any request would fail, so these errors come first.
  const run = (args: string[]) => ahaInProcess(['--data', data, '--endpoint', 'http://127.0.0.1:9', '--model', 'm', '--out', join(dir, 'never.jsonl'), ...args]);
  await assert.rejects(run(['--tools', 'calculator']), /unknown tool "calculator"; built in: search, python/);
  await assert.rejects(run(['--tools', 'search']), /search needs search_corpus/);
  await assert.rejects(run(['--tools', 'search', '--search-corpus', join(dir, 'nope.jsonl')]), /nope\.jsonl/);
  const bad = writeLines(join(dir, 'bad.jsonl'), [{ text: 'fine' }, { title: 'no text' }]);
  await assert.rejects(run(['--tools', 'search', '--search-corpus', bad]), /bad\.jsonl:2, field "text"/);
  await assert.rejects(run(['--max-tool-calls', '2']), /max_tool_calls is set but tools is empty/);
  await assert.rejects(run(['--search-corpus', corpus]), /search_corpus is set but tools does not include search/);
  await assert.rejects(run(['--tools', 'search', '--search-corpus', corpus, '--api', 'completions', '--tool-protocol', 'chat']), /tool protocol chat needs api chat/);
  await assert.rejects(ahaInProcess(['--data', data, '--model', join(dir, 'folder'), '--tools', 'search', '--search-corpus', corpus]), /tools need an OpenAI-compatible server/);
  // An AhaError: the CLI prints it as one `aha: …` line with exit code 2 (test/eval/cli.test.ts).
  await assert.rejects(run(['--tools', 'calculator']), AhaError);
});
