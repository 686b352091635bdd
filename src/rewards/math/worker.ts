// Worker-thread side of the bounded math verifier: answers verifyMath requests one at a time.
// The pool (bounded.ts) kills this thread if a request overruns its hard limit.
import { parentPort } from 'node:worker_threads';
import { verifyMath, type VerifyMathOptions } from './verify.js';

export interface WorkerRequest {
  id: number;
  pred: string;
  gold: string;
  opts: VerifyMathOptions;
}

parentPort?.on('message', (req: WorkerRequest) => {
  parentPort?.postMessage({ id: req.id, verdict: verifyMath(req.pred, req.gold, req.opts) });
});
// Loading the LaTeX engine is the slow part of start-up; do it before saying ready, so that the
// per-request time limit measures verification only.
verifyMath('\\frac{x}{2}', 'x/2');
parentPort?.postMessage({ ready: true });
