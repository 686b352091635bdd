// Worker-thread side of the bounded math verifier: answers one check at a time. The pool
// (bounded.ts) kills this thread if a check overruns its deadline.
import { parentPort } from 'node:worker_threads';
import { verifyMath, verdictOf, compareAnswers, extractGold, type MathVerdict, type VerifyMathOptions } from './verify.js';
import { extractAnswer } from './extract.js';

export interface WorkerRequest {
  id: number;
  /** verify: a prediction text against a gold text; compare: two extracted answers. */
  kind: 'verify' | 'compare';
  pred: string;
  gold: string;
  opts: VerifyMathOptions;
}

export type WorkerReply =
  | { ready: true }
  /** Sent before a verify's comparison, so a killed check still reports what it extracted. */
  | { id: number; extracted: { pred: string | null; gold: string | null } }
  | { id: number; result: MathVerdict | { equal: boolean; reason?: string } };

function reply(msg: WorkerReply): void {
  parentPort?.postMessage(msg);
}

parentPort?.on('message', (req: WorkerRequest) => {
  if (req.kind === 'compare') {
    reply({ id: req.id, result: compareAnswers(req.pred, req.gold, req.opts.timeoutMs) });
    return;
  }
  // Extracted once: sent first (a killed check still reports it), then compared.
  const extracted = { pred: extractAnswer(req.pred, req.opts), gold: extractGold(req.gold) };
  reply({ id: req.id, extracted });
  reply({ id: req.id, result: verdictOf(extracted.pred, extracted.gold, req.opts.timeoutMs) });
});
// Loading the LaTeX engine is the slow part of start-up; do it before saying ready, so that the
// per-request time limit measures verification only.
verifyMath('\\frac{x}{2}', 'x/2');
reply({ ready: true });
