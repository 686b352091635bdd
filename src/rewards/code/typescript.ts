// TypeScript programs (MultiPL-E's HumanEval translation, or any TypeScript reply) run as the
// JavaScript the TypeScript compiler emits for them. Only the syntax is transformed
// (transpileModule: no type checking, as `node --experimental-strip-types` would run them): the
// benchmarks score behaviour, and a type error that changes nothing at run time is not a failing
// test. This runs on the host, but it only parses text; the program itself runs in the jail.
import { createRequire } from 'node:module';

type Ts = typeof import('typescript');
let ts: Ts | undefined;

function compiler(): Ts {
  // Loaded on first use: it is large, and only TypeScript code needs it.
  ts ??= createRequire(import.meta.url)('typescript') as Ts;
  return ts;
}

/** The JavaScript for a TypeScript source, or the first syntax errors. */
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
  return { ok: out.outputText };
}

/** The JavaScript to run for a program in `language`: TypeScript transpiled, anything else as it is. */
export function runnableSource(language: string, source: string): { ok: string } | { error: string } {
  return language === 'typescript' ? typescriptToJavascript(source) : { ok: source };
}
