// A fake OpenAI-compatible server over real HTTP on 127.0.0.1 (ephemeral port) for the eval
// tests and bench: answers /v1/chat/completions and /v1/completions with scripted texts, can
// fail chosen requests (429/5xx with Retry-After, dropped connections), add latency, list its
// models on GET /v1/models, and answer any request with a raw body of a test's making (the
// shapes real servers send: vLLM's {"object":"error"}, choices out of order, "abort" endings).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  path: string;
  body: Record<string, unknown>;
  /** 1-based arrival order. */
  number: number;
}

export interface FakeServerOptions {
  /** The text of choice `choice` for a prompt. */
  reply: (prompt: string, choice: number, req: FakeRequest) => string;
  /** Return a status (and optional Retry-After seconds) to fail this request, or 'drop' to cut the connection. */
  fail?: (req: FakeRequest) => { status: number; retryAfter?: string; message?: string } | 'drop' | null;
  /** Answer at most this many choices per request (a server that ignores `n`). */
  maxChoices?: number;
  /** Chat only: a separate reasoning text per choice (as vLLM's reasoning parsers return). */
  reasoning?: (prompt: string, choice: number) => string;
  /**
   * A whole answer for choice `choice` (tool-using tests): content, tool_calls, finish_reason and
   * vLLM's stop_reason; returning null falls back to `reply`. Completions use the content as text.
   */
  turn?: (req: FakeRequest, choice: number) => FakeTurn | null;
  /** Answer this request with an empty choices array (a server hiccup worth retrying). */
  noChoices?: (req: FakeRequest) => boolean;
  /** Latency added to every answer, ms. */
  delayMs?: number;
  /** Answer this request with exactly this status, JSON body and headers (null: answer normally). */
  raw?: (req: FakeRequest) => { status: number; body: unknown; headers?: Record<string, string> } | null;
  /** Model ids GET /v1/models lists (default: none, and that path answers 404). */
  models?: string[];
}

export interface FakeTurn {
  content: string | null;
  tool_calls?: unknown[];
  finish_reason?: string;
  stop_reason?: string | number | null;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  /** Requests in flight right now, and the most ever in flight at once. */
  inFlight: { now: number; max: number };
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

export async function startFakeServer(opts: FakeServerOptions): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const inFlight = { now: 0, max: 0 };
  const server: Server = createServer(async (req, res) => {
    inFlight.now += 1;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    try {
      const text = await readBody(req);
      if (req.method === 'GET') {
        const listed = req.url === '/v1/models' && opts.models !== undefined;
        res.writeHead(listed ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(listed ? { object: 'list', data: opts.models!.map((id) => ({ id, object: 'model' })) } : { error: { message: 'not found' } }));
        return;
      }
      const body = JSON.parse(text) as Record<string, unknown>;
      const fr: FakeRequest = { path: req.url ?? '', body, number: requests.length + 1 };
      requests.push(fr);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      const failure = opts.fail?.(fr) ?? null;
      if (failure === 'drop') {
        req.socket.destroy();
        return;
      }
      if (failure) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (failure.retryAfter !== undefined) headers['retry-after'] = failure.retryAfter;
        res.writeHead(failure.status, headers).end(JSON.stringify({ error: { message: failure.message ?? `scripted failure ${failure.status}` } }));
        return;
      }
      const raw = opts.raw?.(fr) ?? null;
      if (raw) {
        res.writeHead(raw.status, { 'content-type': 'application/json', ...raw.headers }).end(typeof raw.body === 'string' ? raw.body : JSON.stringify(raw.body));
        return;
      }
      const chat = fr.path.endsWith('/chat/completions');
      if (!chat && !fr.path.endsWith('/completions')) {
        res.writeHead(404).end('{"error":"not found"}');
        return;
      }
      const prompt = chat ? ((body.messages as { role: string; content: string }[]).at(-1)?.content ?? '') : String(body.prompt);
      const n = Math.min(Number(body.n ?? 1), opts.maxChoices ?? Infinity);
      const turns: FakeTurn[] = Array.from({ length: opts.noChoices?.(fr) ? 0 : n }, (_, i) => opts.turn?.(fr, i) ?? { content: opts.reply(prompt, i, fr) });
      const message = (t: FakeTurn, index: number) => ({ role: 'assistant', content: t.content, ...(t.tool_calls ? { tool_calls: t.tool_calls } : {}), ...(opts.reasoning ? { reasoning_content: opts.reasoning(prompt, index) } : {}) });
      const ending = (t: FakeTurn) => ({ finish_reason: t.finish_reason ?? 'stop', ...(t.stop_reason !== undefined ? { stop_reason: t.stop_reason } : {}) });
      const choices = turns.map((t, index) => (chat ? { index, message: message(t, index), ...ending(t) } : { index, text: t.content ?? '', ...ending(t) }));
      const usage = { prompt_tokens: words(prompt), completion_tokens: turns.reduce((s, t) => s + words(t.content ?? '') + (t.tool_calls ? 1 : 0), 0) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `fake-${fr.number}`, object: chat ? 'chat.completion' : 'text_completion', choices, usage }));
    } finally {
      inFlight.now -= 1;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
