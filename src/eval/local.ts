// The local generator: aha's own model folder (`--model DIR`) through src/model's batched KV-cache
// sampler. Requests that arrive together (up to the harness's concurrency) are gathered into one
// sampler call, so concurrency here means batch size: the CPU decodes all their rows per step.
import { existsSync, statSync } from 'node:fs';
import { AhaError } from '../util/errors.js';
import type { LoadedModel } from '../model/load-model.js';
import { loadModelOrAdapter } from '../model/adapter.js';
import { encodeChat } from '../model/tokenizer.js';
import type { ChatTemplateArgs } from '../model/chat-template.js';
import { sample, type Sample } from '../model/sampling.js';
import { setSamplingPrecision, type SamplingPrecision } from '../model/sampling-precision.js';
import type { ApiKind, GenerationRequest, GenerationResult, Generator, SamplingOptions } from './generator.js';
import { bundledPath } from '../util/paths.js';

export interface LocalOptions {
  /** Chat: the prompt is the user message of the tokenizer's chat template; completions: raw text. */
  api: ApiKind;
  system?: string;
  /** Chat API: extra variables for the tokenizer's chat template (e.g. enable_thinking). */
  chatTemplateArgs?: ChatTemplateArgs;
  /** The precision the model samples in (default f32), and the option that asked, for refusals. */
  precision?: { value: SamplingPrecision; option: string };
}

interface Pending {
  ids: Int32Array;
  req: GenerationRequest;
  sampling: SamplingOptions;
  resolve: (r: GenerationResult) => void;
  reject: (e: unknown) => void;
}

function finishReason(s: Sample): string {
  return s.finishReason === 'length' ? 'length' : 'stop';
}

export class LocalGenerator implements Generator {
  readonly description: string;
  /** The model and tokenizer it decodes with (search reuses them for its context limit and likelihood scorer). */
  readonly loaded: LoadedModel;
  private readonly opts: LocalOptions;
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(loaded: LoadedModel, opts: LocalOptions) {
    this.loaded = loaded;
    this.opts = opts;
    this.description = `local model ${loaded.dir}`;
    if (opts.api === 'chat' && loaded.tokenizer.chatTemplate === null) {
      throw new AhaError(`${loaded.dir}: the tokenizer has no chat template; use --api completions (raw prompts) for this model`);
    }
    // The generator owns its model: BF16 sampling is set once, or refused with the network's reason.
    if (opts.precision) setSamplingPrecision(loaded.model, opts.precision.value, { option: opts.precision.option, model: loaded.dir });
  }

  /** Loads a model folder (or a LoRA adapter folder, or a folder plus `adapter`), with a clear error when it is not one. */
  static open(model: string, opts: LocalOptions & { adapter?: string }): LocalGenerator {
    const dir = bundledPath(model);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new AhaError(`--model ${dir}: no such model folder (for a served model pass --endpoint URL too)`);
    return new LocalGenerator(loadModelOrAdapter(dir, opts.adapter), opts);
  }

  private encode(prompt: string): Int32Array {
    const tok = this.loaded.tokenizer;
    if (this.opts.api === 'completions') return tok.encode(prompt, { addSpecialTokens: true });
    const messages = this.opts.system ? [{ role: 'system', content: this.opts.system }] : [];
    messages.push({ role: 'user', content: prompt });
    return encodeChat(tok, messages, true, this.opts.chatTemplateArgs);
  }

  generate(req: GenerationRequest, sampling: SamplingOptions): Promise<GenerationResult> {
    return new Promise((resolve, reject) => {
      try {
        this.queue.push({ ids: this.encode(req.prompt), req, sampling, resolve, reject });
      } catch (err) {
        reject(err);
        return;
      }
      if (!this.scheduled) {
        this.scheduled = true;
        // Let every request issued in this turn of the event loop join the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.queue;
    this.queue = [];
    // One sampler call per distinct sampling options (a search asks for steps with a stop string
    // and rollouts without, or with less room left, in the same turn).
    const groups = new Map<string, Pending[]>();
    for (const p of pending) {
      const key = JSON.stringify(p.sampling);
      const g = groups.get(key);
      if (g) g.push(p);
      else groups.set(key, [p]);
    }
    for (const batch of groups.values()) this.run(batch);
  }

  private run(batch: Pending[]): void {
    const s = batch[0].sampling;
    const prompts: Int32Array[] = [];
    for (const p of batch) for (let i = 0; i < p.req.n; i++) prompts.push(p.ids);
    // Each sample's own seed when every request gives them, so batching does not change samples.
    const seeds = batch.every((p) => p.req.sampleSeeds?.length === p.req.n) ? batch.flatMap((p) => p.req.sampleSeeds!) : undefined;
    let out: Sample[];
    try {
      out = sample(this.loaded.model, prompts, {
        maxNewTokens: s.maxTokens,
        temperature: s.temperature,
        topP: s.topP,
        topK: s.topK ?? 0,
        minP: s.minP ?? 0,
        repetitionPenalty: s.repetitionPenalty ?? 1,
        stop: s.stop,
        eosIds: this.loaded.eosIds,
        tokenizer: this.loaded.tokenizer,
        seed: batch[0].req.seed ?? 0,
        seeds,
        batchSize: prompts.length,
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    let at = 0;
    for (const p of batch) {
      const mine = out.slice(at, at + p.req.n);
      at += p.req.n;
      p.resolve({
        samples: mine.map((x) => ({ text: x.text, finishReason: finishReason(x) })),
        usage: { promptTokens: p.ids.length * p.req.n, completionTokens: mine.reduce((t, x) => t + x.tokens.length, 0) },
      });
    }
  }

  async close(): Promise<void> {}
}
