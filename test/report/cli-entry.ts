// A minimal `aha` with only the report and dashboard commands, so the CLI tests can run them in a
// child process (for signals) without loading every other command.
import { Command } from 'commander';
import { register as registerReport } from '../../src/cli/commands/report.js';
import { register as registerDashboard } from '../../src/cli/commands/dashboard.js';
import { AhaError } from '../../src/util/errors.js';

export function reportProgram(): Command {
  const program = new Command().name('aha').exitOverride();
  registerReport(program);
  registerDashboard(program);
  return program;
}

async function run(): Promise<void> {
  try {
    await reportProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof AhaError) {
      process.stderr.write(`aha: ${err.message}\n`);
      process.exitCode = 2;
    } else throw err;
  }
}

if (process.argv[1]?.endsWith('cli-entry.ts')) await run();
