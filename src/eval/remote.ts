// The OpenAI-compatible remote generator: POSTs to /v1/chat/completions or /v1/completions of
// vLLM, SGLang, llama.cpp's server, Ollama or OpenAI itself, with a per-request timeout and
// retries (backoff with jitter, Retry-After honoured) on 429, 5xx, timeouts and dropped
// connections. Uses Node's built-in fetch. Servers differ (docs/eval.md, "How servers answer"):
// some refuse n > 1 (llama.cpp before late 2025 answers HTTP 500 or 400), some ignore it (Ollama),
// some end a choice with "abort" in an HTTP 200 (vLLM, SGLang); each is handled here.
import { AhaError } from '../util/errors.js';
import type { ApiKind, GenerationRequest, GenerationResult, Generator, GeneratedSample, SamplingOptions } from './generator.js';
import { RemoteCallError, isRetryableStatus, parseRetryAfter, withRetries } from './retry.js';
import type { ChatTemplateArgs } from '../model/chat-template.js';

export interface RemoteOptions {
  /** Server base URL (`http://host:8000` or `…/v1`) or the full endpoint URL. */
  endpoint: string;
  /** Model name the server knows. */
  model: string;
  api: ApiKind;
  apiKey?: string;
  /** System message for chat requests. */
  system?: string;
  /** Chat requests: extra chat-template variables, sent as chat_template_kwargs (vLLM, SGLang). */
  chatTemplateArgs?: ChatTemplateArgs;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  retries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Called before each retry (e.g. to count them or log). */
  onRetry?: (err: RemoteCallError, attempt: number, delayMs: number) => void;
  /** A one-line note for the user (default: stderr), e.g. that the server refused n > 1. */
  onNotice?: (message: string) => void;
}

/** The full URL for an API kind: a URL already ending in the endpoint path is used as given. */
export function resolveEndpointUrl(endpoint: string, api: ApiKind): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AhaError(`--endpoint "${endpoint}" is not a URL (expected e.g. http://127.0.0.1:8000/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AhaError(`--endpoint "${endpoint}" must be an http:// or https:// URL`);
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/(chat\/)?completions$/.test(path)) {
    const isChat = path.endsWith('/chat/completions');
    if (isChat !== (api === 'chat')) throw new AhaError(`--endpoint ${endpoint} is a ${isChat ? 'chat' : 'completions'} endpoint but --api is ${api}`);
    // Without the trailing slash: llama.cpp's server answers 404 to `…/completions/`.
    url.pathname = path;
    return url.toString();
  }
  const base = path.endsWith('/v1') ? path : `${path}/v1`;
  url.pathname = `${base}/${api === 'chat' ? 'chat/completions' : 'completions'}`;
  return url.toString();
}

/** One choice of a chat or completions answer, as servers send it. */
export interface Choice {
  index?: number;
  text?: string;
  message?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
  finish_reason?: string | null;
}

/** A choice as a sample: its text (or the reasoning when the content is empty), finish reason and reasoning. */
export function choiceSample(c: Choice, api: ApiKind): GeneratedSample {
  // SGLang and older vLLM send reasoning_content, vLLM since late 2025 and Ollama send reasoning;
  // some versions send both, one of them empty or null.
  const reasoning = [c.message?.reasoning_content, c.message?.reasoning].find((r) => typeof r === 'string' && r !== '') ?? undefined;
  const content = api === 'chat' ? c.message?.content : c.text;
  // A reasoning parser may leave the content empty when the model never closed its
  // thinking; the reasoning text is then the only place an answer can be.
  const text = typeof content === 'string' && content !== '' ? content : (reasoning ?? '');
  const s: GeneratedSample = { text, finishReason: c.finish_reason ?? null };
  if (typeof reasoning === 'string' && reasoning !== '') s.reasoning = reasoning;
  return s;
}

/**
 * Endings that are no sample: the server gave up on the choice (vLLM and SGLang "abort" when the
 * engine drops a request, "error" when it fails), rather than the model stopping or running out
 * of tokens. Grading such a cut-off text would count a server failure as a wrong answer.
 */
const SERVER_ENDINGS = ['abort', 'error'];

/** Whether a choice was ended by the server, not the model (see SERVER_ENDINGS). */
export function serverEnded(c: Choice): boolean {
  return typeof c.finish_reason === 'string' && SERVER_ENDINGS.includes(c.finish_reason);
}

/** An answer's choices in index order; no "choices" array is a retryable failure naming what came instead. */
export function answerChoices(body: unknown, url: string): Choice[] {
  const choices = body !== null && typeof body === 'object' ? (body as { choices?: unknown }).choices : undefined;
  if (!Array.isArray(choices) || choices.some((c) => c === null || typeof c !== 'object')) {
    // Some servers and proxies put an error in an HTTP 200 body: say what it was.
    const detail = body !== null && typeof body === 'object' && ('error' in body || 'message' in body) ? `: ${errorDetail(JSON.stringify(body))}` : ` (${JSON.stringify(body).slice(0, 120)})`;
    throw new RemoteCallError(`${url} answered without a "choices" array of objects${detail}`, { retryable: true });
  }
  return [...(choices as Choice[])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
}

/** An answer's token counts (0 when the server sends none). */
export function answerUsage(body: unknown): { promptTokens: number; completionTokens: number } {
  const usage = (body as { usage?: { prompt_tokens?: number; completion_tokens?: number } }).usage;
  return { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 };
}

function errorDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string; detail?: unknown };
    const e = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message ?? (j.detail !== undefined ? JSON.stringify(j.detail) : undefined));
    if (e) return e.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300).trim();
}

/** A failure that may be the server refusing n > 1 rather than the request being wrong or the server down. */
function refusesMany(err: RemoteCallError): boolean {
  const s = err.status;
  if (s === null) return false;
  return s === 500 || (s >= 400 && s < 500 && ![401, 403, 404, 408, 409, 425, 429].includes(s));
}

export class RemoteGenerator implements Generator {
  readonly description: string;
  readonly url: string;
  private readonly opts: RemoteOptions;
  private retried = 0;
  /** Whether the server has answered at all (any HTTP status). */
  private answered = false;
  /** Whether the server takes n > 1: null until it has answered or refused such a request. */
  private takesN: boolean | null = null;

  constructor(opts: RemoteOptions) {
    this.opts = opts;
    this.url = resolveEndpointUrl(opts.endpoint, opts.api);
    this.description = `${opts.model} at ${this.url}`;
  }

  /** The API this generator talks (chat or completions). */
  get api(): ApiKind {
    return this.opts.api;
  }

  /** The conversation's opening messages for a chat request: the system message, if any, and the prompt. */
  openingMessages(prompt: string): Record<string, unknown>[] {
    const messages: Record<string, unknown>[] = this.opts.system ? [{ role: 'system', content: this.opts.system }] : [];
    messages.push({ role: 'user', content: prompt });
    return messages;
  }

  /** The request fields every request carries: model, n, sampling options and seed. */
  samplingBody(n: number, s: SamplingOptions, seed: number | undefined): Record<string, unknown> {
    const body: Record<string, unknown> = { model: this.opts.model, n, temperature: s.temperature, top_p: s.topP, max_tokens: s.maxTokens };
    if (s.topK !== undefined) body.top_k = s.topK;
    if (s.minP !== undefined) body.min_p = s.minP;
    if (s.repetitionPenalty !== undefined) body.repetition_penalty = s.repetitionPenalty;
    if (s.stop && s.stop.length > 0) body.stop = s.stop;
    if (seed !== undefined) body.seed = seed;
    const args = this.opts.chatTemplateArgs;
    if (this.opts.api === 'chat' && args !== undefined && Object.keys(args).length > 0) body.chat_template_kwargs = args;
    return body;
  }

  private body(req: GenerationRequest, s: SamplingOptions): Record<string, unknown> {
    const body = this.samplingBody(req.n, s, req.seed);
    if (this.opts.api === 'chat') body.messages = this.openingMessages(req.prompt);
    else body.prompt = req.prompt;
    return body;
  }

  /**
   * A generate answer's samples (at most n) and token counts. Choices the server ended itself
   * ("abort") are left out, so the caller asks again for them; no choice left is a retryable failure.
   */
  private readSamples(body: unknown, n: number): GenerationResult {
    const choices = answerChoices(body, this.url);
    const kept = choices.filter((c) => !serverEnded(c));
    if (kept.length === 0) {
      const why = choices.length === 0 ? 'no choices' : `only choices it ended itself (finish_reason "${choices[0].finish_reason}")`;
      throw new RemoteCallError(`${this.url} returned ${why}`, { retryable: true });
    }
    return { samples: kept.slice(0, n).map((c) => choiceSample(c, this.opts.api)), usage: answerUsage(body) };
  }

  /** POSTs one request body and returns the parsed JSON answer; HTTP and network failures become RemoteCallErrors. */
  private async postOnce(requestBody: Record<string, unknown>): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify(requestBody), signal: AbortSignal.timeout(this.opts.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new RemoteCallError(`${this.url} gave no answer within ${this.opts.timeoutMs / 1000} s`, { retryable: true });
      const code = e.cause?.code ?? e.message;
      // A wrong URL should fail in a second, not after minutes of backoff: until the server has
      // answered once, "nobody there" is final. Later it is a hiccup worth retrying.
      const nobodyThere = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(String(code));
      throw new RemoteCallError(`cannot reach ${this.url}: ${code}`, { retryable: this.answered || !nobodyThere });
    }
    this.answered = true;
    if (!res.ok) {
      throw new RemoteCallError(`${this.url} answered HTTP ${res.status}: ${errorDetail(text)}${await this.failureHint(res.status)}`, {
        status: res.status,
        retryable: isRetryableStatus(res.status),
        retryAfterS: parseRetryAfter(res.headers.get('retry-after')),
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RemoteCallError(`${this.url} answered with something that is not JSON: ${text.slice(0, 120)}`, { retryable: true });
    }
  }

  /**
   * POSTs a request body of the caller's making and returns what `read` makes of the JSON answer.
   * `read` runs inside the retries: an answer it refuses with a retryable RemoteCallError (no
   * choices) is asked for again like any other failure.
   */
  post<T>(requestBody: Record<string, unknown>, read: (json: unknown) => T): Promise<T> {
    return this.retrying(async () => read(await this.postOnce(requestBody)));
  }

  /**
   * What to try after a 401/403 (the key) or a 404 (the model name or the URL: the server's model
   * list tells which), appended to the server's own message.
   */
  private async failureHint(status: number): Promise<string> {
    if (status === 401 || status === 403) return this.opts.apiKey ? '; the server refused the API key' : '; no API key was sent (--api-key or $OPENAI_API_KEY)';
    if (status !== 404) return '';
    const models = await this.servedModels();
    if (models === null) return `; the server lists no models at ${this.modelsUrl()} either: check the URL`;
    if (models.includes(this.opts.model)) {
      // Older Ollama serves the chat API only: its /v1/completions is a 404 for a model it has.
      const api = this.opts.api === 'completions' ? ', or whether it offers /v1/completions at all (else use the chat API)' : '';
      return `; the server does serve "${this.opts.model}": check the URL path${api}`;
    }
    return `; the server serves ${models.map((m) => `"${m}"`).join(', ') || 'no model'}: pass one of them as the model name`;
  }

  /** GET …/v1/models next to the endpoint: the ids the server serves, or null when it does not say. */
  private async servedModels(): Promise<string[] | null> {
    const headers: Record<string, string> = this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {};
    try {
      const res = await fetch(this.modelsUrl(), { headers, signal: AbortSignal.timeout(Math.min(this.opts.timeoutMs, 10_000)) });
      if (!res.ok) return null;
      const data = ((await res.json()) as { data?: unknown }).data;
      return Array.isArray(data) ? data.flatMap((m) => (typeof (m as { id?: unknown })?.id === 'string' ? [(m as { id: string }).id] : [])) : null;
    } catch {
      return null;
    }
  }

  private modelsUrl(): string {
    const u = new URL(this.url);
    u.pathname = u.pathname.replace(/\/(chat\/)?completions$/, '/models');
    return u.toString();
  }

  /**
   * Asks for req.n samples. Until the server has answered an n > 1 request, a refusal of one (an
   * HTTP 4xx or 500: llama.cpp's "Only one completion choice is allowed", old vLLM's "best_of must
   * be 1 when using greedy sampling") is told apart from a bad request by asking again at once with
   * n = 1: if that works, every later request asks for one sample (the caller asks again for the
   * rest) and the user is told once. A server that returns fewer choices than n is the caller's to
   * handle the same way.
   */
  generate(req: GenerationRequest, s: SamplingOptions): Promise<GenerationResult> {
    if (req.n === 1 || this.takesN === true) return this.post(this.body(req, s), (json) => this.readSamples(json, req.n));
    const single = this.body({ ...req, n: 1 }, s);
    if (this.takesN === false) return this.post(single, (json) => this.readSamples(json, 1));
    return this.retrying(async () => {
      if (this.takesN === false) return this.readSamples(await this.postOnce(single), 1);
      try {
        const r = this.readSamples(await this.postOnce(this.body(req, s)), req.n);
        this.takesN = true;
        return r;
      } catch (err) {
        if (!(this.takesN === null && err instanceof RemoteCallError && refusesMany(err))) throw err;
        const r = this.readSamples(await this.postOnce(single), 1);
        if (this.takesN === null) {
          this.takesN = false;
          this.notice(`${this.url} refused n = ${req.n} (${err.message.replace(`${this.url} answered `, '')}) but answers n = 1: asking for one sample per request from now on`);
        }
        return r;
      }
    });
  }

  private notice(message: string): void {
    if (this.opts.onNotice) this.opts.onNotice(message);
    else process.stderr.write(`aha: ${message}\n`);
  }

  private retrying<T>(fn: () => Promise<T>): Promise<T> {
    return withRetries(fn, {
      retries: this.opts.retries,
      baseMs: this.opts.backoffBaseMs,
      maxMs: this.opts.backoffMaxMs,
      onRetry: (err, attempt, delayMs) => {
        this.retried += 1;
        this.opts.onRetry?.(err, attempt, delayMs);
      },
    });
  }

  retries(): number {
    return this.retried;
  }

  async close(): Promise<void> {}
}
