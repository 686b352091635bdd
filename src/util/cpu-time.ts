// The process's CPU time, the measure the benchmarks' "equal compute" comparisons and CPU budgets
// use: under load it counts the work itself, not the wait for a core.

/** CPU-seconds (user + system, every thread, the native kernels' too) this process has used so far. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
