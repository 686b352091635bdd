// The OpenAI-compatible remote generator: POSTs to /v1/chat/completions or /v1/completions of
// vLLM, SGLang, llama.cpp's server, Ollama or OpenAI itself, with a per-request timeout and
// retries (backoff with jitter, Retry-After honoured) on 429, 5xx, timeouts and dropped
// connections. Uses Node's built-in fetch.
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
  const reasoning = c.message?.reasoning_content ?? c.message?.reasoning ?? undefined;
  const content = api === 'chat' ? c.message?.content : c.text;
  // A reasoning parser may leave the content empty when the model never closed its
  // thinking; the reasoning text is then the only place an answer can be.
  const text = typeof content === 'string' && content !== '' ? content : (reasoning ?? '');
  const s: GeneratedSample = { text, finishReason: c.finish_reason ?? null };
  if (typeof reasoning === 'string' && reasoning !== '') s.reasoning = reasoning;
  return s;
}

function parseChoices(body: unknown, api: ApiKind): GeneratedSample[] {
  const choices = (body as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) throw new RemoteCallError('response has no "choices" array', { retryable: true });
  return [...(choices as Choice[])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((c) => choiceSample(c, api));
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

export class RemoteGenerator implements Generator {
  readonly description: string;
  readonly url: string;
  private readonly opts: RemoteOptions;
  private retried = 0;
  /** Whether the server has answered at all (any HTTP status). */
  private answered = false;

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

  /** A generate answer's samples (at most n) and token counts; no choice is a retryable failure. */
  private readSamples(body: unknown, n: number): GenerationResult {
    const samples = parseChoices(body, this.opts.api);
    if (samples.length === 0) throw new RemoteCallError(`${this.url} returned no choices`, { retryable: true });
    return { samples: samples.slice(0, n), usage: answerUsage(body) };
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
      if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new RemoteCallError(`no answer within ${this.opts.timeoutMs / 1000} s`, { retryable: true });
      const code = e.cause?.code ?? e.message;
      // A wrong URL should fail in a second, not after minutes of backoff: until the server has
      // answered once, "nobody there" is final. Later it is a hiccup worth retrying.
      const nobodyThere = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(String(code));
      throw new RemoteCallError(`cannot reach ${this.url}: ${code}`, { retryable: this.answered || !nobodyThere });
    }
    this.answered = true;
    if (!res.ok) {
      throw new RemoteCallError(`${this.url} answered HTTP ${res.status}: ${errorDetail(text)}`, {
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

  generate(req: GenerationRequest, s: SamplingOptions): Promise<GenerationResult> {
    return this.post(this.body(req, s), (json) => this.readSamples(json, req.n));
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
