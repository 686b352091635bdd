// How each language runs inside the jail: the interpreter path (which must be visible there),
// its flags, and the harness that runs assert-style tests one by one and reports each result.
import { existsSync } from 'node:fs';
import { AhaError } from '../../util/errors.js';
import { bindsFor, JOB_DIR } from './sandbox.js';

export type CodeLanguage = 'python' | 'javascript';
export const CODE_LANGUAGES: readonly CodeLanguage[] = ['python', 'javascript'];

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
}

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
  if (language === 'javascript') {
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
  throw new AhaError(`unknown code language "${language}"; supported: ${CODE_LANGUAGES.join(', ')}`);
}

/**
 * Python harness for assert-style tests: runs the solution once, then each top-level `assert`
 * of the test script separately (other statements are setup; a script with no top-level
 * assert is one test), and reports one status per
 * assert on stderr behind a nonce it reads from stdin, so ordinary program output cannot be
 * mistaken for a result.
 */
export const PYTHON_ASSERT_HARNESS = String.raw`
import ast, sys
def _aha_run():
    nonce = sys.stdin.readline().strip()
    err = sys.stderr
    def report(key, value):
        err.write("\n" + nonce + " " + str(key) + " " + value + "\n")
        err.flush()
    def status_of(e):
        if isinstance(e, MemoryError):
            return "memory_limit"
        if isinstance(e, AssertionError):
            return "wrong_answer"
        return "runtime_error"
    with open("${JOB_DIR}/tests.py") as f:
        tree = ast.parse(f.read(), "tests.py")
    asserts = [n for n in tree.body if isinstance(n, ast.Assert)]
    # A script without top-level asserts (e.g. def check(...) + check(f)) is one test that
    # passes if the whole script runs without an exception.
    whole = len(asserts) == 0
    report("count", "1" if whole else str(len(asserts)))
    with open("${JOB_DIR}/solution.py") as f:
        src = f.read()
    g = {"__name__": "__aha_solution__"}
    try:
        exec(compile(src, "solution.py", "exec"), g)
    except BaseException as e:
        report("setup", "runtime_error" if isinstance(e, AssertionError) else status_of(e))
        return
    if whole:
        try:
            exec(compile(tree, "tests.py", "exec"), g)
            report(0, "pass")
        except BaseException as e:
            report(0, status_of(e))
        return
    i = 0
    for node in tree.body:
        code = compile(ast.Module(body=[node], type_ignores=[]), "tests.py", "exec")
        if isinstance(node, ast.Assert):
            try:
                exec(code, g)
                report(i, "pass")
            except BaseException as e:
                report(i, status_of(e))
            i += 1
        else:
            try:
                exec(code, g)
            except BaseException as e:
                report("setup", "runtime_error" if isinstance(e, AssertionError) else status_of(e))
                return
_aha_run()
`;
