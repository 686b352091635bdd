// Tool-using evaluation of a served model (docs/tools.md, "Evaluating a served model with tools"):
// the loop of multi-turn rollouts, through an OpenAI-compatible server, with the same tools
// (src/tools) as training. Each sample is its own conversation. Two protocols:
// - chat: the request carries the tools as JSON Schema functions (`tools`, `tool_choice: "auto"`);
//   a message with `tool_calls` gets one `{"role": "tool", "tool_call_id", "content"}` message per
//   call and the conversation goes on, until a message without tool calls.
// - text: the model writes `<search>q</search>` as aha-trained models do; generation stops at the
//   closing tag (stop strings), the result goes back as `<information>…</information>` in the
//   completion's own text and generation continues from there (completions API: prompt + text so
//   far; chat API: the text so far as an assistant message the server continues).
// Calls beyond max_tool_calls get an error result (and count as invalid), then the model is asked
// once more with the tools off; that answer is final. max_tokens is a budget over all of a
// sample's turns. Graded is the final text: the last message (chat) or the whole completion (text).
import { findCall } from '../tools/calls.js';
import { functionTool, parseToolArguments } from '../tools/schema.js';
import { refuseCall, runTool, type Tool, type ToolOutcome } from '../tools/tool.js';
import { toolResultText } from '../tasks/tool-text.js';
import type { GenerationRequest, GenerationResult, GeneratedSample, Generator, SamplingOptions, ToolCallRecord } from './generator.js';
import { answerChoices, answerUsage, choiceSample, serverEnded, type Choice, type RemoteGenerator } from './remote.js';
import { RemoteCallError } from './retry.js';

export type ToolProtocol = 'chat' | 'text';
export const TOOL_PROTOCOLS: readonly ToolProtocol[] = ['chat', 'text'];

export interface ToolLoopOptions {
  tools: readonly Tool[];
  /** Calls per sample; a call past it gets an error result, then one last turn without tools. */
  maxToolCalls: number;
  /** Wall-clock limit of one call, ms. */
  toolTimeoutMs: number;
  protocol: ToolProtocol;
}

interface ToolCallWire {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: unknown };
}

interface ChoiceWire extends Choice {
  message?: Choice['message'] & { tool_calls?: ToolCallWire[] | null };
  /** vLLM: the stop string (or token id) that ended the choice. */
  stop_reason?: string | number | null;
}

interface Turn {
  choice: ChoiceWire;
  promptTokens: number;
  completionTokens: number;
}

/** A Generator that lets the served model call tools while it answers. */
export class ToolLoopGenerator implements Generator {
  readonly description: string;
  private readonly schemas: ReturnType<typeof functionTool>[];

  /** `o` comes checked from evaluate(): at least one tool, the chat protocol only over the chat API. */
  constructor(private readonly remote: RemoteGenerator, private readonly o: ToolLoopOptions) {
    this.schemas = o.tools.map(functionTool);
    this.description = `${remote.description} with tools ${o.tools.map((t) => t.name).join(', ')} (${o.protocol} protocol)`;
  }

  async generate(req: GenerationRequest, s: SamplingOptions): Promise<GenerationResult> {
    const seeds = Array.from({ length: req.n }, (_, i) => req.sampleSeeds?.[i] ?? (req.seed === undefined ? undefined : req.seed + i));
    const usage = { promptTokens: 0, completionTokens: 0 };
    const run = (seed: number | undefined) => (this.o.protocol === 'chat' ? this.chatConversation(req.prompt, s, seed, usage) : this.textConversation(req.prompt, s, seed, usage));
    return { samples: await Promise.all(seeds.map(run)), usage };
  }

  retries(): number {
    return this.remote.retries();
  }

  close(): Promise<void> {
    return this.remote.close();
  }

  /** One request; its first choice and token counts (an answer without a choice is retried). */
  private async turn(body: Record<string, unknown>, usage: { promptTokens: number; completionTokens: number }, first = false): Promise<Turn> {
    const read = (json: unknown): Turn => {
      const choice = answerChoices(json, this.remote.url)[0] as ChoiceWire | undefined;
      if (choice === undefined) throw new RemoteCallError(`${this.remote.url} returned no choices`, { retryable: true });
      // A turn the server cut off ("abort") is asked for again, not taken as the model's answer.
      if (serverEnded(choice)) throw new RemoteCallError(`${this.remote.url} ended the choice itself (finish_reason "${choice.finish_reason}")`, { retryable: true });
      return { choice, ...answerUsage(json) };
    };
    let t: Turn;
    try {
      t = await this.remote.post(body, read);
    } catch (err) {
      // A server without tool support answers 400 (llama.cpp without --jinja, vLLM without
      // --enable-auto-tool-choice): say so in one line instead of a bare HTTP error. Only on a
      // conversation's first request: later ones carry the same tools, already accepted, and fail
      // for other reasons (a context grown too long).
      if (first && err instanceof RemoteCallError && !err.retryable && err.status !== null && err.status >= 400 && err.status < 500 && ![401, 403, 404].includes(err.status)) {
        throw new RemoteCallError(`the server rejected a request with tools (${err.message}); it may not support tool calls (vLLM needs --enable-auto-tool-choice --tool-call-parser …, llama.cpp --jinja): try --tool-protocol text`, { status: err.status, retryable: false });
      }
      throw err;
    }
    usage.promptTokens += t.promptTokens;
    usage.completionTokens += t.completionTokens;
    return t;
  }

  /** Runs one call (or refuses it: past the cap, unknown tool, unreadable input). */
  private async call(tool: Tool | undefined, name: string, input: string | null, error: string | null, callsBefore: number): Promise<ToolCallRecord> {
    const max = this.o.maxToolCalls;
    // The cap error comes first; under the cap an unknown tool or unreadable arguments say so.
    let outcome: ToolOutcome | null = null;
    if (callsBefore < max && tool === undefined) outcome = { result: `error: there is no tool "${name}"; tools: ${this.o.tools.map((t) => t.name).join(', ')}`, invalid: true };
    else if (callsBefore < max && error !== null) outcome = { result: error, invalid: true };
    // Not refused: under the cap, with a known tool (above) and an input.
    outcome ??= refuseCall(name, input, callsBefore, max) ?? (await runTool(tool!, input!, this.o.toolTimeoutMs));
    return { tool: name, input, result: outcome.result, invalid: outcome.invalid };
  }

  /** The chat protocol: the tools as functions, tool_calls answered with tool messages. */
  private async chatConversation(prompt: string, s: SamplingOptions, seed: number | undefined, usage: { promptTokens: number; completionTokens: number }): Promise<GeneratedSample> {
    const messages = this.remote.openingMessages(prompt);
    const calls: ToolCallRecord[] = [];
    let spent = 0;
    let final = false;
    let text = '';
    while (true) {
      if (spent >= s.maxTokens) return { text, finishReason: 'length', toolCalls: calls };
      const body = this.remote.samplingBody(1, { ...s, maxTokens: s.maxTokens - spent }, seed);
      body.messages = messages;
      body.tools = this.schemas;
      body.tool_choice = final ? 'none' : 'auto';
      const { choice, completionTokens } = await this.turn(body, usage, messages.at(-1)?.role === 'user');
      spent += completionTokens;
      const m = choice.message ?? {};
      const sample = choiceSample(choice, 'chat');
      text = sample.text;
      const wanted = Array.isArray(m.tool_calls) ? m.tool_calls : [];
      if (wanted.length === 0 || final) {
        // A server that ignores tool_choice "none" on the last turn: its calls are not run.
        for (const c of final ? wanted : []) {
          const name = String(c.function?.name ?? '');
          calls.push({ tool: name, input: null, ...refuseCall(name, null, this.o.maxToolCalls, this.o.maxToolCalls)! });
        }
        return { ...sample, toolCalls: calls };
      }
      // Echo the calls back with an id each (a server that gave none gets ours), then one tool message per call.
      const echoed = wanted.map((c, i) => ({ id: typeof c.id === 'string' && c.id !== '' ? c.id : `call_${calls.length + i + 1}`, type: 'function', function: { name: String(c.function?.name ?? ''), arguments: typeof c.function?.arguments === 'string' ? c.function.arguments : JSON.stringify(c.function?.arguments ?? {}) } }));
      messages.push({ role: 'assistant', content: m.content ?? null, tool_calls: echoed });
      for (const [i, c] of wanted.entries()) {
        const name = String(c.function?.name ?? '');
        const tool = this.o.tools.find((t) => t.name === name);
        const parsed = tool ? parseToolArguments(tool, c.function?.arguments) : null;
        const rec = await this.call(tool, name, parsed && 'input' in parsed ? parsed.input : null, parsed && 'error' in parsed ? parsed.error : null, calls.length);
        if (calls.length >= this.o.maxToolCalls) final = true;
        calls.push(rec);
        messages.push({ role: 'tool', tool_call_id: echoed[i].id, content: rec.result });
      }
    }
  }

  /** The text protocol: `<name>input</name>` in the model's own text, stopped at the closing tag. */
  private async textConversation(prompt: string, s: SamplingOptions, seed: number | undefined, usage: { promptTokens: number; completionTokens: number }): Promise<GeneratedSample> {
    const chat = this.remote.api === 'chat';
    const closers = this.o.tools.map((t) => `</${t.name}>`);
    const calls: ToolCallRecord[] = [];
    let text = '';
    /** Where the current model-written stretch of `text` starts (after the last tool result). */
    let segStart = 0;
    let spent = 0;
    let final = false;
    while (true) {
      if (spent >= s.maxTokens) return { text, finishReason: 'length', toolCalls: calls };
      const stop = final ? s.stop : [...(s.stop ?? []), ...closers];
      const body = this.remote.samplingBody(1, { ...s, maxTokens: s.maxTokens - spent, stop }, seed);
      if (chat) {
        const messages = this.remote.openingMessages(prompt);
        if (text !== '') {
          // Continue the answer in place (vLLM's continue_final_message; llama.cpp continues a
          // trailing assistant message), rather than opening a new turn.
          messages.push({ role: 'assistant', content: text });
          body.continue_final_message = true;
          body.add_generation_prompt = false;
        }
        body.messages = messages;
      } else {
        body.prompt = prompt + text;
      }
      const { choice, completionTokens } = await this.turn(body, usage);
      spent += completionTokens;
      const piece = (chat ? choice.message?.content : choice.text) ?? '';
      text += piece;
      if (final) {
        // The last turn, tools off: a call written in it stays plain text and is not run, but it
        // counts as invalid, as a call in the chat protocol's last message does.
        for (let rest = text.slice(segStart), c = findCall(rest, this.o.tools); c !== null; c = findCall(rest, this.o.tools)) {
          calls.push({ tool: c.tool.name, input: c.input, ...refuseCall(c.tool.name, null, this.o.maxToolCalls, this.o.maxToolCalls)! });
          rest = rest.slice(rest.indexOf(`</${c.tool.name}>`) + c.tool.name.length + 3);
        }
        return { text, finishReason: choice.finish_reason ?? null, toolCalls: calls };
      }
      const found = this.closedCall(text.slice(segStart), choice);
      if (found === null) return { text, finishReason: choice.finish_reason ?? null, toolCalls: calls };
      // Keep the text up to the call's closing tag (a server may run on past a stop string it includes).
      text = text.slice(0, segStart) + found.segment;
      const rec = await this.call(found.tool, found.tool.name, found.input, null, calls.length);
      if (calls.length >= this.o.maxToolCalls) final = true;
      calls.push(rec);
      text += toolResultText(found.tool.resultTag, rec.result);
      segStart = text.length;
    }
  }

  /**
   * The call a model-written stretch closes, or null. Servers leave the stop string out of the
   * text (OpenAI's rule) unless told otherwise: a stretch that stopped with a tool's opening tag
   * still open is that tool's call (vLLM's stop_reason says which string stopped it).
   */
  private closedCall(segment: string, choice: ChoiceWire): { tool: Tool; input: string | null; segment: string } | null {
    const found = findCall(segment, this.o.tools);
    if (found) {
      const end = segment.indexOf(`</${found.tool.name}>`) + found.tool.name.length + 3;
      return { tool: found.tool, input: found.input, segment: segment.slice(0, end) };
    }
    if (choice.finish_reason !== 'stop') return null;
    // vLLM names what stopped it: another stop string or a stop token is no call, and so is
    // stop_reason null, its word for EOS ("stop" with no stop string or token matched). Only a
    // server without the field (llama.cpp, Ollama) leaves the open tag to decide.
    const why = choice.stop_reason;
    const named = typeof why === 'string' ? this.o.tools.find((t) => why === `</${t.name}>`) : undefined;
    if (why !== undefined && named === undefined) return null;
    let best: { tool: Tool; at: number } | null = null;
    for (const tool of named ? [named] : this.o.tools) {
      const at = segment.lastIndexOf(`<${tool.name}>`);
      if (at >= 0 && (best === null || at > best.at)) best = { tool, at };
    }
    if (best === null) return null;
    const input = segment.slice(best.at + best.tool.name.length + 2).trim();
    return { tool: best.tool, input, segment: `${segment}</${best.tool.name}>` };
  }
}
