// The `aha` program: every command registered on one commander program, and `main`, which runs
// it and turns an AhaError into one `aha: …` line and exit code 2, as it does commander's own
// usage errors (unknown flag, missing value): 1 is a command's own result (aha verify's unchecked lines);
// a run stopped early by Ctrl-C or SIGTERM ends with 130 or 143 after saving its work. Importing it runs nothing
// (tests build the program in-process); main.ts is the executable's entry.
import { Command, CommanderError } from 'commander';
import { AhaError } from '../util/errors.js';
import { receivedStopSignal, stopExitCode } from '../util/stop-signals.js';
import { commands } from './commands/index.js';
import { packageVersion } from './version.js';
import { resolveBundledFlags } from './bundled-flags.js';
import { explainForeignFlags, TRAINER_FOREIGN_FLAGS } from './foreign-flags.js';
import { TRAIN_FOREIGN_FLAGS } from './commands/train.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('aha')
    .description('Teach language models to reason with reinforcement learning from verifiable rewards (R1-Zero / R1, GRPO).')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .hook('preAction', (_program, action) => resolveBundledFlags(action));
  for (const register of commands) register(program);
  // Another trainer's name for a flag, or a flag written with underscores, is answered with ours.
  const foreign: Record<string, Readonly<Record<string, string>>> = {
    train: TRAIN_FOREIGN_FLAGS,
    sft: { ...TRAINER_FOREIGN_FLAGS, num_train_epochs: '--epochs' },
    pretrain: TRAINER_FOREIGN_FLAGS,
  };
  const explain = (cmd: Command, top: boolean): void => {
    explainForeignFlags(cmd, top ? foreign[cmd.name()] : {});
    for (const sub of cmd.commands) explain(sub, false);
  };
  for (const cmd of program.commands) explain(cmd, true);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // Stopped early by Ctrl-C or SIGTERM (work saved): the shell's code for the signal, not success.
    const stop = receivedStopSignal();
    if (stop !== null) return stopExitCode(stop);
    // A command that finished its output but must report failure sets process.exitCode (aha verify: 1).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // --help and --version end with code 0; every other commander error is bad usage.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof AhaError) {
      process.stderr.write(`aha: ${err.message}\n`);
      // An error that ends a stopped run (SCoRe's warm-up stopped mid-way) is still the stop.
      const stop = receivedStopSignal();
      return stop !== null ? stopExitCode(stop) : 2;
    }
    throw err;
  }
}

