// Retrying remote calls: which failures are worth another try, and how long to wait (exponential
// backoff with jitter, or the server's Retry-After when it sends one).

/** A failed remote call. `retryable` failures (429, 5xx, timeouts, dropped connections) are retried. */
export class RemoteCallError extends Error {
  readonly status: number | null;
  readonly retryable: boolean;
  /** Seconds the server asked us to wait (Retry-After), if it did. */
  readonly retryAfterS: number | null;
  constructor(message: string, opts: { status?: number | null; retryable: boolean; retryAfterS?: number | null }) {
    super(message);
    this.name = 'RemoteCallError';
    this.status = opts.status ?? null;
    this.retryable = opts.retryable;
    this.retryAfterS = opts.retryAfterS ?? null;
  }
}

/** HTTP statuses that mean "try again later" rather than "this request is wrong". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** Retry-After as seconds: either delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, (t - now) / 1000);
}

export interface BackoffOptions {
  /** First delay before jitter, ms. */
  baseMs: number;
  /** Ceiling of any single delay, ms (Retry-After included). */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0-based): base·2^attempt capped at max, with "equal
 * jitter" (half fixed, half uniform) so many clients hitting a busy server spread out but never
 * retry immediately. A Retry-After from the server wins when present (still capped).
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions, retryAfterS: number | null, random: () => number = Math.random): number {
  if (retryAfterS !== null) return Math.min(opts.maxMs, retryAfterS * 1000);
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
  return exp / 2 + random() * (exp / 2);
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt. */
  retries: number;
  onRetry?: (err: RemoteCallError, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `call`, retrying retryable RemoteCallErrors; other errors propagate at once. */
export async function withRetries<T>(call: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof RemoteCallError) || !err.retryable || attempt >= opts.retries) throw err;
      const delay = backoffDelayMs(attempt, opts, err.retryAfterS);
      opts.onRetry?.(err, attempt + 1, delay);
      await sleep(delay);
    }
  }
}
