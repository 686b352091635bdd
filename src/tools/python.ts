// The `python` tool (ToRL / ReTool's code interpreter): the model's program runs in the code
// sandbox (rewards/code: bubblewrap, seccomp, resource limits; no fallback when it cannot run),
// and the result is its stdout, or the error it ended with.
import { runProgram } from '../rewards/index.js';
import { defineTool, type Tool } from './tool.js';

/** The last lines of an error output (the traceback's end says what went wrong). */
function errorTail(stderr: string, lines = 4): string {
  return stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The python tool; each call runs with `timeoutMs` in the sandbox. */
export function pythonTool(timeoutMs: number): Tool {
  return defineTool({
    name: 'python',
    resultTag: 'output',
    description: 'Runs a Python 3 program in a sandbox and returns what it printed (stdout), or the error it ended with.',
    argument: 'code',
    async call(program) {
      const r = await runProgram({ language: 'python', program, timeoutMs });
      if (r.status === 'pass') return r.stdout;
      if (r.status === 'timeout') return `${r.stdout}error: timed out`;
      return `${r.stdout}${r.stdout && !r.stdout.endsWith('\n') ? '\n' : ''}error: ${errorTail(r.stderr) || r.status}`;
    },
  });
}
