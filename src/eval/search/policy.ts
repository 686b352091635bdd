// The policy a search strategy samples from: any evaluation Generator (aha's local model or an
// OpenAI-compatible server) on the completions API, where the prompt is raw text, so a partial
// completion can be continued by appending it to the prompt. Every continuation is its own
// request with its own seed (the local generator still decodes the requests of one turn
// together), which gives exact per-sample token counts and repeatable samples.
import { AhaError } from '../../util/errors.js';
import type { Generator, SamplingOptions } from '../generator.js';

export interface Continuation {
  /** The new text (cut before a stop string, as the generator reports it). */
  text: string;
  /** Completion tokens the generator spent on it. */
  tokens: number;
  /** "length" when it hit the token limit. */
  truncated: boolean;
}

export interface ContinueOptions {
  /** Strings that end the continuation (a step separator). */
  stop?: readonly string[];
  maxTokens: number;
  /** Overrides the policy's temperature (0: greedy, for lookahead rollouts). */
  temperature?: number;
}

/** Counts the tokens one problem's search spends, and refuses work past a token budget. */
export class TokenMeter {
  generated = 0;
  /** Tokens spent by a scorer's own rollouts (the Monte Carlo PRM), kept apart from the budget. */
  scorer = 0;
  constructor(readonly limit: number = Infinity) {}
  get exhausted(): boolean {
    return this.generated >= this.limit;
  }
}

/** A local model's context: how many tokens a text takes (as the generator encodes it) and how many fit. */
export interface ContextLimit {
  countTokens(text: string): number;
  contextTokens: number;
}

export class Policy {
  constructor(
    private readonly generator: Generator,
    private readonly sampling: SamplingOptions,
    private readonly seed: number,
    private readonly context?: ContextLimit,
  ) {}

  get description(): string {
    return this.generator.description;
  }

  /** The longest completion a strategy may build. */
  get maxTokens(): number {
    return this.sampling.maxTokens;
  }

  /**
   * One continuation of `prompt + prefix` per entry of `seeds` (each seed makes its sample
   * repeatable), all requested at once so a local model decodes them as one batch.
   */
  async continueText(prompt: string, prefix: string, seeds: readonly number[], opts: ContinueOptions): Promise<Continuation[]> {
    // A long prefix (a revision's earlier answers, a deep beam) leaves less room in a small
    // model's context: the continuation is cut there, as a truncated one.
    const room = this.context ? this.context.contextTokens - this.context.countTokens(prompt + prefix) : Infinity;
    const maxTokens = Math.min(opts.maxTokens, room);
    if (maxTokens < 1) return seeds.map(() => ({ text: '', tokens: 0, truncated: true }));
    const sampling: SamplingOptions = { ...this.sampling, maxTokens };
    if (opts.temperature !== undefined) sampling.temperature = opts.temperature;
    if (opts.stop !== undefined) sampling.stop = [...opts.stop];
    return Promise.all(
      seeds.map(async (s) => {
        const seed = (this.seed * 1_000_003 + s) % 2 ** 31;
        const r = await this.generator.generate({ prompt: prompt + prefix, n: 1, seed, sampleSeeds: [seed] }, sampling);
        const out = r.samples[0];
        if (!out) throw new AhaError(`${this.generator.description}: returned no sample for a request`);
        return { text: out.text, tokens: r.usage.completionTokens, truncated: out.finishReason === 'length' };
      }),
    );
  }
}

/** A stable 31-bit seed from the parts naming one sample (problem, strategy, round, index). */
export function seedOf(...parts: readonly (string | number)[]): number {
  // FNV-1a over the joined parts: distinct names give unrelated seeds, the same name the same one.
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}
