// `aha verify`: check answers (math) or run programs against tests (code) with the reward
// verifiers, JSON Lines in, one JSON result per input line out, in order.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { optionalNumberFlag } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { byteLines } from '../../util/text-file.js';
import { verifyLines, assertSandbox } from '../../rewards/index.js';

interface VerifyFlags {
  input?: string;
  lastNumberFallback: boolean;
  timeoutMs?: string;
  memoryMb?: string;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('Check answers (math) or run programs against tests (code) with the reward verifiers.')
    .argument('<kind>', 'math or code')
    .option('--input <file>', 'JSON Lines input ("-" for stdin). math: {"pred", "gold"}; code: {"language"?, "code"} + tests in any form of docs/rewards.md (tests, input_output, public_test_cases, test_list, test)')
    .option('--no-last-number-fallback', 'math: do not fall back to the last number when no final answer is marked')
    .option('--timeout-ms <n>', 'math: time budget per comparison (default 2000); code: wall-clock limit per test run (default 4000)')
    .option('--memory-mb <n>', 'code: memory budget per test run in MiB (default 512)')
    .addHelpText(
      'after',
      `
Prints one JSON object per non-blank input line, in order:
  math: {"equal": bool, "pred_extracted": str|null, "gold_extracted": str|null, "reason"?: str}
  code: {"statuses": ["pass"|"wrong_answer"|"runtime_error"|"timeout"|"memory_limit", ...], "reward": fraction passed}
A line that cannot be checked gets {"error": "..."} instead. Code runs only inside the bubblewrap sandbox.

Exit status: 0 every line was checked (whatever the verdicts: failed tests and unequal answers are
results, not errors); 1 some lines could not be checked (all results are still printed, and a
summary goes to stderr); 2 bad usage or refusal (unknown kind, missing --input, no sandbox),
nothing checked.

Examples:
  echo '{"pred": "The answer is $\\\\frac{1}{2}$", "gold": "0.5"}' | aha verify math --input -
  aha verify code --input programs.jsonl`,
    )
    .action(async (kind: string, flags: VerifyFlags) => {
      if (kind !== 'math' && kind !== 'code') throw new AhaError(`unknown kind "${kind}": use "aha verify math" or "aha verify code"`);
      if (!flags.input) throw new AhaError('--input is required (a JSON Lines file, or "-" for stdin)');
      if (flags.input !== '-' && (!existsSync(flags.input) || !statSync(flags.input).isFile())) throw new AhaError(`--input ${flags.input}: file not found`);
      const timeoutMs = optionalNumberFlag(flags, 'timeoutMs', { min: 1, max: 600_000, integer: true });
      const memoryMb = optionalNumberFlag(flags, 'memoryMb', { min: 1, max: 65_536, integer: true });
      if (kind === 'math' && memoryMb !== undefined) throw new AhaError('--memory-mb applies to "verify code" only');
      if (kind === 'code') assertSandbox();
      const lines = byteLines(flags.input === '-' ? process.stdin : createReadStream(flags.input));
      const { count, errors } = await verifyLines(kind, lines, (r) => process.stdout.write(JSON.stringify(r) + '\n'), {
        file: flags.input === '-' ? '<stdin>' : flags.input,
        lastNumberFallback: flags.lastNumberFallback,
        timeoutMs,
        memoryMb,
      });
      if (errors > 0) {
        process.stderr.write(`aha: ${errors} of ${count} input lines could not be checked (see their "error" results)\n`);
        process.exitCode = 1;
      }
    });
}
