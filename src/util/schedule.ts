// Learning-rate schedules shared by every trainer: linear warm-up, then constant, linear or
// cosine decay to `minRatio` of the peak at `totalSteps`.

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface ScheduleOptions {
  kind: ScheduleKind;
  peakLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Final learning rate as a fraction of the peak (default 0 for linear/cosine). */
  minRatio?: number;
}

/** The learning rate for optimiser step `step` (0-based). */
export function learningRate(opts: ScheduleOptions, step: number): number {
  const { peakLr, warmupSteps, totalSteps } = opts;
  const minRatio = opts.minRatio ?? 0;
  if (warmupSteps > 0 && step < warmupSteps) return (peakLr * (step + 1)) / warmupSteps;
  if (opts.kind === 'constant') return peakLr;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - warmupSteps) / decaySteps));
  const factor = opts.kind === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return peakLr * (minRatio + (1 - minRatio) * factor);
}
