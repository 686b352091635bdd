// Training callbacks: what a library user hooks into a trainer (GRPO or SFT), TRL's
// TrainerCallback in TypeScript. Trainers call them in order and await each, so a callback that
// writes somewhere finishes before training goes on; an error thrown by one stops the run.

/** One step's metrics as the trainer logs them (the line in metrics.jsonl, without `step`). */
export type LogMetrics = Readonly<Record<string, number>>;

export interface TrainerCallback {
  /** A logged step (every logging_steps, and the last): the metrics written to metrics.jsonl. */
  onLog?(metrics: LogMetrics, step: number): void | Promise<void>;
  /** Every step, logged or not, after its update. */
  onStepEnd?(step: number, metrics: LogMetrics): void | Promise<void>;
  /** A held-out evaluation finished (GRPO: held-out task accuracy; SFT: eval_loss). */
  onEvaluate?(metrics: LogMetrics, step: number): void | Promise<void>;
  /** A checkpoint was written to `dir`. */
  onSave?(dir: string, step: number): void | Promise<void>;
}

type Event = keyof TrainerCallback;

/** Calls `event` on every callback that has it, one after another. */
export async function notify<E extends Event>(callbacks: readonly TrainerCallback[] | undefined, event: E, ...args: Parameters<NonNullable<TrainerCallback[E]>>): Promise<void> {
  for (const cb of callbacks ?? []) {
    const fn = cb[event] as ((...a: typeof args) => void | Promise<void>) | undefined;
    if (fn) await fn.apply(cb, args);
  }
}
