// A tool as a chat API sees it (OpenAI's function-calling format, which vLLM, SGLang, llama.cpp and
// Ollama accept): a function with one required string argument, the same text the model would
// write between <name> tags. And the way back: a tool call's JSON arguments to that text, or the
// reason the call is invalid (the model reads it as the call's result).
import type { Tool } from './tool.js';

export interface FunctionTool {
  type: 'function';
  function: { name: string; description: string; parameters: { type: 'object'; properties: Record<string, { type: 'string'; description: string }>; required: string[] } };
}

/** The argument a tool's function takes (query, code, …; "input" when the tool names none). */
export function toolArgument(tool: Tool): string {
  return tool.argument ?? 'input';
}

/** The JSON Schema function definition of `tool` for a chat request's `tools` array. */
export function functionTool(tool: Tool): FunctionTool {
  const arg = toolArgument(tool);
  return {
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description ?? `Calls the ${tool.name} tool.`,
      parameters: { type: 'object', properties: { [arg]: { type: 'string', description: `the ${arg} for ${tool.name}` } }, required: [arg] },
    },
  };
}

/** A call's input text, or why the call is invalid (a message for the model). */
export type ParsedArguments = { input: string } | { error: string };

/** Reads a tool call's `arguments` (a JSON object string, as the chat API sends it; some servers send the object). */
export function parseToolArguments(tool: Tool, args: unknown): ParsedArguments {
  const arg = toolArgument(tool);
  let value: unknown = args;
  if (typeof args === 'string') {
    try {
      value = JSON.parse(args);
    } catch {
      return { error: `error: the arguments of ${tool.name} are not valid JSON; send {"${arg}": "…"}` };
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: `error: the arguments of ${tool.name} must be an object {"${arg}": "…"}` };
  const input = (value as Record<string, unknown>)[arg];
  if (typeof input !== 'string' || input.trim() === '') return { error: `error: ${tool.name} needs a non-empty string "${arg}"` };
  return { input: input.trim() };
}
