// The reward server: lets Python trainers (OpenRLHF's remote reward model, or anything that
// can POST JSON) use aha's verifiers. node:http, bounded concurrency, body-size limits, a health
// endpoint, and graceful shutdown that finishes in-flight requests.
// Slow clients cannot stall it: a request's whole body is read before it takes a processing
// slot, headers and bodies have deadlines (408 and the connection closed), and one remote
// address may hold only so many connections (429 beyond).
//
//   POST /get_reward (and /)  {"query": [...], "prompts": [...], "labels": [...]} -> {"rewards": [...]}
//   POST /score               {"completion", "example"} or {"items": [{completion, example}, ...]};
//                             an item may be verl's compute_score arguments {solution_str, ground_truth,
//                             data_source?, extra_info?}; or TRL's reward-function batch
//                             {"completions": [...], "prompts"?: [...], <column>: [...]} -> {"rewards": [...]}
//   POST /verify/math         {"pred", "gold"} or {"items": [...]}   (as `aha verify math`)
//   POST /verify/code         {"language", "code", "tests"} or {"items": [...]}
//   GET  /health
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  BoundedMathVerifier,
  MATH_DEADLINE_MS,
  combineRewards,
  createAccuracyReward,
  getReward,
  sandboxStatus,
  verifyMathRecord,
  verifyCodeRecord,
  isInputError,
  mathRecordProblem,
  codeRecordProblem,
  type RewardExample,
  type RewardFunction,
} from '../rewards/index.js';
import { AhaError } from '../util/errors.js';
import { utf8OrNull } from '../util/text-file.js';
import { readBody, HttpError } from './body.js';

/** A special token as decoded text: <|im_end|>, <|eot_id|>, <｜end▁of▁sentence｜>, </s>, <eos>, <pad>, ... */
const SPECIAL_TOKEN = String.raw`(?:<[|｜][^<>\s|｜]{1,64}[|｜]>|<\/?s>|<eos>|<pad>|<unk>|<end_of_turn>)`;
const ONLY_SPECIALS = new RegExp(String.raw`^(?:\s*${SPECIAL_TOKEN})*\s*$`);
const ENDS_WITH_SPECIAL = new RegExp(String.raw`${SPECIAL_TOKEN}$`);

/** `text` without the special tokens (and whitespace) that end it; each is matched in a short tail, so a long text costs no more than a short one. */
function withoutTrailingSpecials(text: string): string {
  let end = text.trimEnd().length;
  for (;;) {
    const tail = text.slice(Math.max(0, end - 80), end);
    const m = ENDS_WITH_SPECIAL.exec(tail);
    if (!m) return text.slice(0, end);
    end = text.slice(0, end - m[0].length).trimEnd().length;
  }
}

/**
 * The response in an OpenRLHF query. OpenRLHF decodes the whole sequence with its special tokens
 * (skip_special_tokens=False): the EOS and any right padding stay at the end, and older versions
 * keep the left padding (and a BOS the template already wrote is doubled) before the prompt.
 * verl and TRL give reward functions the response decoded without them, and the strict format
 * reward would fail on a trailing <|im_end|>. So: the text after the prompt, where the prompt
 * follows nothing but special tokens, without the special tokens that end it. A query in which
 * the prompt cannot be found is scored whole.
 */
export function openRlhfResponse(query: string, prompt: string | undefined): string {
  let response = query;
  if (prompt !== undefined && prompt !== '') {
    const at = query.indexOf(prompt);
    if (at >= 0 && ONLY_SPECIALS.test(query.slice(0, at))) response = query.slice(at + prompt.length);
  }
  return withoutTrailingSpecials(response);
}

export interface RewardServerOptions {
  port: number;
  host?: string;
  /** Reward names with weights, e.g. [{name: 'accuracy', weight: 1}, {name: 'format', weight: 0.5}]. */
  rewards?: Array<{ name: string; weight: number }>;
  /** Reward functions found by name before the registry (learned reward models, built where models load). */
  rewardFunctions?: readonly RewardFunction[];
  /** Largest request body in bytes (default 8 MiB); larger gets 413. */
  maxBodyBytes?: number;
  /** Requests processed at once (default 8); more wait in a queue. */
  concurrency?: number;
  /** Requests allowed to wait (default 256); beyond that, 503. */
  maxQueue?: number;
  /** Items in one batch request (default 4096). */
  maxItems?: number;
  /** Math verifier worker threads (default: core count). */
  mathThreads?: number;
  /** Hard per-answer limit for math in ms (default 5000). */
  mathHardTimeoutMs?: number;
  /** Time for a client to send the request headers (default 10 s); then the connection is closed. */
  headersTimeoutMs?: number;
  /** Time for a client to send the whole body once headers are in (default 30 s); then 408 and close. */
  bodyTimeoutMs?: number;
  /** Open connections one remote address may hold (default 128); more get 429 and are closed. */
  maxConnectionsPerAddress?: number;
}

export interface RunningRewardServer {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then frees the workers. */
  close(graceMs?: number): Promise<void>;
}

/** The body as JSON: strict UTF-8 (a Latin-1 body would score U+FFFD text silently), a byte-order mark dropped. */
function parseJson(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = utf8OrNull(body);
  if (text === null) throw new HttpError(400, 'body is not UTF-8 text; send JSON encoded as UTF-8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    // Python's requests.post(url, data=dict) sends a form: say so, since the JSON error alone does not.
    const form = contentType !== undefined && /form-urlencoded|multipart\/form-data/i.test(contentType);
    throw new HttpError(400, `body is not valid JSON (${(err as Error).message})${form ? `; it was sent as ${contentType.split(';')[0]}: send JSON (Python: requests.post(url, json=...))` : ''}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'body must be a JSON object');
  return v as Record<string, unknown>;
}

function stringArray(body: Record<string, unknown>, field: string, required: boolean): string[] | null {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) throw new HttpError(400, `"${field}" is required (an array of strings)`);
    return null;
  }
  if (!Array.isArray(v)) throw new HttpError(400, `"${field}" must be an array of strings, got ${typeof v}`);
  const bad = v.findIndex((x) => typeof x !== 'string');
  if (bad >= 0) throw new HttpError(400, `"${field}"[${bad}] must be a string, got ${JSON.stringify(v[bad])?.slice(0, 40)}`);
  return v as string[];
}

/**
 * OpenRLHF's labels: whatever the data set's label column holds, so a number is a gold answer too
 * (42 as "42"); null is a row without one. Anything else is a 400 naming the index.
 */
function labelArray(body: Record<string, unknown>): (string | null)[] | null {
  const v = body.labels;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new HttpError(400, `"labels" must be an array of gold answers (strings or numbers), got ${typeof v}`);
  return v.map((x, i) => {
    if (typeof x === 'string' || x === null) return x;
    if (typeof x === 'number' && Number.isFinite(x)) return String(x);
    throw new HttpError(400, `"labels"[${i}] must be a string, a number or null, got ${JSON.stringify(x)?.slice(0, 40)}`);
  });
}

/** A completion as TRL gives it to a reward function: text, or a conversation whose last message's content is the answer. */
function completionText(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0) {
    const last = v[v.length - 1] as { content?: unknown } | null;
    if (last !== null && typeof last === 'object' && typeof last.content === 'string') return last.content;
  }
  throw new HttpError(400, `${where} must be a string or a list of messages ending with {"content": "..."}`);
}

/** verl's compute_score(data_source, solution_str, ground_truth, extra_info) arguments as a /score item. */
function verlItem(it: Record<string, unknown>, i: number): { completion: string; example: RewardExample } {
  if (typeof it.solution_str !== 'string') throw new HttpError(400, `item ${i}: "solution_str" must be a string`);
  const gold = it.ground_truth;
  if (gold !== undefined && gold !== null && typeof gold !== 'string' && !(typeof gold === 'number' && Number.isFinite(gold))) {
    throw new HttpError(400, `item ${i}: "ground_truth" must be a string or a number, got ${JSON.stringify(gold)?.slice(0, 40)}`);
  }
  const extra = it.extra_info ?? {};
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw new HttpError(400, `item ${i}: "extra_info" must be an object`);
  const example: RewardExample = { ...(extra as Record<string, unknown>) };
  if (typeof it.data_source === 'string') example.data_source = it.data_source;
  if (gold !== undefined && gold !== null) example.gold = String(gold);
  return { completion: it.solution_str, example };
}

/**
 * TRL's reward-function call as JSON: completions, prompts and every other data set column as
 * arrays of the same length; row i's columns make its example (its "answer", "solution" or
 * "ground_truth" column the gold when there is no "gold").
 */
function trlItems(b: Record<string, unknown>): { completion: string; example: RewardExample }[] {
  const completions = b.completions as unknown[];
  for (const [k, v] of Object.entries(b)) {
    if (!Array.isArray(v)) throw new HttpError(400, `"${k}": every field of a TRL batch is a column, an array with one entry per completion`);
    if (v.length !== completions.length) throw new HttpError(400, `"${k}" has ${v.length} items but "completions" has ${completions.length}`);
  }
  return completions.map((c, i) => {
    const example: RewardExample = {};
    for (const [k, v] of Object.entries(b)) if (k !== 'completions' && k !== 'prompts') example[k] = (v as unknown[])[i];
    if (Array.isArray(b.prompts)) example.prompt = b.prompts[i];
    if (example.gold === undefined) {
      const g = ['answer', 'ground_truth', 'solution'].map((k) => example[k]).find((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)));
      if (g !== undefined) example.gold = String(g);
    }
    return { completion: completionText(c, `completions[${i}]`), example };
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the server; resolves once it listens (port 0 picks a free port). */
export async function startRewardServer(opts: RewardServerOptions): Promise<RunningRewardServer> {
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const concurrency = opts.concurrency ?? 8;
  const maxQueue = opts.maxQueue ?? 256;
  const maxItems = opts.maxItems ?? 4096;
  const headersTimeoutMs = opts.headersTimeoutMs ?? 10_000;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? 30_000;
  const maxPerAddress = opts.maxConnectionsPerAddress ?? 128;
  const verifier = new BoundedMathVerifier({ threads: opts.mathThreads, hardTimeoutMs: opts.mathHardTimeoutMs, defaultTimeoutMs: MATH_DEADLINE_MS });
  const accuracy = createAccuracyReward({ verifier });
  const specs = opts.rewards ?? [{ name: 'accuracy', weight: 1 }];
  // Validate names now, so a typo fails at start-up rather than on the first request.
  const fns = specs.map(({ name, weight }) => ({ fn: opts.rewardFunctions?.find((f) => f.name === name) ?? (name === 'accuracy' ? accuracy : getReward(name)), weight }));
  const combined = combineRewards(fns);
  const rewardNames = fns.map(({ fn, weight }) => ({ name: fn.name, weight }));
  const needsGold = rewardNames.some((r) => r.name === 'accuracy');

  let active = 0;
  const waiting: Array<() => void> = [];
  let served = 0;
  let draining = false;
  // Requests from arrival until their answer is sent: shutdown waits for these to reach 0.
  let inflight = 0;
  const idleWaiters: Array<() => void> = [];

  async function withSlot<T>(task: () => Promise<T>): Promise<T> {
    if (active >= concurrency) {
      if (waiting.length >= maxQueue) throw new HttpError(503, 'server busy: too many queued requests, retry later');
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  }

  function scoreOne(completion: string, example: RewardExample): Promise<{ total: number | null; parts: Record<string, number | null> }> {
    return combined.scoreDetailed(completion, example);
  }

  function items(body: Record<string, unknown>): Record<string, unknown>[] {
    if (!('items' in body)) return [body];
    const list = body.items;
    if (!Array.isArray(list)) throw new HttpError(400, '"items" must be an array');
    if (list.length > maxItems) throw new HttpError(413, `more than ${maxItems} items in one request`);
    return list.map((x, i) => {
      if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new HttpError(400, `items[${i}] must be an object`);
      return x as Record<string, unknown>;
    });
  }

  /** Checks every record before any is verified: 400 naming the item and field. */
  function checkRecords(kind: 'math' | 'code', list: Record<string, unknown>[], batch: boolean): void {
    list.forEach((rec, i) => {
      const bad = kind === 'math' ? mathRecordProblem(rec) : codeRecordProblem(rec);
      if (bad) throw new HttpError(400, `${batch ? `items[${i}], ` : ''}field "${bad.field}": ${bad.problem}`);
    });
  }

  async function verifyRecords(kind: 'math' | 'code', b: Record<string, unknown>): Promise<unknown> {
    const batch = 'items' in b;
    const list = items(b);
    checkRecords(kind, list, batch);
    if (kind === 'code' && !sandboxStatus().ok) throw new HttpError(503, 'code sandbox unavailable on this server');
    const results = await Promise.all(list.map((rec) => (kind === 'math' ? verifyMathRecord(rec, verifier, {}) : verifyCodeRecord(rec, {}))));
    // Deeper problems (e.g. tests.inputs and tests.outputs of different lengths) surface here.
    const bad = results.findIndex(isInputError);
    if (bad >= 0) throw new HttpError(400, `${batch ? `items[${bad}], ` : ''}${String(results[bad].error)}`);
    return batch ? { results } : results[0];
  }

  const POST_ROUTES = ['/', '/get_reward', '/score', '/verify/math', '/verify/code'];

  async function route(path: string, b: Record<string, unknown>): Promise<unknown> {
    if (path === '/get_reward' || path === '/') {
      const query = stringArray(b, 'query', true)!;
      const prompts = stringArray(b, 'prompts', false);
      const labels = labelArray(b);
      if (query.length > maxItems) throw new HttpError(413, `more than ${maxItems} queries in one request`);
      if (prompts && prompts.length !== query.length) throw new HttpError(400, `"prompts" has ${prompts.length} items but "query" has ${query.length}`);
      if (labels && labels.length !== query.length) throw new HttpError(400, `"labels" has ${labels.length} items but "query" has ${query.length}`);
      // Without labels the accuracy check declines every response and each reward would be sent as 0.
      if (labels === null && query.length > 0 && needsGold) {
        throw new HttpError(400, '"labels" is required: the accuracy reward compares each response with its gold answer (OpenRLHF: --label_key)');
      }
      const scores = await Promise.all(
        query.map((q, i) => {
          // OpenRLHF sends prompt+response; score the response only.
          const p = prompts?.[i];
          const completion = openRlhfResponse(q, p);
          // The prompt rides along for learned rewards, which score prompt + response.
          return scoreOne(completion, { ...(labels && labels[i] !== null ? { gold: labels[i]! } : {}), ...(p !== undefined ? { prompt: p } : {}) });
        }),
      );
      const rewards = scores.map((s) => s.total ?? 0);
      return { rewards, scores: rewards, extra_logs: Object.fromEntries(fns.map(({ fn }) => [fn.name, scores.map((s) => s.parts[fn.name] ?? null)])) };
    }
    if (path === '/score') {
      if (Array.isArray(b.completions)) {
        if (b.completions.length > maxItems) throw new HttpError(413, `more than ${maxItems} completions in one request`);
        const rows = trlItems(b);
        const out = await Promise.all(rows.map((r) => scoreOne(r.completion, r.example)));
        return { rewards: out.map((s) => s.total), scores: out.map((s) => ({ reward: s.total, parts: s.parts })) };
      }
      // Every item is checked before any is scored, so a bad one is named and nothing is half done.
      const rows = items(b).map((it, i) => {
        if (it.solution_str !== undefined && it.completion === undefined) return verlItem(it, i);
        if (it.completion === undefined) throw new HttpError(400, `item ${i}: "completion" is required (or verl's "solution_str", or TRL's "completions" list)`);
        const completion = completionText(it.completion, `item ${i}: "completion"`);
        const example = it.example ?? {};
        if (example === null || typeof example !== 'object' || Array.isArray(example)) throw new HttpError(400, `item ${i}: "example" must be an object`);
        return { completion, example: example as RewardExample };
      });
      const out = await Promise.all(rows.map((r) => scoreOne(r.completion, r.example)));
      return { scores: out.map((s) => ({ reward: s.total, parts: s.parts })) };
    }
    return verifyRecords(path === '/verify/math' ? 'math' : 'code', b);
  }

  /** GET /health and the refusals that need no body; null for a POST to a known endpoint. */
  function answerWithoutBody(method: string, path: string): unknown {
    if (path === '/health') {
      if (method !== 'GET') throw new HttpError(405, 'use GET /health');
      return { status: draining ? 'draining' : 'ok', rewards: rewardNames, active, queued: waiting.length, served, sandbox: sandboxStatus().ok };
    }
    if (method !== 'POST') throw new HttpError(method === 'GET' ? 404 : 405, `unknown endpoint ${method} ${path}; see GET /health`);
    if (!POST_ROUTES.includes(path)) throw new HttpError(404, `unknown endpoint POST ${path}; endpoints: /get_reward, /score, /verify/math, /verify/code, GET /health`);
    return null;
  }

  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      // A backstop behind our own body deadline (node answers 408 and closes).
      requestTimeout: headersTimeoutMs + bodyTimeoutMs + 5_000,
      // How often node checks those two deadlines (its default, 30 s, would let them overrun).
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const method = req.method ?? 'GET';
      if (refused.has(req.socket)) {
        req.resume();
        return;
      }
      clearTimeout(headerDeadlines.get(req.socket));
      // Keep-alive: the next request's headers get the same deadline once this answer is out.
      res.on('finish', () => req.socket.destroyed || awaitHeaders(req.socket));
      if (draining) {
        res.setHeader('connection', 'close');
        send(res, 503, { error: 'server is shutting down' });
        req.resume();
        return;
      }
      inflight++;
      res.on('close', () => {
        if (--inflight === 0) idleWaiters.splice(0).forEach((f) => f());
      });
      const handle = async (): Promise<unknown> => {
        const direct = answerWithoutBody(method, path);
        if (direct !== null) return direct;
        // The whole body first: a slow sender waits here, never in a processing slot.
        const body = parseJson(await readBody(req, maxBody, bodyTimeoutMs), req.headers['content-type']);
        return withSlot(() => route(path, body));
      };
      handle()
        .then((out) => {
          served++;
          send(res, 200, out);
        })
        .catch((err: unknown) => {
          if (err instanceof HttpError) {
            if (err.close) {
              res.setHeader('connection', 'close');
              res.on('finish', () => req.socket.destroy());
            }
            send(res, err.status, { error: err.message });
          } else if (err instanceof AhaError) send(res, 400, { error: err.message });
          else send(res, 500, { error: `internal error: ${(err as Error).message}` });
        });
    },
  );

  // Our own headers deadline per connection: node's headersTimeout check proved unreliable
  // with several slow connections open at once (node 20), so it is only a backstop.
  const headerDeadlines = new WeakMap<Socket, NodeJS.Timeout>();
  function awaitHeaders(socket: Socket): void {
    clearTimeout(headerDeadlines.get(socket));
    headerDeadlines.set(socket, setTimeout(() => socket.destroy(), headersTimeoutMs).unref());
  }

  // Connections per remote address: past the limit, a raw 429 and the connection is closed.
  const perAddress = new Map<string, number>();
  const refused = new WeakSet<object>();
  server.on('connection', (socket: Socket) => {
    awaitHeaders(socket);
    socket.once('close', () => clearTimeout(headerDeadlines.get(socket)));
    const addr = socket.remoteAddress ?? '';
    const n = (perAddress.get(addr) ?? 0) + 1;
    perAddress.set(addr, n);
    socket.once('close', () => {
      const left = (perAddress.get(addr) ?? 1) - 1;
      if (left <= 0) perAddress.delete(addr);
      else perAddress.set(addr, left);
    });
    if (n > maxPerAddress) {
      refused.add(socket);
      const body = JSON.stringify({ error: `too many connections from ${addr} (limit ${maxPerAddress})` });
      socket.end(`HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new AhaError(`port ${opts.port} is already in use; pick another with --port`) : err),
    );
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    async close(graceMs = 30_000) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idle = inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
      const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([idle, grace]);
      server.closeAllConnections();
      await closed;
      await verifier.close();
    },
  };
}
