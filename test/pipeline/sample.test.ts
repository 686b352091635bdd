// `aha sample` as a user runs it against a served teacher (the fake OpenAI-compatible server of
// the eval tests): verified, readable, deduplicated completions with provenance; the summary by
// reason; resuming by re-running; flag errors before any request. Also the pipeline's real
// sample stage: min_kept, and teacher samples reused when only the filters change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from '../../src/cli/commands/sample.js';
import { runCommand } from '../cli/in-process.js';
import { readRecipe } from '../../src/pipeline/recipe.js';
import { readState, runPipeline } from '../../src/pipeline/runner.js';
import { STAGE_RUNNERS } from '../../src/pipeline/stages.js';
import { readJsonl } from '../../src/util/jsonl.js';
import { startFakeServer } from '../eval/fake-openai-server.js';
import { tempDir, writeLines } from '../eval/helpers.js';

/** Runs `aha sample` in this process, capturing stdout. */
const ahaSample = (args: string[]) => runCommand(register, 'sample', args);

/** Problems "What is a+b?" with their sums. */
function problemsFile(dir: string): string {
  return writeLines(join(dir, 'sums.jsonl'), [
    { id: 'p1', question: 'What is 2+3?', answer: '5' },
    { id: 'p2', question: 'What is 10+4?', answer: '14' },
    { id: 'p3', question: 'What is 7+8?', answer: '15' },
  ]);
}

/** Choice 0: a good trace; 1: the same with other whitespace; 2: wrong; 3: right but thinking in Chinese. */
function teacher(prompt: string, choice: number): string {
  const [a, b] = /What is (\d+)\+(\d+)/.exec(prompt)!.slice(1).map(Number);
  const sum = a + b;
  switch (choice % 4) {
    case 0:
      return `<think>\nI add ${a} and ${b}, which gives ${sum}.\n</think>\nThe answer is \\boxed{${sum}}.`;
    case 1:
      return `  <think>\nI add ${a} and  ${b}, which gives ${sum}.\n</think>\n\nThe answer is \\boxed{${sum}}.  `;
    case 2:
      return `<think>\nI add ${a} and ${b}, which gives ${sum + 1}.\n</think>\nThe answer is \\boxed{${sum + 1}}.`;
    default:
      return `<think>\n我们 把 ${a} 和 ${b} 相加 得到 ${sum}\n</think>\nThe answer is \\boxed{${sum}}.`;
  }
}

test('aha sample keeps verified, readable, unique completions from a served teacher, with provenance', async () => {
  const dir = tempDir();
  const server = await startFakeServer({ reply: (prompt, choice) => teacher(prompt, choice) });
  try {
    const out = join(dir, 'distill.jsonl');
    const args = ['--data', problemsFile(dir), '--endpoint', server.url, '--model', 'teacher-7b', '--samples', '4', '--samples-per-request', '4', '--out', out, '--quiet', '--json'];
    const stdout = await ahaSample(args);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.problems, 3);
    assert.equal(summary.samples, 12);
    assert.equal(summary.kept, 3);
    assert.deepEqual(summary.rejected, { duplicate: 3, incorrect: 3, language: 3 });
    assert.equal(summary.accuracy, 9 / 12);

    const rows = readJsonl(out).map((r) => r.value);
    assert.deepEqual(rows.map((r) => r.problem_id), ['p1', 'p2', 'p3']);
    const first = rows[0];
    assert.equal(first.completion, teacher('What is 2+3?', 0));
    assert.match(first.prompt as string, /^What is 2\+3\?\nPlease reason step by step/);
    assert.equal(first.source, `${server.url} teacher-7b`);
    assert.equal(first.sample, 0);
    assert.equal(first.reward, 1);
    assert.equal(first.answer, '5');
    assert.deepEqual(first.filters_passed, ['language', 'tags', 'length', 'repetition', 'paragraphs', 'code']);
    assert.ok(!Number.isNaN(Date.parse(first.created_at as string)));
    const requests = server.requests.length;

    // Re-running resumes from the raw samples file: nothing is asked again, the same data set results.
    await ahaSample(args);
    assert.equal(server.requests.length, requests);
    assert.deepEqual(readJsonl(out).map((r) => r.value.completion), rows.map((r) => r.completion));

    // Keeping wrong answers too, and turning the language filter off, with more samples: only the new ones are generated.
    const more = await ahaSample([...args.filter((a) => a !== '4'), '--samples', '8', '--samples-per-request', '4', '--keep', 'all', '--filters', 'tags,length']);
    const s2 = JSON.parse(more.trim().split('\n').at(-1)!);
    assert.equal(s2.generated, 12);
    assert.equal(s2.resumed, 12);
    // Per problem: unique texts are choices 0, 2 and 3 (the repeats of the second request are duplicates).
    assert.equal(s2.kept, 9);
    assert.equal(s2.rejected.duplicate, 15);
    const summaryFile = JSON.parse(readFileSync(join(dir, 'distill.summary.json'), 'utf8'));
    assert.deepEqual(summaryFile.filters, ['tags', 'length']);
    assert.equal(summaryFile.keep, 'all');
  } finally {
    await server.close();
  }
});

test('aha sample names bad flags before any request', async () => {
  const dir = tempDir();
  const data = problemsFile(dir);
  const base = ['--data', data, '--endpoint', 'http://127.0.0.1:9', '--model', 'm', '--out', join(dir, 'x.jsonl')];
  await assert.rejects(ahaSample(['--model', 'm']), /--data is required/);
  await assert.rejects(ahaSample([...base, '--filters', 'language,spelling']), /--filters: unknown filter "spelling"/);
  await assert.rejects(ahaSample([...base, '--min-language', '2']), /--min-language: must be between 0 and 1, got 2/);
  await assert.rejects(ahaSample([...base, '--samples', 'lots']), /--samples: must be an integer, got "lots"/);
  await assert.rejects(ahaSample([...base, '--min-chars', '50', '--max-chars', '20']), /--max-chars: must be at least min_chars/);
  await assert.rejects(ahaSample(['--data', join(dir, 'nope.jsonl'), '--model', 'm']), /--data .*nope\.jsonl: no such file, and not a task or bundled benchmark/);
  // --out naming a data file aha sample did not write (here the problems themselves) is refused, not overwritten at the end.
  await assert.rejects(ahaSample([...base.slice(0, -1), data]), /--out .*sums\.jsonl already exists and was not written by aha sample/);
  assert.equal(readFileSync(data, 'utf8').split('\n').filter(Boolean).length, 3);
});

test('aha sample reads other field names of a data file like aha eval does', async () => {
  const dir = tempDir();
  const data = writeLines(join(dir, 'other.jsonl'), [
    { key: 'a', text: 'What is 1+1?', gold: 2 },
    { key: 'b', text: 'What is 2+2?', gold: 4 },
  ]);
  const server = await startFakeServer({ reply: (prompt) => teacher(prompt, 0) });
  try {
    const out = join(dir, 'o.jsonl');
    await ahaSample(['--data', data, '--endpoint', server.url, '--model', 't', '--samples', '1', '--out', out, '--quiet', '--problem-field', 'text', '--answer-field', 'gold', '--id-field', 'key']);
    assert.deepEqual(readJsonl(out).map((r) => [r.value.problem_id, r.value.gold, r.value.reward]), [['a', '2', 1], ['b', '4', 1]]);
  } finally {
    await server.close();
  }
});

test('a pipeline sample stage that keeps too little fails; loosening its filters reuses the teacher samples', async () => {
  const dir = tempDir();
  const data = problemsFile(dir);
  const server = await startFakeServer({ reply: (prompt, choice) => teacher(prompt, choice + 2) });
  const recipe = (extra: string) =>
    readRecipe(
      writeLines(join(dir, 'r.yaml'), [`name: d\nstages:\n  - name: traces\n    kind: sample\n    config: { model: teacher, endpoint: "${server.url}", data: ${data}, samples: 2, samples_per_request: 2${extra} }`]),
      { runDir: join(dir, 'runs') },
    );
  const log = () => {};
  try {
    // Choices 2 (wrong) and 3 (right, Chinese thinking): nothing passes.
    await assert.rejects(runPipeline({ recipe: recipe(''), runners: STAGE_RUNNERS, quiet: true, log }), /stage "traces" \(sample\) failed: kept 0 of 6 completions, fewer than min_kept 1 \(verifier accuracy 50\.0%\)/);
    const asked = server.requests.length;
    assert.equal(asked, 3);
    const r = await runPipeline({ recipe: recipe(', filters: [tags, length]'), runners: STAGE_RUNNERS, quiet: true, log });
    assert.deepEqual(r.ran, ['traces']);
    assert.equal(server.requests.length, asked);
    const st = readState(join(dir, 'runs'))!.stages[0];
    assert.equal(st.status, 'done');
    assert.equal(st.metrics.kept, 3);
    assert.deepEqual(st.metrics.rejected, { incorrect: 3 });
    // Other sampling settings (temperature) make new samples.
    await runPipeline({ recipe: recipe(', filters: [tags, length], temperature: 0.2'), runners: STAGE_RUNNERS, quiet: true, log, from: 'traces' });
    assert.equal(server.requests.length, asked + 3);
  } finally {
    await server.close();
  }
});

test('a reasoning teacher\'s thinking is kept in the data, whether a reasoning parser split it off or its template opened the block', async () => {
  const dir = tempDir();
  const sum = (prompt: string) => /What is (\d+)\+(\d+)/.exec(prompt)!.slice(1).map(Number).reduce((a, b) => a + b, 0);
  const thinking = (prompt: string) => `I add the two numbers: ${sum(prompt)}.`;
  // vLLM with --reasoning-parser: the content is the answer, the thinking comes as reasoning_content.
  const parsed = await startFakeServer({ reply: (prompt) => `The answer is \\boxed{${sum(prompt)}}.`, reasoning: (prompt) => `\n${thinking(prompt)}\n` });
  // No parser, and R1-Distill's template ends the prompt with "<think>\n": the text starts inside the block.
  const prefilled = await startFakeServer({ reply: (prompt) => `${thinking(prompt)}\n</think>\n\nThe answer is \\boxed{${sum(prompt)}}.` });
  try {
    for (const [name, server] of [['parsed', parsed], ['prefilled', prefilled]] as const) {
      const out = join(dir, `${name}.jsonl`);
      const summary = JSON.parse((await ahaSample(['--data', problemsFile(dir), '--endpoint', server.url, '--model', 'r1-distill', '--samples', '1', '--out', out, '--quiet', '--json'])).trim().split('\n').at(-1)!);
      assert.equal(summary.kept, 3, `${name}: ${JSON.stringify(summary.rejected)}`);
      const first = readJsonl(out)[0].value;
      assert.equal(first.completion, '<think>\nI add the two numbers: 5.\n</think>\n\nThe answer is \\boxed{5}.', name);
      assert.ok((first.filters_passed as string[]).includes('tags'), name);
    }
  } finally {
    await parsed.close();
    await prefilled.close();
  }
});
