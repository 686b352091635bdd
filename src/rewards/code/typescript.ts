// TypeScript programs (MultiPL-E's HumanEval translation, or any TypeScript reply) are type-checked
// and run as the JavaScript the TypeScript compiler emits for them. A type error fails the
// program as `compile_error`, as MultiPL-E's own grader fails a program that `tsc` rejects (its
// default options: not strict, so untyped parameters are fine). Node's globals (require,
// process, console, timers, …) and the assert harness's `assert` are known as `any`, and Node's
// modules (`import * as fs from 'fs'`) need no type definitions: the check is about the
// program's own types, not about which declarations happen to be installed. This runs on the
// host, but it only reads text; the program itself runs in the jail.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Ts = typeof import('typescript');
type SourceFile = import('typescript').SourceFile;
let ts: Ts | undefined;

function compiler(): Ts {
  // Loaded on first use: it is large, and only TypeScript code needs it.
  ts ??= createRequire(import.meta.url)('typescript') as Ts;
  return ts;
}

const PROGRAM_FILE = '/job/main.ts';
const GLOBALS_FILE = '/job/node-globals.d.ts';
// Names a Node program uses without declaring them; `assert` is the JavaScript assert harness's global.
const NODE_GLOBALS = ['require', 'process', 'module', 'exports', 'Buffer', '__dirname', '__filename', 'global', 'console', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'TextEncoder', 'TextDecoder', 'URL', 'performance', 'assert'];
// Diagnostics about declarations that are not installed, not about the program: an unresolved
// module ('fs' without @types/node) is then simply `any`.
const IGNORED_CODES = new Set([2307, 7016]);

/** The lib files' parsed forms, shared by every check (parsing lib.esnext takes most of a check's time). */
const libFiles = new Map<string, SourceFile | undefined>();

/** Ambient `any` declarations for the Node globals the source does not declare itself (its own `declare var require: any` stays its own). */
function nodeGlobals(source: string): string {
  const declares = (n: string): boolean => new RegExp(`\\b(?:var|let|const|function|class)\\s+${n}\\b|\\bimport\\s+(?:\\*\\s+as\\s+)?${n}\\b|\\bas\\s+${n}\\b`).test(source);
  return NODE_GLOBALS.filter((n) => !declares(n))
    .map((n) => `declare var ${n}: any;\n`)
    .join('');
}

/** The program's type errors (at most 3, with their lines), or null when it type-checks. */
function typeErrors(t: Ts, source: string): string | null {
  const options = { target: t.ScriptTarget.ES2022, module: t.ModuleKind.CommonJS, lib: ['lib.esnext.d.ts'], types: [], noEmit: true, strict: false, skipLibCheck: true };
  const libDir = dirname(t.getDefaultLibFilePath(options));
  const texts: Record<string, string> = { [PROGRAM_FILE]: source, [GLOBALS_FILE]: nodeGlobals(source) };
  const host = t.createCompilerHost(options);
  host.fileExists = (f) => f in texts || (f.startsWith(libDir) && t.sys.fileExists(f));
  host.readFile = (f) => texts[f] ?? (f.startsWith(libDir) ? t.sys.readFile(f) : undefined);
  host.getSourceFile = (f, version) => {
    if (f in texts) return t.createSourceFile(f, texts[f], version);
    if (!libFiles.has(f)) libFiles.set(f, f.startsWith(libDir) ? t.createSourceFile(f, t.sys.readFile(f) ?? '', version) : undefined);
    return libFiles.get(f);
  };
  host.getDefaultLibLocation = () => libDir;
  host.getDefaultLibFileName = () => join(libDir, 'lib.esnext.d.ts');
  const program = t.createProgram([PROGRAM_FILE, GLOBALS_FILE], options, host);
  const file = program.getSourceFile(PROGRAM_FILE)!;
  const errors = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].filter((d) => d.category === t.DiagnosticCategory.Error && !IGNORED_CODES.has(d.code));
  if (errors.length === 0) return null;
  return errors
    .slice(0, 3)
    .map((d) => {
      const line = d.start === undefined ? '' : ` (line ${file.getLineAndCharacterOfPosition(d.start).line + 1})`;
      return `TS${d.code}${line}: ${t.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    })
    .join('\n');
}

/** The JavaScript for a TypeScript source, or its first syntax or type errors. */
export function typescriptToJavascript(source: string): { ok: string } | { error: string } {
  const t = compiler();
  const out = t.transpileModule(source, {
    reportDiagnostics: true,
    compilerOptions: { module: t.ModuleKind.CommonJS, target: t.ScriptTarget.ES2022, sourceMap: false },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === t.DiagnosticCategory.Error);
  if (errors.length > 0) {
    return { error: errors.slice(0, 3).map((d) => `TS${d.code}: ${t.flattenDiagnosticMessageText(d.messageText, '\n')}`).join('\n') };
  }
  const typeError = typeErrors(t, source);
  return typeError === null ? { ok: out.outputText } : { error: typeError };
}

/** The JavaScript to run for a program in `language`: TypeScript transpiled, anything else as it is. */
export function runnableSource(language: string, source: string): { ok: string } | { error: string } {
  return language === 'typescript' ? typescriptToJavascript(source) : { ok: source };
}
