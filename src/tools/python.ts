// The `python` tool (ToRL / ReTool's code interpreter): the model's program runs in the code
// sandbox (rewards/code: bubblewrap, seccomp, resource limits; no fallback when it cannot run),
// and the result is its stdout, or the error it ended with. A program written as one code fence
// runs what is inside it; the sandbox, not runTool, keeps the time limit.
import { CODE_DEFAULTS, runProgram } from '../rewards/index.js';
import { clipResult, defineTool, DEFAULT_MAX_RESULT_CHARS, timedOut, type Tool } from './tool.js';

/** The last lines of an error output (the traceback's end says what went wrong). */
function errorTail(stderr: string, lines = 4): string {
  return stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A program that is one markdown code fence (```python … ```, any or no language tag). */
const FENCED = /^```[\w+.-]*[ \t]*\n([\s\S]*?)\n?```$/;

/**
 * The program a call runs: the text between the tags, or what is inside the fence when that text
 * is one fenced block. Models write code in fences by habit, and ReTool's format puts a fenced
 * block inside its tags; the fence lines themselves are a syntax error.
 */
export function callProgram(input: string): string {
  const m = FENCED.exec(input.trim());
  return m ? m[1] : input;
}

/** Room left for the note clipResult adds ("\n(cut at N characters)") and the line break after it. */
const NOTE_ROOM = 40;

/**
 * The python tool; each call's program runs for at most `timeoutMs` in the sandbox. The sandbox
 * keeps that limit (from the program's start), not runTool: calls from many rows queue for the
 * sandbox's slots, and the wait must not count against a program.
 */
export function pythonTool(timeoutMs: number): Tool {
  return defineTool({
    name: 'python',
    resultTag: 'output',
    description: 'Runs a Python 3 program in a sandbox and returns what it printed (stdout), or the error it ended with.',
    argument: 'code',
    enforcesTimeout: true,
    async call(program) {
      const r = await runProgram({ language: 'python', program: callProgram(program), timeoutMs });
      if (r.status === 'pass') return r.stdout;
      // The same error, and the call invalid, as when runTool's clock runs out.
      if (r.status === 'timeout') throw timedOut(timeoutMs);
      const error = r.outputLimited ? `error: output limit exceeded (${CODE_DEFAULTS.maxOutputBytes >> 20} MiB)` : `error: ${errorTail(r.stderr) || r.status}`;
      const out = r.stdout && !r.stdout.endsWith('\n') ? `${r.stdout}\n` : r.stdout;
      // A long output is cut before the error, not the error after it: the model must see that its program failed, and why.
      if (out.length + error.length <= DEFAULT_MAX_RESULT_CHARS) return out + error;
      return `${clipResult(out, Math.max(0, DEFAULT_MAX_RESULT_CHARS - error.length - NOTE_ROOM))}\n${error}`;
    },
  });
}
