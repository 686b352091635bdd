import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

function aha(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

const COMMANDS = ['train', 'pretrain', 'generate', 'eval', 'verify', 'serve', 'sft', 'sample', 'pipeline', 'report', 'dashboard'];

test('aha --help lists every command', () => {
  const r = aha('--help');
  assert.equal(r.status, 0, r.stderr);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), `missing ${c}`);
});

/** `aha <args>` on the real program, in this process: what it writes and its exit code. */
async function ahaInProcess(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const program = buildProgram();
  let stdout = '';
  let stderr = '';
  const capture = (cmd: Command) => {
    cmd.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
    cmd.commands.forEach(capture);
  };
  capture(program);
  try {
    await program.parseAsync(['node', 'aha', ...args]);
    return { status: 0, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { status: err.exitCode, stdout, stderr };
    throw err;
  }
}

test('every command has its own --help', async () => {
  // One process for all of them (starting the CLI cold per command took most of this suite's time).
  for (const c of COMMANDS) {
    const r = await ahaInProcess(c, '--help');
    assert.equal(r.status, 0, `${c}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Usage: aha ${c}`));
  }
});

test('an unknown command is an error, not silence', async () => {
  const r = await ahaInProcess('nosuchcommand');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown command 'nosuchcommand'/);
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = await ahaInProcess('--version');
  assert.equal(r.stdout.trim(), pkg.version);
});

test('bad usage (unknown flag, missing value) exits 2, never 1, which aha verify uses for unchecked lines', async () => {
  const { main } = await import('../../src/cli/program.js');
  const err = process.stderr.write.bind(process.stderr);
  const out = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? true : err(chunk, ...rest))) as typeof process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? true : out(chunk, ...rest))) as typeof process.stdout.write;
  try {
    assert.equal(await main(['node', 'aha', 'verify', 'math', '--input', '-', '--no-such-flag']), 2);
    assert.equal(await main(['node', 'aha', 'train', '--steps']), 2);
    assert.equal(await main(['node', 'aha', 'eval', '--help']), 0);
  } finally {
    process.stderr.write = err;
    process.stdout.write = out;
  }
});

test('a TRL / TrainingArguments name given as a flag, or a flag written with underscores, is answered with our flag', async () => {
  const { main } = await import('../../src/cli/program.js');
  const said: string[] = [];
  const err = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? (said.push(chunk), true) : err(chunk, ...rest))) as typeof process.stderr.write;
  const cases: [string[], string][] = [
    [['train', '--max-steps', '3'], "unknown option '--max-steps' (max_steps is --steps here)"],
    [['train', '--num_generations', '4'], "unknown option '--num_generations' (num_generations is --group-size here)"],
    [['train', '--learning-rate', '1e-6'], "unknown option '--learning-rate' (learning_rate is --lr here)"],
    [['train', '--max_completion_length', '8'], "unknown option '--max_completion_length' (did you mean --max-completion-length?)"],
    [['sft', '--num-train-epochs', '2'], "unknown option '--num-train-epochs' (num_train_epochs is --epochs here)"],
    [['pretrain', '--gradient_accumulation_steps', '2'], "unknown option '--gradient_accumulation_steps' (gradient_accumulation_steps is --grad-accum here)"],
    [['serve', 'rewards', '--max_body_mb', '2'], "unknown option '--max_body_mb' (did you mean --max-body-mb?)"],
  ];
  try {
    for (const [args, message] of cases) {
      said.length = 0;
      assert.equal(await main(['node', 'aha', ...args]), 2, args.join(' '));
      assert.ok(said.join('').includes(message), `${args.join(' ')}: ${said.join('')}`);
    }
  } finally {
    process.stderr.write = err;
  }
});
