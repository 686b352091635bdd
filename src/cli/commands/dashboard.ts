// `aha dashboard`: serve a live report of one or more run folders while they train.
import type { Command } from 'commander';
import { parseNumber } from '../flags.js';
import { checkRunDir, startDashboard } from '../../report/index.js';

interface DashboardFlags {
  port: string;
  host: string;
  poll: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function register(program: Command): void {
  program
    .command('dashboard')
    .description(
      'Serve a live report of run folders while they train: the same page as `aha report`, updated in place as the ' +
        'trainer appends metrics, completions and evaluations. Stop with Ctrl-C.',
    )
    .argument('<run-dirs...>', 'run folders (several are overlaid)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8765')
    .option('--host <address>', 'address to listen on; the default serves this machine only', '127.0.0.1')
    .option('--poll <seconds>', 'how often the page checks for new lines', '2')
    .action(async (runDirs: string[], flags: DashboardFlags) => {
      const port = parseNumber('--port', flags.port, { min: 0, max: 65535, integer: true });
      const poll = parseNumber('--poll', flags.poll, { min: 0.2, max: 600 });
      // A run folder may still be empty: the dashboard can be started before the trainer's first step.
      for (const d of runDirs) checkRunDir(d, true);
      const dashboard = await startDashboard(runDirs, { host: flags.host, port, pollMs: Math.round(poll * 1000) });
      process.stdout.write(`aha dashboard: serving ${runDirs.join(', ')} at ${dashboard.url} (Ctrl-C to stop)\n`);
      if (!LOOPBACK.has(flags.host)) {
        process.stderr.write(`aha dashboard: listening on ${flags.host}: anyone who can reach it can read the run's prompts and completions\n`);
      }
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await dashboard.close();
      process.stdout.write(`aha dashboard: stopped (${signal})\n`);
    });
}
