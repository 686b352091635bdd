// Code accuracy: run model programs in the bubblewrap sandbox against tests.
export { runCode, runProgram, outputsMatch, checkCodeTests, errorLineFor, CODE_DEFAULTS, type RunCodeRequest, type RunCodeResult, type RunProgramRequest, type RunProgramResult, type TestStatus, type CodeTests, type StdioTests, type CallTests, type AssertTests } from './run.js';
export { codeTestsOf, codeFormOf, codeProblemText, programFor, type CodeDataForm, type FoundTests, type TestsLookup } from './formats.js';
export { sandboxStatus, assertSandbox } from './sandbox.js';
export { CODE_LANGUAGES, type CodeLanguage } from './languages.js';
export { extractCode, testedNames } from './extract.js';
