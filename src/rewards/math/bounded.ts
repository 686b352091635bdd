// A hard time bound for math verification. The engine's work is synchronous and cannot be
// interrupted by a timer, so verifyMath runs in worker threads; a worker that overruns the hard
// limit is terminated (and replaced), and the request gets equal=false with reason "timeout".
// Used by `aha verify math` and the reward server; the in-process verifyMath relies on input
// size bounds and a cooperative deadline instead.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { MathVerdict, VerifyMathOptions } from './verify.js';
import { extractAnswer } from './extract.js';
import { extractGold } from './verify.js';

interface Pending {
  id: number;
  pred: string;
  gold: string;
  opts: VerifyMathOptions;
  resolve: (v: MathVerdict) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded the engine and takes requests. */
  ready: boolean;
  busy: Pending | null;
  timer: NodeJS.Timeout | null;
}

/** How long a worker may take to start (load tsx/the engine) before it counts as crashed. */
const STARTUP_LIMIT_MS = 60_000;

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

/** After this many workers in a row die without answering, the pool stops spawning them. */
const MAX_CONSECUTIVE_CRASHES = 3;

export interface BoundedVerifierOptions {
  /** Worker threads (default: core count). */
  threads?: number;
  /** Hard limit per request in ms, after which the worker is killed (default 5000). */
  hardTimeoutMs?: number;
}

export class BoundedMathVerifier {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private crashes = 0;
  private lastCrash = '';
  readonly hardTimeoutMs: number;
  private readonly threads: number;

  constructor(opts: BoundedVerifierOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.hardTimeoutMs = opts.hardTimeoutMs ?? 5000;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(), ready: false, busy: null, timer: null };
    slot.timer = setTimeout(() => slot.worker.emit('error', new Error(`worker did not start within ${STARTUP_LIMIT_MS} ms`)), STARTUP_LIMIT_MS);
    slot.timer.unref();
    slot.worker.on('message', (msg: { id: number; verdict: MathVerdict; ready?: boolean }) => {
      if (msg.ready) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
        slot.ready = true;
        this.pump();
        return;
      }
      const job = slot.busy;
      if (!job || job.id !== msg.id) return;
      this.crashes = 0;
      this.finish(slot, msg.verdict);
    });
    slot.worker.on('error', (err) => {
      const job = slot.busy;
      this.replace(slot);
      this.crashes++;
      this.lastCrash = err.message;
      if (job) job.resolve(this.failed(job, `verifier crashed: ${err.message}`));
      this.pump();
    });
    return slot;
  }

  private failed(job: Pending, reason: string): MathVerdict {
    return { equal: false, pred_extracted: extractAnswer(job.pred, job.opts), gold_extracted: extractGold(job.gold), reason };
  }

  private replace(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    void slot.worker.terminate();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private finish(slot: Slot, verdict: MathVerdict): void {
    const job = slot.busy!;
    if (slot.timer) clearTimeout(slot.timer);
    slot.busy = null;
    slot.timer = null;
    job.resolve(verdict);
    this.pump();
  }

  private pump(): void {
    if (this.crashes >= MAX_CONSECUTIVE_CRASHES) {
      // Workers cannot start here: fail every queued request fast rather than respawning forever.
      for (const job of this.queue.splice(0)) job.resolve(this.failed(job, `verifier unavailable: ${this.lastCrash}`));
      return;
    }
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.slots.find((s) => s.ready && s.busy === null);
      if (!slot) {
        // Start more workers while there is queued work; they pump when ready.
        const starting = this.slots.filter((s) => !s.ready).length;
        if (this.slots.length < this.threads && starting < this.queue.length) this.slots.push(this.spawn());
        return;
      }
      const job = this.queue.shift()!;
      slot.busy = job;
      const s = slot;
      // The first request also pays the worker's start-up (loading the LaTeX engine).
      s.timer = setTimeout(() => {
        this.replace(s);
        job.resolve(this.failed(job, `timeout: killed after ${this.hardTimeoutMs} ms`));
        this.pump();
      }, this.hardTimeoutMs);
      s.worker.postMessage({ id: job.id, pred: job.pred, gold: job.gold, opts: job.opts });
    }
  }

  verify(pred: string, gold: string, opts: VerifyMathOptions = {}): Promise<MathVerdict> {
    if (this.closed) return Promise.reject(new Error('verifier is closed'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, pred, gold, opts, resolve });
      this.pump();
    });
  }

  /** Starts the workers now (so the first request does not pay the engine's load time). */
  async warmUp(): Promise<void> {
    await Promise.all(Array.from({ length: this.threads }, () => this.verify('1', '1')));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(this.failed(job, 'verifier closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
