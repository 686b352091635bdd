// The contract between the evaluation harness and whatever produces completions: a remote
// OpenAI-compatible server (remote.ts) or aha's own model (local.ts). The harness only sends
// rendered prompts and sampling options and gets texts and token counts back.

export type ApiKind = 'chat' | 'completions';

export interface SamplingOptions {
  temperature: number;
  topP: number;
  /** Only sent when set (OpenAI itself does not accept it; vLLM, SGLang, llama.cpp do). */
  topK?: number;
  /** Only sent when set (vLLM, SGLang, llama.cpp take it). */
  minP?: number;
  /** Only sent when set (vLLM, SGLang, llama.cpp take it); 1 = off. */
  repetitionPenalty?: number;
  maxTokens: number;
  stop?: string[];
}

export interface GenerationRequest {
  /** The rendered prompt: the user message (chat) or the raw prompt (completions). */
  prompt: string;
  /** Samples wanted from this one request. */
  n: number;
  /** Per-request seed, for servers and samplers that take one. */
  seed?: number;
  /**
   * One seed per sample (length n), for generators that can seed each sample's own random stream
   * (aha's local model): a sample then comes out the same whatever else shares its batch, so a
   * resumed or re-batched evaluation repeats it. Servers use `seed`.
   */
  sampleSeeds?: readonly number[];
}

/** One tool call of a tool-using sample (eval/tool-chat.ts), as the samples file keeps it. */
export interface ToolCallRecord {
  /** The tool the model named (as written, even when no such tool exists). */
  tool: string;
  /** The call's input (query, code …); null when it could not be read. */
  input: string | null;
  /** What the model got back: the tool's result or an error text. */
  result: string;
  /** Unknown tool, unreadable arguments, past max_tool_calls, a failure or a timeout. */
  invalid: boolean;
}

export interface GeneratedSample {
  text: string;
  /** "stop", "length", … as reported; null when unknown. */
  finishReason: string | null;
  /** Separate reasoning text, when the server splits it out (vLLM's reasoning parsers). */
  reasoning?: string;
  /** The tool calls made on the way to `text` (tool-using evaluation only). */
  toolCalls?: ToolCallRecord[];
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface GenerationResult {
  /** Up to n samples; a server that ignores n may return fewer, the harness asks again. */
  samples: GeneratedSample[];
  usage: TokenUsage;
}

export interface Generator {
  /** Shown in summaries, e.g. "http://127.0.0.1:8000/v1/chat/completions qwen2.5-1.5b". */
  readonly description: string;
  generate(request: GenerationRequest, sampling: SamplingOptions): Promise<GenerationResult>;
  /** Requests retried so far (remote backends). */
  retries?(): number;
  close(): Promise<void>;
}
