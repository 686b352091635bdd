// The tool contract of multi-turn rollouts (docs/tools.md): a tool has a name (the model calls it
// as <name>input</name>), a tag its result is wrapped in, and an async call. A library user
// registers a tool of their own with `defineTool`; the rollout loop (sampler.ts) runs every call
// under the run's timeout and call cap, and turns a failure into an error message the model reads.
import { AhaError } from '../util/errors.js';

export interface ToolCallContext {
  /** Aborted when the call runs past tool_timeout: stop work and return. */
  signal: AbortSignal;
}

export interface Tool {
  /** The call tag: the model writes `<name>input</name>`. Letters, digits, `_` and `-`. */
  readonly name: string;
  /** The tag the result comes back in: `<resultTag>…</resultTag>` (e.g. information, output). */
  readonly resultTag: string;
  /** Longest result kept, in characters (the rest is cut, with a note); default 1000. */
  readonly maxResultChars?: number;
  /** What the tool does, for a chat API's function definition (eval over tool calls); default: "Calls the <name> tool." */
  readonly description?: string;
  /** The one string argument's name in a chat API's function definition (e.g. query, code); default "input". */
  readonly argument?: string;
  /**
   * The call keeps the run's time limit itself, on its own work, and throws when that runs out;
   * runTool then does not cut it at tool_timeout. For a tool whose calls wait in a queue first:
   * the python tool's calls wait for a free sandbox slot, and the sandbox limits the program's run
   * time, so a fast program from one of many rows at once does not time out while it waits.
   */
  readonly enforcesTimeout?: boolean;
  /** Runs one call on the text between the tags (trimmed). A throw or rejection becomes an error result. */
  call(input: string, context: ToolCallContext): Promise<string> | string;
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Checks a tool's shape (a bad name or tag is an error now, not a call that can never match). */
export function defineTool(tool: Tool): Tool {
  if (typeof tool !== 'object' || tool === null) throw new AhaError('defineTool: expected an object with name, resultTag and call');
  if (typeof tool.name !== 'string' || !NAME.test(tool.name)) throw new AhaError(`defineTool: tool name ${JSON.stringify(tool.name)} must be letters, digits, _ or - (starting with a letter): the model calls it as <name>…</name>`);
  if (typeof tool.resultTag !== 'string' || !NAME.test(tool.resultTag)) throw new AhaError(`defineTool: tool "${tool.name}": resultTag ${JSON.stringify(tool.resultTag)} must be letters, digits, _ or -`);
  if (tool.resultTag === tool.name) throw new AhaError(`defineTool: tool "${tool.name}": its resultTag must differ from its name`);
  if (typeof tool.call !== 'function') throw new AhaError(`defineTool: tool "${tool.name}" has no call function`);
  if (tool.description !== undefined && (typeof tool.description !== 'string' || tool.description.trim() === '')) throw new AhaError(`defineTool: tool "${tool.name}": description must be a non-empty string`);
  if (tool.argument !== undefined && (typeof tool.argument !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(tool.argument))) throw new AhaError(`defineTool: tool "${tool.name}": argument ${JSON.stringify(tool.argument)} must be an identifier (letters, digits, _)`);
  if (tool.enforcesTimeout !== undefined && typeof tool.enforcesTimeout !== 'boolean') throw new AhaError(`defineTool: tool "${tool.name}": enforcesTimeout must be true or false`);
  if (tool.maxResultChars !== undefined && !(Number.isInteger(tool.maxResultChars) && tool.maxResultChars >= 1)) throw new AhaError(`defineTool: tool "${tool.name}": maxResultChars must be an integer >= 1`);
  return tool;
}

/** The outcome of one call, as the rollout records it. */
export interface ToolOutcome {
  /** The text placed inside the result tag. */
  result: string;
  /** Malformed (no opening tag), over the cap, an unknown tool, a failure or a timeout. */
  invalid: boolean;
}

/**
 * The outcome of a call refused before it runs, or null: past the cap (`callsBefore` calls already
 * made, `max` allowed), or no input (no opening tag, or nothing but spaces between the tags: an
 * empty query or program is a malformed call, as an empty argument is over the chat API).
 * Training and evaluation both answer with these texts, so a trained model reads the same
 * refusal when it is evaluated.
 */
export function refuseCall(name: string, input: string | null, callsBefore: number, max: number): ToolOutcome | null {
  if (callsBefore >= max) return { result: `error: at most ${max} tool calls per answer`, invalid: true };
  if (input === null || input.trim() === '') return { result: `error: write <${name}>input</${name}>`, invalid: true };
  return null;
}

export const DEFAULT_MAX_RESULT_CHARS = 1000;

/** `text`, or its first `max` characters and a note that says where it was cut (the model reads it). */
export function clipResult(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n(cut at ${max} characters)`;
}

/** The message of a call that ran out of time (runTool's, or a tool's that enforces its own limit). */
export function timedOut(timeoutMs: number): Error {
  return new Error(`timed out after ${timeoutMs / 1000} s`);
}

/** Runs `tool` on `input` under `timeoutMs`; failures and timeouts become an error message. */
export async function runTool(tool: Tool, input: string, timeoutMs: number): Promise<ToolOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const work = Promise.resolve().then(() => tool.call(input, { signal: controller.signal }));
  const timeout = (): Promise<never> =>
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(timedOut(timeoutMs));
      }, timeoutMs);
    });
  try {
    const out = await (tool.enforcesTimeout ? work : Promise.race([work, timeout()]));
    if (typeof out !== 'string') return { result: `error: the ${tool.name} tool returned no text`, invalid: true };
    return { result: clipResult(out, tool.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS), invalid: false };
  } catch (err) {
    return { result: `error: ${tool.name} failed: ${(err as Error).message ?? String(err)}`, invalid: true };
  } finally {
    clearTimeout(timer);
  }
}
