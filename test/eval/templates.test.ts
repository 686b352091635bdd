// Prompt templates: named ones, files, the {problem} placeholder, defaults per format and API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { defaultTemplateName, renderPrompt, resolveTemplate } from '../../src/eval/templates.js';
import { tempDir } from './helpers.js';

test('the math template is the R1 evaluation instruction', () => {
  assert.equal(renderPrompt(resolveTemplate('math'), 'What is 2+2?'), 'What is 2+2?\nPlease reason step by step, and put your final answer within \\boxed{}.');
  assert.match(renderPrompt(resolveTemplate('r1-zero'), 'Q'), /<think> reasoning process here <\/think> <answer> answer here <\/answer>\. User: Q\. Assistant:$/);
});

test('the aha template is the frame aha train gives a data file\'s question, so a checkpoint is evaluated on its training prompt', async () => {
  const { frame } = await import('../../src/tasks/task.js');
  assert.equal(renderPrompt(resolveTemplate('aha'), 'Compute 2+3.'), frame('Compute 2+3.'));
  assert.equal(renderPrompt(resolveTemplate('aha'), 'Q'), 'User: Q Think in <think> </think>, then answer in <answer> </answer>.\nAssistant: ');
});

test('a template file is read; every {problem} is filled; no placeholder is an error', () => {
  const dir = tempDir();
  const good = join(dir, 'good.txt');
  writeFileSync(good, 'Q: {problem}\nAgain: {problem}\nA:');
  assert.equal(renderPrompt(resolveTemplate(good), 'x'), 'Q: x\nAgain: x\nA:');
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, 'no placeholder');
  assert.throws(() => resolveTemplate(bad), /has no \{problem\} placeholder/);
});

test('defaults follow the format and the API', () => {
  assert.equal(defaultTemplateName('math', 'chat'), 'math');
  assert.equal(defaultTemplateName('math', 'completions'), 'math');
  assert.equal(defaultTemplateName('humaneval', 'chat'), 'code');
  assert.equal(defaultTemplateName('humaneval', 'completions'), 'raw');
  assert.equal(defaultTemplateName('mbpp', 'chat'), 'mbpp');
});
