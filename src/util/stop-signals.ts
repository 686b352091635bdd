// The one way aha reacts to being asked to stop: Ctrl-C (SIGINT) and SIGTERM, which schedulers,
// clusters and CI send on preemption or timeout, are the same request. The first runs the
// caller's graceful stop (a trainer finishes its step and saves); a second quits at once. The
// process remembers the signal, so the CLI can exit with the shell's code for it (128 + its
// number) even when the work stopped cleanly: a script or scheduler sees the run did not finish.
import { constants } from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

let received: StopSignal | null = null;

/** 130 for SIGINT, 143 for SIGTERM: what a shell reports for a process the signal ended. */
export function stopExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** The first stop signal this process received while a handler was installed, or null. */
export function receivedStopSignal(): StopSignal | null {
  return received;
}

/** How a signal is named to the user: Ctrl-C's by its key, another by its name. */
export function signalLabel(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'Ctrl-C' : signal;
}

/**
 * Calls `onFirst` on the first SIGINT or SIGTERM; a second one of either ends the process at once
 * with its exit code. Returns the function that removes the handlers (call it in a finally).
 */
export function onStopSignals(onFirst: (signal: StopSignal) => void): () => void {
  let stopping = false;
  const handler = (signal: StopSignal): void => {
    received ??= signal;
    if (stopping) process.exit(stopExitCode(signal));
    stopping = true;
    onFirst(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) process.removeListener(s, handler);
  };
}

/**
 * For work whose every finished piece is already on disk (an evaluation's samples, appended as
 * each is graded): the first signal ends the process at once, with `message` and its exit code.
 */
export function quitOnStopSignals(message: string): () => void {
  return onStopSignals((signal) => {
    process.stderr.write(`\naha: ${signalLabel(signal)}: ${message}\n`);
    process.exit(stopExitCode(signal));
  });
}
