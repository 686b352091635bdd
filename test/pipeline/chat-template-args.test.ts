// Chat-template variables in the pipeline and `aha sample`: a stage's chat_template_kwargs is a
// YAML mapping, checked with every other option (errors name the stage, the field and its line),
// rendered into the local model's chat prompt, and recorded in the samples file's settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecipe } from '../../src/pipeline/recipe.js';
import { evalConfig, sftConfig } from '../../src/pipeline/configs.js';
import { rawSamplesFile } from '../../src/pipeline/rejection-sampling.js';
import { STAGE_RUNNERS } from '../../src/pipeline/stages.js';
import { outputPaths, readSamples } from '../../src/eval/output.js';
import { register } from '../../src/cli/commands/sample.js';
import { runCommand } from '../cli/in-process.js';
import { thinkTemplateFolder } from '../model/helpers.js';
import { fakeModelDir, tempDir } from './helpers.js';

const dir = tempDir();
const model = fakeModelDir(dir);
const check = (yaml: string) => parseRecipe(yaml, 'r.yaml', { runDir: join(dir, 'runs') });
const stage = (name: string, kind: string, config: string) => `  - name: ${name}\n    kind: ${kind}\n    config:\n${config.split('\n').map((l) => '      ' + l).join('\n')}\n`;
const recipe = (kind: string, config: string) => `name: x\nstages:\n${stage('s', kind, config)}`;

test('a stage\'s chat_template_kwargs is a mapping, checked per entry with the stage, field and line named', () => {
  const ok = check(recipe('sample', `model: ${model}\ndata: arithmetic\napi: chat\nchat_template_kwargs:\n  enable_thinking: false\n  budget: 3`));
  assert.deepEqual(ok.stages[0].config.chat_template_kwargs, { enable_thinking: false, budget: 3 });
  const refusals: [string, string, RegExp][] = [
    ['sample', `model: ${model}\ndata: arithmetic\napi: chat\nchat_template_kwargs: enable_thinking=false`, /^InputError: r\.yaml:9: stage "s", field "chat_template_kwargs": must be a mapping of names to values, got "enable_thinking=false"/],
    ['sample', `model: ${model}\ndata: arithmetic\napi: chat\nchat_template_kwargs:\n  budget: 3\n  enable_thinking: [false]`, /^InputError: r\.yaml:11: stage "s", field "chat_template_kwargs\.enable_thinking": must be a string, number, boolean or null, got \[false\]/],
    ['eval', `model: ${model}\ndata: arithmetic\napi: chat\nchat_template_kwargs:\n  messages: none`, /r\.yaml:9: stage "s", field "chat_template_kwargs": "messages" is set by aha itself/],
    ['sample', `model: ${model}\ndata: arithmetic\nchat_template_kwargs:\n  enable_thinking: false`, /stage "s", field "chat_template_kwargs": applies to api chat: with api completions \(the default for a model folder\) no chat template is rendered/],
    ['sft', `model: ${model}\ndata: d.jsonl\nchat_template_kwargs:\n  tools: 1`, /stage "s", field "chat_template_kwargs": "tools" is set by aha itself/],
    ['grpo', `model: ${model}\ndata: d.jsonl\nchat_template_kwargs:\n  think: [1]`, /r\.yaml:9: stage "s", field "chat_template_kwargs\.think": must be a string, number, boolean or null/],
    ['grpo', `model: ${model}\ntask: arithmetic\nchat_template_kwargs:\n  think: true`, /stage "s", field "chat_template_kwargs": chat_template_kwargs: a task's prompts are text/],
  ];
  for (const [kind, config, message] of refusals) assert.throws(() => check(recipe(kind, config)), message);
  // The sft and eval stages carry them to their runs.
  assert.deepEqual(sftConfig({ model, data: 'd.jsonl', chat_template_kwargs: { think: true } }).options.chatTemplateArgs, { think: true });
  assert.deepEqual(evalConfig({ model, data: 'arithmetic', api: 'chat', chat_template_kwargs: { think: true } }).chatTemplateArgs, { think: true });
});

test('aha sample --chat-template-arg renders the variable into the local chat prompt and records it with the samples', async () => {
  const folder = thinkTemplateFolder(join(tempDir(), 'model'));
  const promptTokens = async (extra: string[]) => {
    const out = join(tempDir(), 'rs.jsonl');
    await runCommand(register, 'sample', ['--data', 'arithmetic', '--count', '2', '--model', folder, '--api', 'chat', '--samples', '1', '--max-tokens', '2', '--keep', 'all', '--filters', 'none', '--out', out, '--quiet', ...extra]);
    const settings = JSON.parse(readFileSync(outputPaths(rawSamplesFile(out)).settings, 'utf8')) as Record<string, unknown>;
    const tokens = [...readSamples(rawSamplesFile(out)).values()].map((m) => m.get(0)!.usage.prompt_tokens);
    return { settings, tokens };
  };
  const plain = await promptTokens([]);
  const think = await promptTokens(['--chat-template-arg', 'think=true']);
  assert.deepEqual(think.tokens, plain.tokens.map((n) => n + 1), 'the template wrote its one extra character');
  assert.equal(plain.settings.chat_template_args, undefined, 'no variables, nothing recorded (older samples files resume as they were)');
  assert.equal(think.settings.chat_template_args, '{"think":true}');
  await assert.rejects(runCommand(register, 'sample', ['--data', 'arithmetic', '--model', folder, '--chat-template-arg', 'think=true']), /^AhaError: --chat-template-arg: applies to api chat/);
  await assert.rejects(runCommand(register, 'sample', ['--data', 'arithmetic', '--model', folder, '--api', 'chat', '--chat-template-arg', 'tools=1']), /--chat-template-arg: "tools" is set by aha itself/);
});

test('the eval and sft stages run with the stage\'s variables: the eval samples record them and the prompt grows by the template\'s mark; the sft run records them', async () => {
  const folder = thinkTemplateFolder(join(tempDir(), 'model'));
  const evalStage = async (args: Record<string, unknown>) => {
    const dir = join(tempDir(), 'eval');
    const config = { model: folder, data: 'arithmetic', count: 2, samples: 1, max_tokens: 2, api: 'chat', ...args };
    const out = await STAGE_RUNNERS.eval({ name: 'e', kind: 'eval', config, dir, resume: false, quiet: true, log: () => {} });
    const settings = JSON.parse(readFileSync(outputPaths(out.output).settings, 'utf8')) as Record<string, unknown>;
    return { settings, tokens: [...readSamples(out.output).values()].map((m) => m.get(0)!.usage.prompt_tokens) };
  };
  const plain = await evalStage({});
  const think = await evalStage({ chat_template_kwargs: { think: true } });
  assert.deepEqual(think.tokens, plain.tokens.map((n) => n + 1));
  assert.equal(think.settings.chat_template_args, '{"think":true}');
  const data = join(tempDir(), 'chat.jsonl');
  writeFileSync(data, `${JSON.stringify({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] })}\n`.repeat(3));
  const dir = join(tempDir(), 'sft');
  await STAGE_RUNNERS.sft({ name: 's', kind: 'sft', config: { model: folder, data, steps: 1, batch_size: 2, eval_fraction: 0, chat_template_kwargs: { think: true } }, dir, resume: false, quiet: true, log: () => {} });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).chatTemplateArgs, { think: true });
});
