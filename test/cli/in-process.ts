// Runs one `aha` command in the test's own process (no cold CLI start): the command registered on
// a fresh commander program, its stdout text returned, its stderr text dropped. Errors propagate
// as thrown (an AhaError, or commander's for bad flags).
import { Command } from 'commander';

export async function runCommand(register: (program: Command) => void, name: string, args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  // Only text is the command's: the test runner reports through the same streams in binary chunks,
  // which must pass (swallowing them would drop a finished test's result).
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? ((stdout += chunk), true) : write(chunk, ...rest))) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? true : errWrite(chunk, ...rest))) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'aha', name, ...args]);
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
  return stdout;
}
