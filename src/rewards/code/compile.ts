// Compiling a program in the jail (C++ with g++), once per source: the compiler runs under the
// same bubblewrap jail as any model code, prints the program base64-encoded on stdout (the
// jail's /tmp dies with it), and every test then runs that program in a fresh jail. Compilations
// are cached by source as promises, so a group's repeated samples compile once even when they
// are scored at the same time.
import { createHash } from 'node:crypto';
import { runSandboxed } from './sandbox.js';
import type { CompileStep } from './languages.js';

export type Compiled = { ok: true; program: Uint8Array } | { ok: false; error: string };

/** Largest program we accept back (base64 on stdout). */
const MAX_PROGRAM_BYTES = 6 << 20;
/** Object files and the program the compiler writes in the jail's /tmp. */
const MAX_FILE_MB = 32;
const CACHE_SIZE = 64;
const cache = new Map<string, Promise<Compiled>>();

function lastLines(s: string): string {
  return s.trim().split('\n').slice(0, 12).join('\n').slice(0, 1200);
}

/**
 * The compiled program for `source`, compiling it once (`schedule` runs the compilation, e.g. in
 * the sandbox's process pool); a compilation already under way for the same source is shared.
 */
export function compileProgram(step: CompileStep, source: string, schedule: (run: () => Promise<Compiled>) => Promise<Compiled> = (run) => run()): Promise<Compiled> {
  const key = createHash('sha256').update(step.argv.join('\u0000')).update('\u0000').update(source).digest('hex');
  const hit = cache.get(key);
  if (hit) return hit;
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  const compiled = schedule(() => compile(step, source));
  cache.set(key, compiled);
  compiled.catch(() => cache.delete(key)); // a sandbox failure is not a result to keep
  return compiled;
}

async function compile(step: CompileStep, source: string): Promise<Compiled> {
  const r = await runSandboxed({
    files: { [step.source]: source },
    argv: step.argv,
    limits: {
      timeoutMs: step.timeoutMs,
      addressSpaceMb: step.addressSpaceMb,
      cpuSeconds: Math.ceil(step.timeoutMs / 1000) + 1,
      maxProcesses: step.maxProcesses,
      maxFileMb: MAX_FILE_MB,
      maxOutputBytes: Math.ceil((MAX_PROGRAM_BYTES * 4) / 3) + (64 << 10),
    },
  });
  if (r.timedOut) return { ok: false, error: `compilation took longer than ${step.timeoutMs / 1000} s` };
  if (r.outputLimited) return { ok: false, error: `compiled program larger than ${MAX_PROGRAM_BYTES >> 20} MiB` };
  if (r.exitCode !== 0) return { ok: false, error: lastLines(r.stderr) || `compiler exited with ${r.exitCode ?? r.signal}` };
  return { ok: true, program: Buffer.from(r.stdout.trim(), 'base64') };
}
