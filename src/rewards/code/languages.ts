// How each language runs inside the jail: the interpreter path (which must be visible there) and
// its flags, or for C++ the compiler and how the compiled program is started.
import { existsSync } from 'node:fs';
import { AhaError } from '../../util/errors.js';
import { bindsFor, JOB_DIR } from './sandbox.js';

export type CodeLanguage = 'python' | 'javascript' | 'typescript' | 'cpp';
export const CODE_LANGUAGES: readonly CodeLanguage[] = ['python', 'javascript', 'typescript', 'cpp'];

export interface LanguageRuntime {
  /** File name of the program inside JOB_DIR. */
  file: string;
  /** argv inside the jail for a program file at `path`, with a heap budget in MiB. */
  argv(path: string, memoryMb: number): string[];
  /** Address space to allow for a heap budget (JS engines reserve much more than they use). */
  addressSpaceMb(memoryMb: number): number;
  /** Processes + threads the runtime needs just to start. */
  baseProcesses: number;
  /** Extra read-only folders to bind (interpreter outside /usr). */
  binds: string[];
  /** Compiled languages: how the source (`source`, in JOB_DIR) becomes the program `file`. */
  compile?: CompileStep;
}

export interface CompileStep {
  source: string;
  /** argv inside the jail: compiles, then prints the program base64-encoded on stdout (the jail's /tmp dies with it). */
  argv: string[];
  timeoutMs: number;
  addressSpaceMb: number;
  maxProcesses: number;
}

/** Debian's g++ (build-essential); the jail sees it under the read-only /usr. */
const GXX = '/usr/bin/g++';
/** The usual judge flags: optimised, C++17. */
export const CPP_FLAGS = ['-O2', '-std=c++17', '-pipe'];

/** Debian's CPython; the pyenv/conda pythons under /root or /opt are never visible in the jail. */
const PYTHON = '/usr/bin/python3';

function nodeBinary(): string {
  // Prefer the system node under /usr, already visible read-only; else this process's node.
  return existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
}

export function runtimeFor(language: string): LanguageRuntime {
  if (language === 'python') {
    if (!existsSync(PYTHON)) throw new AhaError(`cannot run Python code: ${PYTHON} not found (apt-get install python3)`);
    return {
      file: 'main.py',
      argv: (path) => [PYTHON, '-I', '-B', path],
      addressSpaceMb: (mb) => mb,
      baseProcesses: 4,
      binds: [],
    };
  }
  // TypeScript runs as the JavaScript it transpiles to (typescript.ts), on the same node.
  if (language === 'javascript' || language === 'typescript') {
    const node = nodeBinary();
    return {
      file: 'main.js',
      argv: (path, mb) => [node, `--max-old-space-size=${mb}`, path],
      // V8 and its thread pool reserve about 1 GiB of address space before running anything.
      addressSpaceMb: (mb) => mb + 1536,
      baseProcesses: 16,
      binds: bindsFor(node),
    };
  }
  if (language === 'cpp') {
    if (!existsSync(GXX)) throw new AhaError(`cannot compile C++ code: ${GXX} not found (apt-get install g++)`);
    return {
      file: 'prog',
      // The job folder is read-only and its files are not executable: copy the program to /tmp.
      argv: (path) => ['/bin/sh', '-c', `cp ${path} /tmp/prog && chmod 700 /tmp/prog && exec /tmp/prog`],
      addressSpaceMb: (mb) => mb,
      baseProcesses: 2,
      binds: [],
      compile: {
        source: 'main.cpp',
        argv: ['/bin/sh', '-c', `${GXX} ${CPP_FLAGS.join(' ')} -o /tmp/prog ${JOB_DIR}/main.cpp 1>&2 && base64 -w0 /tmp/prog`],
        // cc1plus on <bits/stdc++.h> with -O2 needs a few hundred MiB and seconds on a loaded machine.
        timeoutMs: 30_000,
        addressSpaceMb: 2048,
        maxProcesses: 32,
      },
    };
  }
  throw new AhaError(`unknown code language "${language}"; supported: ${CODE_LANGUAGES.join(', ')}`);
}
