// The outside tester's cases: tiny folders shaped like Qwen2.5-Instruct, Qwen3, Llama-3.2 (base
// and Instruct), Mistral-7B-Instruct v0.3, R1-Distill-Qwen and R1-Distill-Llama, each as the Hub
// publishes it (transformers 4) and as transformers 5 saves it again (test/model/real-folders.ts),
// run through what a user runs: loading, the tokenizer on special tokens / Unicode / byte fallback,
// the chat template (compared with strings rendered by Python's Jinja2 3.1.6 in transformers'
// environment: trim_blocks, lstrip_blocks, loop controls, tools=None), EOS ids from
// generation_config.json ending generation, saving, and `aha generate --chat`, `aha eval`,
// `aha train --lora`, `aha merge` end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { encodeChat } from '../../src/model/tokenizer.js';
import { parseChatTemplateArg, renderChatTemplate } from '../../src/model/chat-template.js';
import { headDim, readModelConfig } from '../../src/model/config-json.js';
import { readSafetensorsHeader } from '../../src/model/safetensors.js';
import { sample } from '../../src/model/sampling.js';
import { loadModelOrAdapter } from '../../src/model/adapter.js';
import { addTokensToFolder } from '../../src/model/added-tokens.js';
import { logitsOf, tempDir } from './helpers.js';
import { REAL_FAMILIES, writeRealFolder, type RealFamily, type RealFolder, type Saver } from './real-folders.js';
import { QWEN25_DEFAULT_SYSTEM, QWEN3_TEMPLATE_WITH_GENERATION_TAGS } from './real-templates.js';

const root = tempDir('real-folders');
const made = new Map<string, RealFolder>();
function folder(family: RealFamily, saver: Saver): RealFolder {
  const key = `${family}-${saver}`;
  if (!made.has(key)) made.set(key, writeRealFolder(join(root, key), family, saver));
  return made.get(key)!;
}

const QUESTION = [{ role: 'user', content: 'What is 12+30?' }];

test('each family loads alike from its Hub folder and its transformers 5 re-save: family fields, EOS ids, identical logits', () => {
  for (const family of REAL_FAMILIES) {
    const hub = loadModel(folder(family, 'transformers-4').dir);
    const v5 = loadModel(folder(family, 'transformers-5').dir);
    // Only the saver's own fields may differ (transformers 5 writes head_dim where the Hub's Qwen2 config leaves it implied).
    const strip = (c: typeof hub.config) => ({ ...c, generation_config: undefined, torch_dtype: undefined, head_dim: headDim(c) });
    assert.deepEqual(strip(v5.config), strip(hub.config), family);
    const ids = encodeChat(hub.tokenizer, QUESTION);
    assert.deepEqual(encodeChat(v5.tokenizer, QUESTION), ids, `${family}: the two savers tokenize the prompt alike`);
    const logits = logitsOf(hub.model, ids);
    assert.ok(logits.every(Number.isFinite), family);
    assert.ok(Math.max(...logits) - Math.min(...logits) > 1, `${family}: logits carry signal`);
    assert.deepEqual(logitsOf(v5.model, ids), logits, `${family}: the two savers give different logits`);
    const f = folder(family, 'transformers-5');
    assert.deepEqual(new Set(v5.eosIds), new Set([...f.eos, v5.tokenizer.eosId!]), `${family}: EOS ids`);
    assert.deepEqual(new Set(hub.eosIds), new Set(v5.eosIds), family);
  }
  const cfg = (family: RealFamily) => loadModel(folder(family, 'transformers-5').dir).config;
  const q25 = cfg('qwen2.5-instruct');
  assert.deepEqual([q25.attention_bias, q25.tie_word_embeddings, q25.rope_theta, q25.sliding_window], [true, true, 1000000, undefined]);
  assert.deepEqual([cfg('qwen3').head_dim, cfg('qwen3').hidden_size / cfg('qwen3').num_attention_heads], [16, 8]);
  assert.equal(cfg('llama-3.2-instruct').rope_scaling?.rope_type, 'llama3');
  assert.deepEqual([cfg('r1-distill-qwen').tie_word_embeddings, cfg('r1-distill-qwen').rope_theta], [false, 10000]);
  assert.equal(cfg('mistral-instruct').sliding_window, null);
});

test('tokenizers round-trip text with special tokens, Unicode and byte fallback, and decode across special tokens', () => {
  const text = 'Hello, the answer is 123!\n\tdone: é 中文 😀 x=1';
  for (const family of REAL_FAMILIES) {
    const f = folder(family, 'transformers-5');
    const tok = loadModel(f.dir).tokenizer;
    const hubTok = loadModel(folder(family, 'transformers-4').dir).tokenizer;
    const eos = f.specials.eos;
    const full = `${text}${eos}${text}`;
    const ids = tok.encode(full, { addSpecialTokens: false });
    assert.deepEqual(hubTok.encode(full, { addSpecialTokens: false }), ids, family);
    assert.equal(ids.filter((id) => id === tok.eosId).length, 1, `${family}: ${eos} is one id`);
    assert.equal(tok.decode(ids, { skipSpecialTokens: false }), full, family);
    assert.equal(tok.decode(ids), text + text, `${family}: special tokens dropped by default`);
    const at = ids.indexOf(tok.eosId!);
    assert.equal(tok.decode(ids.subarray(0, at)) + tok.decode(ids.subarray(at + 1)), text + text, `${family}: decoding pieces around the EOS`);
    assert.equal(tok.decode([]), '');
  }
  // Reasoning tags are single, non-special tokens: kept in completions so format rewards see them.
  for (const family of ['qwen3', 'r1-distill-qwen', 'r1-distill-llama'] as const) {
    const tok = loadModel(folder(family, 'transformers-5').dir).tokenizer;
    const ids = tok.encode('<think>\nplan\n</think>\n\n42', { addSpecialTokens: false });
    assert.equal(ids[0], tok.tokenToId('<think>'), family);
    assert.ok(ids.includes(tok.tokenToId('</think>')!), family);
    assert.equal(tok.decode(ids), '<think>\nplan\n</think>\n\n42', family);
  }
  // Mistral: characters outside the vocabulary become their UTF-8 bytes, and decode back.
  const mistral = loadModel(folder('mistral-instruct', 'transformers-5').dir).tokenizer;
  const bytes = (s: string) => [...new TextEncoder().encode(s)].map((b) => mistral.tokenToId(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
  assert.deepEqual([...mistral.encode('é😀', { addSpecialTokens: false })], [mistral.tokenToId('▁'), ...bytes('é😀')]);
  assert.equal(mistral.decode(mistral.encode('é😀 a', { addSpecialTokens: false })), 'é😀 a');
});

test('decode keeps the spaces a BPE tokenizer encoded, though Llama 3 sets clean_up_tokenization_spaces (as transformers 5.7+ and vLLM decode)', () => {
  const text = 'x != y , so it \'s 3 . Right ?';
  for (const family of ['llama-3.2-instruct', 'qwen3'] as const) {
    for (const saver of ['transformers-4', 'transformers-5'] as const) {
      const tok = loadModel(folder(family, saver).dir).tokenizer;
      assert.equal(tok.decode(tok.encode(text, { addSpecialTokens: false })), text, `${family} ${saver}`);
    }
  }
  // transformers' escape hatch applies the clean-up to BPE anyway; a non-boolean value is refused by name.
  const f = folder('llama-3.2-instruct', 'transformers-5');
  const cfgFile = join(f.dir, 'tokenizer_config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  const forced = `${f.dir}-forced`;
  cpSync(f.dir, forced, { recursive: true });
  writeFileSync(join(forced, 'tokenizer_config.json'), JSON.stringify({ ...cfg, clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output: true }));
  const tok = loadModel(forced).tokenizer;
  assert.equal(tok.decode(tok.encode(text, { addSpecialTokens: false })), 'x!= y, so it\'s 3. Right?');
  writeFileSync(join(forced, 'tokenizer_config.json'), JSON.stringify({ ...cfg, clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output: 'yes' }));
  assert.throws(() => loadModel(forced), /field "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output": must be true or false/);
});

test('encode gives the ids the Rust tokenizers library gives for each family (with special tokens)', () => {
  // Produced by Hugging Face tokenizers 0.22 (Rust) from the same tokenizer.json files; the same
  // check over 23 harder texts, both special-token settings and decode, found no difference.
  const text = "Don't stop: 12345 é中😀\n\n  x<think>\n</think>";
  const rust: Record<RealFamily, number[]> = {
    'qwen2.5-instruct': [68,  111,  110,  39,  116,  32,  115,  116,  111,  112,  58,  32,  49,  50,  51,  52,  53,  32,  195,  169,  228,  184,  173,  240,  159,  152,  128,  265,  32,  32,  120,  60,  116,  104,  259,  107,  62,  10,  60,  47,  116,  104,  259,  107,  62],
    'qwen3': [68,  111,  110,  39,  116,  32,  115,  116,  111,  112,  58,  32,  49,  50,  51,  52,  53,  32,  195,  169,  228,  184,  173,  240,  159,  152,  128,  265,  32,  32,  120,  292,  10,  293],
    'llama-3.2': [268,  68,  111,  110,  39,  116,  32,  115,  116,  111,  112,  58,  32,  262,  52,  53,  32,  195,  169,  228,  184,  173,  240,  159,  152,  128,  265,  32,  32,  120,  60,  116,  104,  259,  107,  62,  10,  60,  47,  116,  104,  259,  107,  62],
    'llama-3.2-instruct': [268,  68,  111,  110,  39,  116,  32,  115,  116,  111,  112,  58,  32,  262,  52,  53,  32,  195,  169,  228,  184,  173,  240,  159,  152,  128,  265,  32,  32,  120,  60,  116,  104,  259,  107,  62,  10,  60,  47,  116,  104,  259,  107,  62],
    'mistral-instruct': [1,  266,  302,  345,  344,  273,  350,  266,  349,  350,  345,  346,  292,  266,  366,  285,  286,  287,  266,  205,  179,  238,  194,  183,  250,  169,  162,  138,  20,  20,  266,  266,  354,  294,  350,  338,  364,  341,  296,  20,  294,  281,  350,  338,  364,  341,  296],
    'r1-distill-qwen': [271,  68,  111,  110,  39,  116,  32,  115,  116,  111,  112,  58,  32,  49,  50,  51,  52,  53,  32,  195,  169,  228,  184,  173,  240,  159,  152,  128,  265,  32,  32,  120,  273,  10,  274],
    'r1-distill-llama': [268,  68,  111,  110,  39,  116,  32,  115,  116,  111,  112,  58,  32,  262,  52,  53,  32,  195,  169,  228,  184,  173,  240,  159,  152,  128,  265,  32,  32,  120,  281,  10,  282],
  };
  for (const family of REAL_FAMILIES) assert.deepEqual([...loadModel(folder(family, 'transformers-5').dir).tokenizer.encode(text)], rust[family], family);
  // Ids past the tokenizer (a padded vocabulary's rows) decode to nothing, as in the Rust library.
  const mistral = loadModel(folder('mistral-instruct', 'transformers-5').dir).tokenizer;
  assert.equal(mistral.decode([mistral.vocabSize + 3, mistral.tokenToId('Z')!], { skipSpecialTokens: false }), 'Z');
});

test('BOS: added on encode where the family adds it (post-processor or add_bos_token), never twice in a chat prompt', () => {
  for (const family of REAL_FAMILIES) {
    for (const saver of ['transformers-4', 'transformers-5'] as const) {
      const f = folder(family, saver);
      const tok = loadModel(f.dir).tokenizer;
      const plain = [...tok.encode('hi there', { addSpecialTokens: false })];
      const withSpecials = [...tok.encode('hi there')];
      const bos = family.startsWith('qwen') ? [] : [tok.bosId!];
      assert.deepEqual(withSpecials, [...bos, ...plain], `${family} ${saver}`);
      const chat = [...encodeChat(tok, QUESTION)];
      assert.equal(chat.filter((id) => id === tok.bosId).length, family.startsWith('qwen') ? 0 : 1, `${family} ${saver}: BOS in the chat prompt`);
    }
  }
});

function today(): string {
  const d = new Date();
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  return `${String(d.getDate()).padStart(2, '0')} ${month} ${d.getFullYear()}`;
}

test('chat templates render as transformers renders them (strings checked with Jinja2), from either file', () => {
  const render = (family: RealFamily, saver: Saver, messages = QUESTION, opts = {}) => loadModel(folder(family, saver).dir).tokenizer.applyChatTemplate(messages, opts);
  const expected: Record<RealFamily, string> = {
    'qwen2.5-instruct': `<|im_start|>system\n${QWEN25_DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\nWhat is 12+30?<|im_end|>\n<|im_start|>assistant\n`,
    qwen3: '<|im_start|>user\nWhat is 12+30?<|im_end|>\n<|im_start|>assistant\n',
    'llama-3.2': `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: ${today()}\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 12+30?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`,
    'llama-3.2-instruct': '',
    'mistral-instruct': '<s>[INST] What is 12+30?[/INST]',
    'r1-distill-qwen': '<｜begin▁of▁sentence｜><｜User｜>What is 12+30?<｜Assistant｜><think>\n',
    'r1-distill-llama': '<｜begin▁of▁sentence｜><｜User｜>What is 12+30?<｜Assistant｜><think>\n',
  };
  expected['llama-3.2-instruct'] = expected['llama-3.2'];
  for (const family of REAL_FAMILIES) {
    for (const saver of ['transformers-4', 'transformers-5'] as const) assert.equal(render(family, saver), expected[family], `${family} ${saver}`);
  }
  const turns = [
    { role: 'system', content: '  Be brief.  ' },
    { role: 'user', content: 'a' },
    { role: 'assistant', content: '<think>\nplan\n</think>\n\nAnswer 42 ' },
    { role: 'user', content: 'b' },
  ];
  // Qwen3 drops the reasoning of turns before the last query; enable_thinking=false pre-fills an empty think block.
  assert.equal(render('qwen3', 'transformers-5', turns, { templateArgs: { enable_thinking: false } }),
    '<|im_start|>system\n  Be brief.  <|im_end|>\n<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nAnswer 42 <|im_end|>\n' +
    '<|im_start|>user\nb<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
  assert.equal(render('qwen3', 'transformers-4', turns.slice(1, 3), { addGenerationPrompt: false }),
    '<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\nAnswer 42 <|im_end|>\n');
  assert.equal(render('r1-distill-qwen', 'transformers-4', turns),
    '<｜begin▁of▁sentence｜>  Be brief.  <｜User｜>a<｜Assistant｜>\n\nAnswer 42 <｜end▁of▁sentence｜><｜User｜>b<｜Assistant｜><think>\n');
  assert.equal(render('mistral-instruct', 'transformers-5', turns),
    '<s>[INST] a[/INST] <think>\nplan\n</think>\n\nAnswer 42</s>[INST]   Be brief.  \n\nb[/INST]');
  assert.equal(render('llama-3.2-instruct', 'transformers-4', turns.slice(0, 2)),
    `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: ${today()}\n\nBe brief.<|eot_id|>` +
    '<|start_header_id|>user<|end_header_id|>\n\na<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  // raise_exception in a template is an error naming the file the template came from.
  const twoUsers = [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }];
  assert.throws(() => render('mistral-instruct', 'transformers-5', twoUsers),
    (e: Error) => e.message === `${join(folder('mistral-instruct', 'transformers-5').dir, 'chat_template.jinja')}: chat template failed to render: After the optional system message, conversation roles must alternate user/assistant/user/assistant/...`);
  assert.throws(() => render('mistral-instruct', 'transformers-4', twoUsers),
    (e: Error) => e.message.startsWith(`${join(folder('mistral-instruct', 'transformers-4').dir, 'tokenizer_config.json')}, field "chat_template": chat template failed to render: After the optional`));
  // {% generation %} … {% endgeneration %} (transformers' assistant-mask extension) renders its body.
  const tagged = folder('qwen3', 'transformers-5');
  writeFileSync(join(tagged.dir, 'chat_template.jinja'), QWEN3_TEMPLATE_WITH_GENERATION_TAGS);
  assert.notEqual(QWEN3_TEMPLATE_WITH_GENERATION_TAGS, tagged.template);
  assert.equal(render('qwen3', 'transformers-5', turns.slice(1, 3), { addGenerationPrompt: false }), render('qwen3', 'transformers-4', turns.slice(1, 3), { addGenerationPrompt: false }));
  writeFileSync(join(tagged.dir, 'chat_template.jinja'), tagged.template);
  assert.deepEqual(['enable_thinking=false', 'n=3', 'mode= fast ', 'x=none', 'e='].map((a) => parseChatTemplateArg(a)),
    [['enable_thinking', false], ['n', 3], ['mode', ' fast '], ['x', null], ['e', '']]);
  assert.throws(() => parseChatTemplateArg('enable_thinking'), /--chat-template-arg "enable_thinking": expected name=value/);
  assert.throws(() => parseChatTemplateArg('messages=[]'), /"messages" is set by aha itself/);
  // Names the renderer owns cannot be overridden by template arguments.
  assert.throws(() => render('qwen3', 'transformers-5', QUESTION, { templateArgs: { add_generation_prompt: false } }), /"add_generation_prompt" is set by aha itself/);
  // The library's renderer runs the one check every entry point runs: values a template can take only.
  assert.throws(() => render('qwen3', 'transformers-5', QUESTION, { templateArgs: { enable_thinking: [false] } }), /chat template arguments\.enable_thinking must be a string, number, boolean or null, got \[false\]/);
});

test('values a template prints directly come out as Jinja2 prints them (Python str / repr); join(attribute=) is refused', () => {
  const messages = [{ role: 'user', content: "it's" }, { role: 'assistant', content: 'a\tb' }];
  const out = renderChatTemplate(
    "{{ messages[0] is mapping }}|{{ none }}|{{ enable_thinking }}|{{ messages[0] }}|{{ messages | map(attribute='content') | list }}|" +
      "{% set ns = namespace(seen=false) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.seen }}|{{ [1.5, 2, true] }}|{{ 3 / 2 }}",
    messages,
    { templateArgs: { enable_thinking: false } },
  );
  // Rendered by Python's Jinja2 3.1.6 in transformers' environment.
  assert.equal(out, "True|None|False|{'role': 'user', 'content': \"it's\"}|[\"it's\", 'a\\tb']|True|[1.5, 2, True]|1.5");
  assert.throws(() => renderChatTemplate("{{ messages | join(', ', attribute='role') }}", messages), /join\(attribute=…\)/);
});

/** Makes greedy decoding pick `a` or `b` next whatever the context: their output rows become ±1000 along hidden dimension 0. */
function forceNext(model: ReturnType<typeof loadModel>['model'], a: number, b: number): void {
  const out = model.parameters().get('lm_head.weight') ?? model.parameters().get('model.embed_tokens.weight')!;
  const d = model.config.hidden_size;
  for (const [id, sign] of [[a, 1], [b, -1]]) {
    out.data.fill(0, id * d, (id + 1) * d);
    out.data[id * d] = 1000 * sign;
  }
}

test('EOS ids listed only in generation_config.json end generation; saving keeps that file', () => {
  const cases: [RealFamily, string, string][] = [
    ['qwen2.5-instruct', '<|endoftext|>', '<|endoftext|>'], // Qwen's instruct models list <|endoftext|> only in generation_config.json
    ['llama-3.2-instruct', '<|eom_id|>', '<|end_of_text|>'],
  ];
  for (const [family, a, b] of cases) {
    const f = folder(family, 'transformers-5');
    const loaded = loadModel(f.dir);
    const ids = [f.ids.get(a)!, f.ids.get(b)!];
    assert.ok(ids.every((id) => id !== loaded.tokenizer.eosId), `${family}: not the tokenizer's EOS`);
    forceNext(loaded.model, ids[0], ids[1]);
    const [out] = sample(loaded.model, [encodeChat(loaded.tokenizer, QUESTION)], { maxNewTokens: 5, temperature: 0, eosIds: loaded.eosIds, tokenizer: loaded.tokenizer });
    assert.equal(out.finishReason, 'eos', family);
    assert.equal(out.tokens.length, 1);
    assert.ok(ids.includes(out.tokens[0]));
    assert.equal(out.text, '');
    // Saved (as a trainer or `aha merge` saves), the folder keeps every EOS id and the sampling defaults.
    const saved = join(tempDir('real-save'), family);
    saveModel(loaded.model, loaded.tokenizer, saved, { dtype: 'BF16' });
    const gen = JSON.parse(readFileSync(join(saved, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
    const original = JSON.parse(readFileSync(join(f.dir, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(gen, original, family);
    assert.equal(JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8')).generation_config, undefined);
    assert.deepEqual(new Set(loadModel(saved).eosIds), new Set(loaded.eosIds));
    // transformers 5's layout stays: the template in chat_template.jinja, not inlined into tokenizer_config.json.
    assert.equal(readFileSync(join(saved, 'chat_template.jinja'), 'utf8'), f.template);
    assert.equal(JSON.parse(readFileSync(join(saved, 'tokenizer_config.json'), 'utf8')).chat_template, undefined);
    // So does `aha tokens add` (new special tokens, grown embeddings).
    const grown = join(tempDir('real-tokens'), family);
    addTokensToFolder(f.dir, grown);
    assert.deepEqual(JSON.parse(readFileSync(join(grown, 'generation_config.json'), 'utf8')), original, family);
    assert.equal(readFileSync(join(grown, 'chat_template.jinja'), 'utf8'), f.template);
  }
});

test('tokenizer files that transformers would read differently are refused naming file and field', () => {
  const broken = (family: RealFamily, saver: Saver, file: string, edit: (j: Record<string, unknown>) => void): string => {
    const dir = join(tempDir('real-bad'), family);
    writeRealFolder(dir, family, saver);
    const path = join(dir, file);
    const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(j);
    writeFileSync(path, JSON.stringify(j));
    return dir;
  };
  const cases: [string, RegExp][] = [
    [broken('llama-3.2', 'transformers-5', 'tokenizer_config.json', (j) => (j.eos_token = '<|im_end|>')), /tokenizer_config\.json, field "eos_token": "<\|im_end\|>" is not a token of .*tokenizer\.json/],
    [broken('mistral-instruct', 'transformers-4', 'special_tokens_map.json', (j) => (j.eos_token = '[INST]')), /tokenizer_config\.json, field "eos_token": "<\/s>" disagrees with .*special_tokens_map\.json's "\[INST\]"/],
    [broken('r1-distill-qwen', 'transformers-4', 'tokenizer_config.json', (j) => (j.add_bos_token = 'yes')), /tokenizer_config\.json, field "add_bos_token": must be true or false/],
    [broken('qwen3', 'transformers-5', 'generation_config.json', (j) => (j.eos_token_id = [270, 9999])), /generation_config\.json, field "eos_token_id": 9999 is not a token id in \[0, 320\)/],
    [broken('qwen2.5-instruct', 'transformers-4', 'tokenizer_config.json', (j) => (j.split_special_tokens = true)), /tokenizer_config\.json, field "split_special_tokens": true/],
    [broken('qwen2.5-instruct', 'transformers-4', 'tokenizer_config.json', (j) => (j.add_prefix_space = true)), /tokenizer_config\.json, field "add_prefix_space": true, but tokenizer\.json's pre-tokenizer adds no prefix space/],
    // BPE dropout: the Rust library would split at random on every encode.
    [broken('llama-3.2', 'transformers-5', 'tokenizer.json', (j) => ((j.model as Record<string, unknown>).dropout = 0.1)), /tokenizer\.json, field "model\.dropout": 0\.1: BPE dropout/],
  ];
  for (const [dir, message] of cases) assert.throws(() => loadModel(dir), message);
  // A map that only fills in what tokenizer_config.json lacks is read (older saves).
  const older = broken('mistral-instruct', 'transformers-4', 'tokenizer_config.json', (j) => delete j.eos_token);
  assert.equal(loadModel(older).tokenizer.eosId, 2);
  // add_bos_token / add_eos_token rule over tokenizer.json's post-processor, as in transformers 5.
  const eosToo = broken('r1-distill-llama', 'transformers-4', 'tokenizer_config.json', (j) => (j.add_eos_token = true));
  const tok = loadModel(eosToo).tokenizer;
  const ids = [...tok.encode('hi')];
  assert.deepEqual([ids[0], ids.at(-1)], [tok.bosId, tok.eosId]);
  const noBos = broken('mistral-instruct', 'transformers-4', 'tokenizer_config.json', (j) => (j.add_bos_token = false));
  assert.notEqual(loadModel(noBos).tokenizer.encode('hi')[0], 1);
});

const repo = join(import.meta.dirname, '..', '..');
function aha(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(repo, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, AHA_THREADS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('as a user runs them: generate --chat, eval with the math verifier, train --lora 1 step, merge, and the merged folder', () => {
  const data = join(root, 'math.jsonl');
  writeFileSync(data, [['What is 12+30?', '42'], ['What is 2+3?', '5'], ['What is 7*6?', '42']].map(([question, answer]) => JSON.stringify({ question, answer })).join('\n') + '\n');
  // Two folders that differ in every way the families do (saver, template file, tied, RoPE, BOS
  // rule, special-token form); the library-level tests above cover each family, and each spawn costs seconds.
  const runs: [RealFamily, Saver][] = [['qwen3', 'transformers-5'], ['r1-distill-llama', 'transformers-4']];
  for (const [family, saver] of runs) {
    const f = folder(family, saver);
    const tok = loadModel(f.dir).tokenizer;
    const out = join(root, `cli-${family}`);
    // Qwen3 in non-thinking mode: the template argument reaches the template.
    const args = family === 'qwen3' ? ['--chat-template-arg', 'enable_thinking=false'] : [];
    const gen = aha(['generate', '--model', f.dir, '--prompt', 'What is 12+30?', '--chat', ...args, '--max-tokens', '3', '--temperature', '0', '--json', '--quiet']);
    assert.equal(gen.code, 0, `${family}: ${gen.err}`);
    const prompt = (JSON.parse(gen.out) as { prompt: string }).prompt;
    assert.equal(prompt, tok.applyChatTemplate(QUESTION, { templateArgs: family === 'qwen3' ? { enable_thinking: false } : {} }));
    if (family === 'qwen3') assert.ok(prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));

    const ev = aha(['eval', '--model', f.dir, '--data', data, '--limit', '2', '--max-tokens', '4', '--out', `${out}-eval.jsonl`, '--quiet']);
    assert.equal(ev.code, 0, `${family}: ${ev.err}`);
    const samples = readFileSync(`${out}-eval.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { correct: boolean; usage: { prompt_tokens: number } });
    assert.equal(samples.length, 2);
    assert.ok(samples.every((s) => typeof s.correct === 'boolean' && s.usage.prompt_tokens > 10));

    const tr = aha(['train', '--model', f.dir, '--data', data, '--reward', 'accuracy', '--lora', 'r=4,alpha=8,targets=all-linear', '--steps', '1',
      '--prompts-per-step', '2', '--group-size', '2', '--max-completion-length', '4', '--output', `${out}-run`, '--quiet']);
    assert.equal(tr.code, 0, `${family}: ${tr.err}`);
    const adapter = join(`${out}-run`, 'checkpoints', 'step-1');
    const names = [...readSafetensorsHeader(join(adapter, 'adapter_model.safetensors')).tensors.keys()];
    assert.ok(names.length > 0 && names.every((n) => /^base_model\.model\.model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.lora_[AB]\.weight$/.test(n)), family);

    const merged = `${out}-merged`;
    const mg = aha(['merge', '--model', f.dir, '--adapter', adapter, '--out', merged]);
    assert.equal(mg.code, 0, `${family}: ${mg.err}`);
    assert.deepEqual(readModelConfig(merged).rope_scaling, readModelConfig(f.dir).rope_scaling);
    const gen0 = JSON.parse(readFileSync(join(f.dir, 'generation_config.json'), 'utf8')) as { eos_token_id: unknown };
    assert.deepEqual((JSON.parse(readFileSync(join(merged, 'generation_config.json'), 'utf8')) as { eos_token_id: unknown }).eos_token_id, gen0.eos_token_id, family);
    assert.ok(readdirSync(merged).includes('chat_template.jinja') || saver === 'transformers-4');
    // The merged folder generates what the base with the adapter generates.
    const greedy = (loaded: ReturnType<typeof loadModel>) =>
      sample(loaded.model, [encodeChat(loaded.tokenizer, QUESTION)], { maxNewTokens: 4, temperature: 0, eosIds: loaded.eosIds })[0].tokens;
    assert.deepEqual(greedy(loadModel(merged)), greedy(loadModelOrAdapter(f.dir, adapter)), family);
  }
  // A refused tokenizer file through the CLI: one line naming file and field, exit 2.
  const bad = join(root, 'cli-bad');
  writeRealFolder(bad, 'llama-3.2', 'transformers-5');
  const cfgFile = join(bad, 'tokenizer_config.json');
  writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, 'utf8')), bos_token: '<s>' }));
  const r = aha(['generate', '--model', bad, '--prompt', 'hi', '--max-tokens', '2', '--quiet']);
  assert.equal(r.code, 2);
  assert.equal(r.err, `aha: ${cfgFile}, field "bos_token": "<s>" is not a token of ${join(bad, 'tokenizer.json')}\n`);
  assert.ok(existsSync(join(bad, 'model.safetensors')));
});
