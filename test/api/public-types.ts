// What a TypeScript user of the installed package can name. Used by pack.test.ts on the tarball's
// own declarations (dist/src/*.d.ts as npm installed them), never on src/.
import ts from 'typescript';

/**
 * The package's types named in the declaration of a function or class the package root exports
 * (parameters, results, a class's constructor and public members) that the root does not export:
 * a user can pass or receive such a value but cannot write its type. `packageDir` tells the
 * package's own declarations from those of its dependencies. One level deep: the members of an
 * exported options or result type are the next level, left to that type's own module.
 */
export function unexportedSignatureTypes(program: ts.Program, entry: string, packageDir: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`${entry} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`);
  const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const exports = checker.getExportsOfModule(moduleSymbol);
  const exported = new Set(exports.map(resolve));
  // `export { type X }` names a type only, even when X is a class: not something a user calls.
  const typeOnly = (s: ts.Symbol) => s.declarations?.some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) === true;
  const roots = exports.filter((s) => !typeOnly(s)).map(resolve).filter((s) => s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class));
  const ours = (s: ts.Symbol) => s.declarations?.some((d) => {
    const file = d.getSourceFile().fileName;
    return file.startsWith(packageDir) && !file.startsWith(packageDir + 'node_modules/');
  }) === true;
  const isPrivate = (n: ts.Node) => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
  const missing = new Set<string>();
  for (const value of roots) {
    for (const declaration of value.declarations ?? []) {
      const visit = (n: ts.Node): void => {
        if (isPrivate(n)) return;
        const name = ts.isTypeReferenceNode(n) ? n.typeName : ts.isExpressionWithTypeArguments(n) ? n.expression : undefined;
        const found = name && checker.getSymbolAtLocation(name);
        if (found) {
          const target = resolve(found);
          if (!(target.flags & ts.SymbolFlags.TypeParameter) && ours(target) && !exported.has(target)) {
            const file = target.declarations![0].getSourceFile().fileName.slice(packageDir.length);
            missing.add(`${target.name} (${file}, in ${value.name})`);
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(declaration);
    }
  }
  return [...missing].sort();
}

/** The type errors of a program, one line each with file and position. */
export function typeErrors(program: ts.Program): string[] {
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName}:${line + 1}:${character + 1}: ${text}`;
  });
}
