// Code accuracy: run model programs in the bubblewrap sandbox against tests.
export { runCode, runProgram, outputsMatch, CODE_DEFAULTS, type RunCodeRequest, type RunCodeResult, type RunProgramRequest, type RunProgramResult, type TestStatus, type CodeTests } from './run.js';
export { sandboxStatus, assertSandbox } from './sandbox.js';
export { CODE_LANGUAGES, type CodeLanguage } from './languages.js';
export { extractCode } from './extract.js';
