// `npm run bench:grpo`: seconds per GRPO step and where the time goes (sampling, scoring,
// reference and old-policy log-probs, training) on the demo model, the arithmetic task and its
// default rewards. Two configurations run side by side in the same process, R1-Zero style with a
// KL term (beta 0.04, a reference model) and the TRL default (beta 0, none), reported as ratios.
// Uses models/aha-tiny-base when it exists, else a random model of the demo size (say which).
// Flags: --steps N (timed steps per configuration, default 2), --json (last line machine-readable).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInfo, getNumThreads } from '../src/core/index.js';
import { CharTokenizer } from '../src/model/char-tokenizer.js';
import { saveModel } from '../src/model/load-model.js';
import { createTransformer } from '../src/model/transformer.js';
import { DEFAULT_CONFIG, type GrpoConfig } from '../src/rl/config.js';
import { BUNDLED_MODEL } from '../src/rl/config.js';
import { prepareGrpo } from '../src/rl/setup.js';
import { runGrpo } from '../src/rl/trainer.js';
import { packageRoot } from '../src/util/paths.js';
import { benchArgs } from './lib/args.js';

const args = benchArgs('bench:grpo', ['--steps'], ['--json']);
const steps = args.int('--steps', 2);
const json = args.has('--json');

const PHASES = ['time/sampling', 'time/scoring', 'time/reference', 'time/training'] as const;

function demoModel(scratch: string): { dir: string; label: string } {
  const bundled = join(packageRoot(), BUNDLED_MODEL);
  if (existsSync(join(bundled, 'config.json'))) return { dir: bundled, label: `bundled ${BUNDLED_MODEL}` };
  // Same shape as the planned demo model: character-level, d=256, 4 layers, about 3M parameters.
  const tok = new CharTokenizer();
  const dir = join(scratch, 'random-demo');
  const model = createTransformer({
    model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4,
    num_attention_heads: 4, num_key_value_heads: 4, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 10000,
    tie_word_embeddings: true, bos_token_id: tok.bosId, eos_token_id: tok.eosId,
  }, { seed: 1 });
  saveModel(model, tok, dir);
  return { dir, label: 'random-init model of the demo size (models/aha-tiny-base not built yet)' };
}

async function measure(name: string, over: Partial<GrpoConfig>, modelDir: string, scratch: string): Promise<Record<string, number>> {
  const config: GrpoConfig = {
    ...DEFAULT_CONFIG, model: modelDir, task: 'arithmetic', output_dir: join(scratch, name), max_steps: steps + 1,
    prompts_per_step: 4, num_generations: 8, max_completion_length: 128, save_steps: 0, log_completions_steps: 0, ...over,
  };
  const run = prepareGrpo(config, { quiet: true });
  const lines: Record<string, number>[] = [];
  await runGrpo({ ...run, onStep: (m) => lines.push(m) });
  const timed = lines.slice(1); // the first step warms caches and the allocator up
  const mean = (k: string) => timed.reduce((s, m) => s + (m[k] ?? 0), 0) / timed.length;
  const out: Record<string, number> = { seconds_per_step: mean('seconds_per_step') };
  for (const p of PHASES) out[p] = mean(p);
  out['tokens_per_s/sampling'] = mean('tokens_per_s/sampling');
  out['tokens_per_s/training'] = mean('tokens_per_s/training');
  out['completion_length/mean'] = mean('completion_length/mean');
  return out;
}

const scratch = mkdtempSync(join(tmpdir(), 'aha-bench-grpo-'));
try {
  const { dir, label } = demoModel(scratch);
  const info = buildInfo();
  console.log(`GRPO step on ${label}; arithmetic task, 4 prompts x G=8, max 128 new tokens; ${getNumThreads()} threads, gemm ${info.gemm}; ${steps} timed steps after 1 warm-up`);
  const withKl = await measure('beta0.04', { beta: 0.04 }, dir, scratch);
  const noKl = await measure('beta0', { beta: 0 }, dir, scratch);
  const rows: [string, string][] = [['seconds_per_step', 's/step'], ...PHASES.map((p): [string, string] => [p, p.replace('time/', '')]), ['tokens_per_s/sampling', 'sampling tok/s'], ['tokens_per_s/training', 'training tok/s'], ['completion_length/mean', 'mean completion length']];
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(3));
  console.log(`\n${'metric'.padEnd(24)}${'beta=0.04'.padStart(12)}${'share'.padStart(8)}${'beta=0'.padStart(12)}${'share'.padStart(8)}${'ratio'.padStart(8)}`);
  for (const [k, labelK] of rows) {
    const share = (m: Record<string, number>) => (k.startsWith('time/') ? `${((100 * m[k]) / m.seconds_per_step).toFixed(0)}%` : '');
    // A phase that takes under 10 ms in the peer has no meaningful ratio.
    const ratio = noKl[k] > (k.startsWith('time/') ? 0.01 : 0) ? (withKl[k] / noKl[k]).toFixed(2) : '-';
    console.log(`${labelK.padEnd(24)}${fmt(withKl[k]).padStart(12)}${share(withKl).padStart(8)}${fmt(noKl[k]).padStart(12)}${share(noKl).padStart(8)}${ratio.padStart(8)}`);
  }
  console.log('\nratio = beta 0.04 / beta 0 (the reference model\'s forward passes are the "reference" phase)');
  if (json) console.log(JSON.stringify({ model: label, threads: getNumThreads(), beta_0_04: withKl, beta_0: noKl }));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
