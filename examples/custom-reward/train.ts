// GRPO on your own JSON Lines data with a reward written in TypeScript, beside built-in rewards.
//
//   npx tsx examples/custom-reward/train.ts --steps 2 --output runs/custom-reward
//
// data.jsonl holds sums: {"question": "Compute 29+60+93.", "answer": "182"}. The model is the
// bundled 0.86M-parameter base model (no `model` given), so this runs in seconds on a CPU.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { GRPOTrainer, defineReward, lastAnswer, type Example } from 'aha';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '20' }, output: { type: 'string', default: 'runs/custom-reward' } } });

/**
 * Partial credit for a near miss: 1 / (1 + |answer - gold|), so 182 for 182 scores 1 and 181
 * scores 0.5. A completion without a numeric <answer> scores 0; an example without a gold
 * answer is declined (null), as TRL reward functions return None.
 */
const closeness = defineReward('closeness', (completions: string[], examples: Example[]) =>
  completions.map((completion, i) => {
    const gold = Number(examples[i].gold);
    if (examples[i].gold === undefined || !Number.isFinite(gold)) return null;
    const answer = Number(lastAnswer(completion) ?? NaN);
    return Number.isFinite(answer) ? 1 / (1 + Math.abs(answer - gold)) : 0;
  }),
);

const trainer = new GRPOTrainer({
  train_dataset: fileURLToPath(new URL('data.jsonl', import.meta.url)),
  // Built-in rewards by name, and ours (by name too: defineReward registered it).
  reward_funcs: ['accuracy', closeness, 'format_lenient'],
  args: {
    output_dir: values.output,
    max_steps: Number(values.steps),
    num_generations: 4,
    per_device_train_batch_size: 8, // completions per step: 2 prompts x 4
    reward_weights: [1, 0.5, 0.2],
    max_completion_length: 64,
    learning_rate: 1e-4,
    save_steps: 0,
    disable_tqdm: true,
  },
  callbacks: [
    {
      onLog(metrics, step) {
        const f = (k: string) => metrics[k]?.toFixed(3) ?? '-';
        console.log(`step ${step}: reward ${f('reward/mean')}, closeness ${f('reward/closeness/mean')}, accuracy ${f('accuracy')}`);
      },
    },
  ],
});

const out = await trainer.train();
console.log(`done: ${out.global_step} steps; checkpoint ${out.checkpoint_dir}`);
