// Making @huggingface/jinja render as Jinja2 does where a chat template would otherwise come out
// silently different (transformers renders templates with Python's Jinja2):
// - output expressions print Python's str(): True / False / None, and lists, tuples and dicts as
//   Python's repr (['a', 1], {'k': 'v'}), where the library prints true / false, nothing for None,
//   and JSON;
// - constructs the library accepts but computes differently are refused by name
//   (join(attribute=…), whose attribute it ignores).
// Constructs it does not support at all fail to parse or render with its own error, which callers
// report naming the template's file.
import { Interpreter, type Template } from '@huggingface/jinja';
import { AhaError } from '../util/errors.js';

/** A runtime value of @huggingface/jinja: its kind and JS payload (a Map for dicts, an array of values for lists). */
interface JinjaValue {
  type: string;
  value: unknown;
}

/** Node types of statements; every other node in a block is an output expression ({{ … }}) or text. */
const STATEMENT_NODES = new Set(['Program', 'If', 'For', 'Break', 'Continue', 'Set', 'Macro', 'Comment', 'FilterStatement', 'CallStatement']);

/** Python's repr of a string, as Jinja2 prints strings inside a list or dict. */
function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's str() of a value (repr for what sits inside a container), as Jinja2 prints {{ value }}. */
export function pythonStr(v: JinjaValue, inside = false): string {
  switch (v.type) {
    case 'BooleanValue':
      return v.value ? 'True' : 'False';
    case 'NullValue':
      return 'None';
    case 'StringValue':
      return inside ? pythonStringRepr(v.value as string) : (v.value as string);
    case 'ArrayValue':
    case 'TupleValue': {
      const items = (v.value as JinjaValue[]).map((x) => pythonStr(x, true));
      if (v.type === 'ArrayValue') return `[${items.join(', ')}]`;
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    }
    case 'ObjectValue':
    case 'KeywordArgumentsValue':
      return `{${[...(v.value as Map<string, JinjaValue>)].map(([k, x]) => `${pythonStringRepr(k)}: ${pythonStr(x, true)}`).join(', ')}}`;
    default:
      return String(v); // numbers: the library already prints 1.0 for a float 1, as Python does
  }
}

type Evaluate = (node: unknown, environment: unknown) => JinjaValue;
const proto = Interpreter.prototype as unknown as {
  evaluate: Evaluate;
  evaluateBlock: (this: { evaluate: Evaluate }, statements: { type: string }[], environment: unknown) => JinjaValue;
};

// Replacing a method of the library's interpreter is tied to its internals (package-lock pins
// 0.5.11; the template tests compare against Jinja2's output): if the method is gone, stop loudly
// rather than leave printing silently unpatched.
if (typeof proto.evaluateBlock !== 'function' || typeof proto.evaluate !== 'function') {
  throw new Error('@huggingface/jinja: Interpreter.evaluateBlock / evaluate not found; src/model/jinja-python.ts must follow this version of the library');
}
// The library's block evaluation appends each statement's value with its own printing; this one
// prints output expressions as Python does and leaves statements and text as they were.
proto.evaluateBlock = function (statements, environment) {
  let result = '';
  for (const statement of statements) {
    const value = this.evaluate(statement, environment);
    if (value.type === 'UndefinedValue') continue;
    if (STATEMENT_NODES.has(statement.type)) {
      if (value.type !== 'NullValue') result += String(value);
    } else {
      result += pythonStr(value);
    }
  }
  return this.evaluate({ type: 'StringLiteral', value: result }, environment); // a string value, as the library builds one
};

/** Every node of a parsed template (plain objects with a `type`), depth first. */
function* nodes(node: unknown): Generator<{ type: string; [k: string]: unknown }> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) yield* nodes(n);
    return;
  }
  if (typeof (node as { type?: unknown }).type === 'string') yield node as { type: string };
  for (const v of Object.values(node)) yield* nodes(v);
}

/** Refuses constructs the library parses but computes differently from Jinja2. */
export function checkJinja2Compatible(t: Template): void {
  for (const n of nodes((t as unknown as { parsed: unknown }).parsed)) {
    if (n.type !== 'CallExpression' || (n.callee as { value?: unknown } | undefined)?.value !== 'join') continue;
    const args = (n.args as { type: string; key?: { value?: unknown } }[] | undefined) ?? [];
    if (args.some((a) => a.type === 'KeywordArgumentExpression' && a.key?.value === 'attribute')) {
      throw new AhaError("chat template uses join(attribute=…), which aha's Jinja renderer would ignore; write map(attribute=…) | join instead");
    }
  }
}
