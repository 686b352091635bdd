// A hard time bound for every math check. The engine's work is synchronous and cannot be
// interrupted by a timer, so checks run in worker threads; a worker that overruns its check's
// deadline is terminated (and replaced), and the check comes back "not equal" with a reason
// starting "timeout: killed". The caller never waits longer than the deadline plus the time a
// timer takes to fire, once its check has a worker. pool.ts holds the process-wide instance the
// rewards and the eval graders use; `aha verify` and the reward server make their own.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { MathVerdict, VerifyMathOptions } from './verify.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

/** An answer comparison's outcome (`compareAnswers`' shape). */
export interface Comparison {
  equal: boolean;
  reason?: string;
}

type Job =
  | { kind: 'verify'; pred: string; gold: string; opts: VerifyMathOptions; resolve: (v: MathVerdict) => void }
  | { kind: 'compare'; pred: string; gold: string; opts: VerifyMathOptions; resolve: (v: Comparison) => void };

interface Pending {
  id: number;
  job: Job;
  deadlineMs: number;
  /** What the worker extracted before comparing (verify only), for a verdict on overrun. */
  extracted?: { pred: string | null; gold: string | null };
}

interface Slot {
  worker: Worker;
  /** The worker has loaded the engine and takes requests. */
  ready: boolean;
  busy: Pending | null;
  timer: NodeJS.Timeout | null;
  /** Called once the worker is ready or has died starting. */
  onStarted: (() => void)[];
}

/** How long a worker may take to start (load tsx/the engine) before it counts as crashed. */
const STARTUP_LIMIT_MS = 60_000;
/** After this many workers in a row die without answering, the pool stops spawning them. */
const MAX_CONSECUTIVE_CRASHES = 3;
/** Share of a check's deadline given to its cooperative budget inside the worker. */
const COOPERATIVE_SHARE = 0.9;
/** Pairs that overran are remembered (up to this many) and answered at once when asked again. */
const OVERRUN_MEMORY = 1000;

/**
 * Starts the worker script. In the built package it is worker.js; when running from source
 * under tsx (tests, `npx tsx src/cli/main.ts`), Node 20 workers do not inherit tsx's loader,
 * so a one-line bootstrap loads worker.ts through tsx's API.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  const target = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${target}, ${target}))`, { eval: true });
}

export interface BoundedVerifierOptions {
  /** Worker threads (default: core count). */
  threads?: number;
  /**
   * Hard limit per check in ms (default 5000); a check's own `timeoutMs`, when smaller, is its
   * hard limit instead. The worker is killed when it is reached.
   */
  hardTimeoutMs?: number;
  /** Deadline of a check that names no `timeoutMs` (default: hardTimeoutMs). */
  defaultTimeoutMs?: number;
}

/** Counters since the pool was made: checks answered, checks out of time (killed or given up), workers that crashed. */
export interface BoundedVerifierStats {
  checks: number;
  overruns: number;
  crashes: number;
}

export class BoundedMathVerifier {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private crashes = 0;
  private lastCrash = '';
  private readonly overran = new Map<string, MathVerdict | Comparison>();
  private readonly counts: BoundedVerifierStats = { checks: 0, overruns: 0, crashes: 0 };
  readonly hardTimeoutMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly threads: number;

  constructor(opts: BoundedVerifierOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.hardTimeoutMs = opts.hardTimeoutMs ?? 5000;
    this.defaultTimeoutMs = Math.min(opts.defaultTimeoutMs ?? this.hardTimeoutMs, this.hardTimeoutMs);
  }

  stats(): BoundedVerifierStats {
    return { ...this.counts };
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(), ready: false, busy: null, timer: null, onStarted: [] };
    slot.timer = setTimeout(() => slot.worker.emit('error', new Error(`worker did not start within ${STARTUP_LIMIT_MS} ms`)), STARTUP_LIMIT_MS);
    slot.timer.unref();
    slot.worker.on('message', (msg: WorkerReply) => {
      if ('ready' in msg) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
        slot.ready = true;
        for (const f of slot.onStarted.splice(0)) f();
        this.pump();
        if (slot.busy === null) slot.worker.unref();
        return;
      }
      const p = slot.busy;
      if (!p || p.id !== msg.id) return;
      if ('extracted' in msg) {
        p.extracted = msg.extracted;
        return;
      }
      this.crashes = 0;
      this.finish(slot, p, msg.result);
    });
    slot.worker.on('error', (err) => {
      const p = slot.busy;
      for (const f of slot.onStarted.splice(0)) f();
      this.replace(slot);
      this.crashes++;
      this.counts.crashes++;
      this.lastCrash = err.message;
      if (p) this.settle(p, `verifier crashed: ${err.message}`);
      this.pump();
    });
    return slot;
  }

  /** Resolves a check that got no answer from its worker: not equal, with `reason`. */
  private settle(p: Pending, reason: string): MathVerdict | Comparison {
    const result: MathVerdict | Comparison =
      p.job.kind === 'compare' ? { equal: false, reason } : { equal: false, pred_extracted: p.extracted?.pred ?? null, gold_extracted: p.extracted?.gold ?? null, reason };
    this.resolve(p, result);
    return result;
  }

  private resolve(p: Pending, result: MathVerdict | Comparison): void {
    this.counts.checks++;
    (p.job.resolve as (v: MathVerdict | Comparison) => void)({ ...result });
  }

  private replace(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    void slot.worker.terminate();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private finish(slot: Slot, p: Pending, result: MathVerdict | Comparison): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.busy = null;
    slot.timer = null;
    // An idle worker must not keep the process alive (the shared pool is never closed).
    slot.worker.unref();
    // A check that gave up on its own budget ran out of time just the same.
    if (result.reason?.startsWith('timeout')) {
      this.counts.overruns++;
      this.remember(p, result);
    }
    this.resolve(p, result);
    this.pump();
  }

  private pump(): void {
    if (this.crashes >= MAX_CONSECUTIVE_CRASHES) {
      // Workers cannot start here: fail every queued request fast rather than respawning forever.
      for (const p of this.queue.splice(0)) this.settle(p, `verifier unavailable: ${this.lastCrash}`);
      return;
    }
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.slots.find((s) => s.ready && s.busy === null);
      if (!slot) {
        // Start more workers while there is queued work; they pump when ready. A starting
        // worker keeps the process alive: queued checks are waiting for it.
        const starting = this.slots.filter((s) => !s.ready).length;
        if (this.slots.length < this.threads && starting < this.queue.length) this.slots.push(this.spawn());
        for (const s of this.slots) if (!s.ready) s.worker.ref();
        return;
      }
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      const s = slot;
      s.timer = setTimeout(() => {
        this.replace(s);
        // The replacement starts now, not when the next check arrives, so that check does not
        // wait for a worker to load the engine. Idle, it does not keep the process alive.
        if (!this.closed) this.slots.push(this.spawn());
        this.counts.overruns++;
        this.remember(p, this.settle(p, `timeout: killed after ${p.deadlineMs} ms`));
        this.pump();
      }, p.deadlineMs);
      // The check's own cooperative budget ends a little earlier, so a check that gives up in
      // time comes back with its own reason and its worker survives.
      const budget = Math.max(1, Math.floor(p.deadlineMs * COOPERATIVE_SHARE));
      const req: WorkerRequest = { id: p.id, kind: p.job.kind, pred: p.job.pred, gold: p.job.gold, opts: { ...p.job.opts, timeoutMs: budget } };
      s.worker.postMessage(req);
    }
  }

  /** Identifies a check for the overrun memory: the same pair under the same deadline. */
  private key(job: Job, deadlineMs: number): string {
    return `${job.kind}\u0000${job.opts.lastNumberFallback === true ? 1 : 0}\u0000${deadlineMs}\u0000${job.pred}\u0000${job.gold}`;
  }

  private remember(p: Pending, result: MathVerdict | Comparison): void {
    if (this.overran.size >= OVERRUN_MEMORY) this.overran.delete(this.overran.keys().next().value!);
    this.overran.set(this.key(p.job, p.deadlineMs), result);
  }

  private submit(job: Job): void {
    const deadlineMs = Math.min(job.opts.timeoutMs ?? this.defaultTimeoutMs, this.hardTimeoutMs);
    const p: Pending = { id: this.nextId++, job, deadlineMs };
    // The same pair overran before (a group's samples often repeat an answer): it would again.
    const known = this.overran.get(this.key(job, deadlineMs));
    if (known !== undefined) {
      this.counts.overruns++;
      this.resolve(p, known);
      return;
    }
    this.queue.push(p);
    this.pump();
  }

  /** verifyMath(pred, gold, opts) in a worker, killed at min(opts.timeoutMs ?? defaultTimeoutMs, hardTimeoutMs). */
  verify(pred: string, gold: string, opts: VerifyMathOptions = {}): Promise<MathVerdict> {
    if (this.closed) return Promise.reject(new Error('verifier is closed'));
    return new Promise((resolve) => this.submit({ kind: 'verify', pred, gold, opts, resolve }));
  }

  /**
   * compareAnswers(pred, gold) of two extracted answers in a worker. Identical answers are equal
   * without asking one (every answer equals itself), which is most of a majority vote.
   */
  compare(pred: string, gold: string, opts: { timeoutMs?: number } = {}): Promise<Comparison> {
    if (this.closed) return Promise.reject(new Error('verifier is closed'));
    if (pred.trim() !== '' && pred.trim() === gold.trim()) return Promise.resolve({ equal: true });
    return new Promise((resolve) => this.submit({ kind: 'compare', pred, gold, opts, resolve }));
  }

  /** Starts every worker now and waits until each has loaded the engine (so no check waits for that). */
  async warmUp(): Promise<void> {
    if (this.closed) return;
    while (this.slots.length < this.threads) this.slots.push(this.spawn());
    await Promise.all(this.slots.filter((s) => !s.ready).map((s) => new Promise<void>((resolve) => s.onStarted.push(resolve))));
    for (const s of this.slots) if (s.busy === null) s.worker.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, 'verifier closed');
    // Idle workers are unref'd, and so is a terminating one: without a handle of its own, a caller
    // awaiting close() at the top level (aha verify) could see Node exit under it with code 13.
    const holdOpen = setInterval(() => undefined, 60_000);
    try {
      await Promise.all(this.slots.map((s) => s.worker.terminate()));
    } finally {
      clearInterval(holdOpen);
    }
    this.slots = [];
  }
}
