// `aha generate` end to end on a tiny saved model: JSON output, seeded reproducibility, chat
// messages from a JSON Lines file, and flag errors reported before the model is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { LoraModel, parseLoraSpec } from '../../src/model/lora.js';
import { saveAdapter } from '../../src/model/adapter.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { Command } from 'commander';
import { register } from '../../src/cli/commands/generate.js';
import { tinyModel, tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const dir = tempDir('gen-cli');
const modelDir = join(dir, 'model');
saveModel(tinyModel({}, 2, 0.3), new CharTokenizer(), modelDir);

function aha(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'generate', ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('aha generate writes one JSON line per completion, reproducibly for a seed', () => {
  const input = join(dir, 'in.jsonl');
  writeFileSync(input, '{"id": "q1", "prompt": "12+30="}\n\n{"messages": [{"role": "user", "content": "2*3?"}]}\n');
  const args = ['--model', modelDir, '--input', input, '--samples', '2', '--max-tokens', '8', '--seed', '5', '--json', '--quiet'];
  const a = aha(...args);
  assert.equal(a.code, 0, a.err);
  const lines = a.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 4);
  assert.deepEqual(lines.map((l) => [l.index, l.sample]), [[0, 0], [0, 1], [1, 0], [1, 1]]);
  assert.equal(lines[0].id, 'q1');
  assert.equal(lines[2].prompt, 'user: 2*3?\nassistant: ');
  for (const l of lines) {
    assert.ok((l.tokens as number) >= 1 && (l.tokens as number) <= 8);
    assert.ok(['eos', 'length'].includes(l.finish_reason as string));
    assert.ok((l.logprob as number) < 0);
  }
  assert.equal(aha(...args).out, a.out);
});

test('aha generate --bf16 (short for --sampling-precision bf16) samples through the BF16 products, also Qwen3 on a BF16 folder with an adapter', () => {
  const base = ['--prompt', '12+30=', '--max-tokens', '8', '--temperature', '0', '--json', '--quiet'];
  /** Greedy decoding of the same prompt: BF16 products move the log-probs a little, not the argmax here. */
  const close = (args: string[]) => {
    const f32 = aha(...args, ...base);
    const bf16 = aha(...args, ...base, '--bf16');
    assert.equal(f32.code, 0, f32.err);
    assert.equal(bf16.code, 0, bf16.err);
    const [a, b] = [f32, bf16].map((r) => JSON.parse(r.out) as { completion: string; tokens: number; logprob: number });
    assert.ok(b.tokens >= 1 && Number.isFinite(b.logprob) && b.logprob < 0);
    if (a.completion === b.completion) {
      // Different (the BF16 products ran) but close.
      assert.ok(a.logprob !== b.logprob && Math.abs(a.logprob - b.logprob) < 0.1 * a.tokens, `${args.join(' ')}: ${a.logprob} vs ${b.logprob}`);
    }
  };
  close(['--model', modelDir]);
  const once = ['--model', modelDir, ...base];
  assert.equal(aha(...once, '--sampling-precision', 'bf16').out, aha(...once, '--bf16').out, '--bf16 is short for --sampling-precision bf16');
  // Qwen3 (per-head q/k norms) saved in BF16: with an adapter (--adapter, or the adapter folder as
  // --model) its base stays frozen in BF16 and the adapter applies inside the BF16 products' path.
  const qwen3 = join(dir, 'qwen3');
  saveModel(tinyModel({ model_type: 'qwen3', head_dim: 16, attention_bias: true }, 3, 0.3), new CharTokenizer(), qwen3, { dtype: 'BF16' });
  close(['--model', qwen3]);
  const adapterDir = join(dir, 'adapter');
  const lora = new LoraModel(loadModel(qwen3).model, parseLoraSpec('r=2,alpha=4'), { baseModelPath: qwen3 });
  for (const [name, t] of lora.parameters()) if (name.endsWith('lora_B.weight')) t.data.fill(0.05);
  saveAdapter(adapterDir, lora);
  close(['--model', qwen3, '--adapter', adapterDir]);
  close(['--model', adapterDir]);
});

test('aha generate refuses bad flags before loading the model', async () => {
  const cases: [string[], RegExp][] = [
    [['--prompt', 'x'], /--model <dir> is required/],
    [['--model', join(dir, 'missing'), '--prompt', 'x'], /not a model folder/],
    [['--model', modelDir], /exactly one of --prompt or --input/],
    [['--model', modelDir, '--prompt', 'x', '--temperature', 'hot'], /--temperature must be a number >= 0/],
    [['--model', modelDir, '--prompt', 'x', '--max-tokens', '0'], /--max-tokens must be an integer >= 1/],
    [['--model', modelDir, '--input', join(dir, 'none.jsonl')], /none\.jsonl: file not found/],
  ];
  // In-process (a spawn per case is slow): the command throws the AhaError main.ts prints.
  for (const [args, re] of cases) {
    const program = new Command().exitOverride();
    register(program);
    await assert.rejects(program.parseAsync(['node', 'aha', 'generate', ...args]), re, args.join(' '));
  }
});
