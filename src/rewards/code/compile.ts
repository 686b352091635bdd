// Compiling a program in the jail (C++ with g++), once per source: the compiler runs under the
// same bubblewrap jail as any model code, prints the program base64-encoded on stdout (the
// jail's /tmp dies with it), and every test then runs that program in a fresh jail. Results are
// cached by source, so a group's repeated samples compile once.
import { createHash } from 'node:crypto';
import { runSandboxed } from './sandbox.js';
import type { CompileStep } from './languages.js';

export type Compiled = { ok: true; program: Uint8Array } | { ok: false; error: string };

/** Largest program we accept back (base64 on stdout). */
const MAX_PROGRAM_BYTES = 6 << 20;
/** Object files and the program the compiler writes in the jail's /tmp. */
const MAX_FILE_MB = 32;
const CACHE_SIZE = 64;
const cache = new Map<string, Compiled>();

function remember(key: string, c: Compiled): Compiled {
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, c);
  return c;
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(0, 12).join('\n').slice(0, 1200);
}

export async function compileProgram(step: CompileStep, source: string): Promise<Compiled> {
  const key = createHash('sha256').update(step.argv.join('\u0000')).update('\u0000').update(source).digest('hex');
  const hit = cache.get(key);
  if (hit) return hit;
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
  if (r.timedOut) return remember(key, { ok: false, error: `compilation took longer than ${step.timeoutMs / 1000} s` });
  if (r.outputLimited) return remember(key, { ok: false, error: `compiled program larger than ${MAX_PROGRAM_BYTES >> 20} MiB` });
  if (r.exitCode !== 0) return remember(key, { ok: false, error: lastLines(r.stderr) || `compiler exited with ${r.exitCode ?? r.signal}` });
  return remember(key, { ok: true, program: Buffer.from(r.stdout.trim(), 'base64') });
}
