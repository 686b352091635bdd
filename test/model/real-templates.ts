// Chat templates shaped like the ones the released small models ship (written here for the tests,
// not copied): the same conversation formats and the Jinja features they lean on, so a renderer
// that differs from transformers' (Jinja2 with trim_blocks, lstrip_blocks and loop controls,
// raise_exception, strftime_now, tojson, tools=None) shows up as a wrong prompt.
//
// - QWEN25: ChatML with a default system prompt, tools as JSON lines, consecutive tool results
//   folded into one user turn (loop.index0 look-behind and look-ahead, loop controls).
// - QWEN3: ChatML where assistant turns after the last user query keep their reasoning in
//   <think>…</think> and earlier ones lose it (namespace(), messages[::-1], str.split / strip /
//   startswith / endswith, `is string`), and enable_thinking=false pre-fills an empty think block.
// - LLAMA32: Llama 3 headers, BOS as text, a system block with a date from strftime_now, `| trim`.
// - MISTRAL: [INST] turns, raise_exception when roles do not alternate, the system prompt in the
//   last user turn (selectattr, namespace counters, loop.last).
// - R1_DISTILL: DeepSeek-R1's distills: <｜User｜>/<｜Assistant｜>, earlier answers keep only what
//   follows </think>, and the generation prompt opens the think block.

const lines = (...parts: string[]): string => parts.join('\n');

export const QWEN25_DEFAULT_SYSTEM = 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.';

export const QWEN25_TEMPLATE = lines(
  '{%- if tools %}',
  "    {{- '<|im_start|>system\\n' }}",
  "    {%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- else %}{{- '" + QWEN25_DEFAULT_SYSTEM + "' }}{%- endif %}",
  "    {{- '\\n\\n# Tools\\n\\nFunction signatures inside <tools></tools>:\\n<tools>' }}",
  '    {%- for tool in tools %}',
  "        {{- '\\n' + (tool | tojson) }}",
  '    {%- endfor %}',
  "    {{- '\\n</tools><|im_end|>\\n' }}",
  "{%- elif messages[0]['role'] == 'system' %}",
  "    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
  '{%- else %}',
  "    {{- '<|im_start|>system\\n" + QWEN25_DEFAULT_SYSTEM + "<|im_end|>\\n' }}",
  '{%- endif %}',
  '{%- for message in messages %}',
  "    {%- if message.role == 'system' and loop.first %}{%- continue %}{%- endif %}",
  "    {%- if message.role == 'user' or message.role == 'system' or (message.role == 'assistant' and not message.tool_calls) %}",
  "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}",
  "    {%- elif message.role == 'assistant' %}",
  "        {{- '<|im_start|>assistant' }}",
  "        {%- if message.content %}{{- '\\n' + message.content }}{%- endif %}",
  '        {%- for call in message.tool_calls %}',
  "            {{- '\\n<tool_call>\\n{\"name\": \"' + call.function.name + '\", \"arguments\": ' + (call.function.arguments | tojson) + '}\\n</tool_call>' }}",
  '        {%- endfor %}',
  "        {{- '<|im_end|>\\n' }}",
  "    {%- elif message.role == 'tool' %}",
  "        {%- if loop.index0 == 0 or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}",
  "        {{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}",
  "        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}",
  '    {%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "    {{- '<|im_start|>assistant\\n' }}",
  '{%- endif %}',
);

export const QWEN3_TEMPLATE = lines(
  "{%- if messages[0].role == 'system' %}",
  "    {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}",
  '{%- endif %}',
  '{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}',
  '{%- for message in messages[::-1] %}',
  '    {%- set index = (messages|length - 1) - loop.index0 %}',
  "    {%- if ns.multi_step_tool and message.role == 'user' and message.content is string and not (message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}",
  '        {%- set ns.multi_step_tool = false %}',
  '        {%- set ns.last_query_index = index %}',
  '    {%- endif %}',
  '{%- endfor %}',
  '{%- for message in messages %}',
  "    {%- set content = message.content if message.content is string else '' %}",
  "    {%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}",
  "        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>\\n' }}",
  "    {%- elif message.role == 'assistant' %}",
  "        {%- set reasoning = '' %}",
  "        {%- if message.reasoning_content is string %}",
  '            {%- set reasoning = message.reasoning_content %}',
  "        {%- elif '</think>' in content %}",
  "            {%- set reasoning = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}",
  "            {%- set content = content.split('</think>')[-1].lstrip('\\n') %}",
  '        {%- endif %}',
  '        {%- if loop.index0 > ns.last_query_index and (loop.last or reasoning) %}',
  "            {{- '<|im_start|>assistant\\n<think>\\n' + reasoning.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}",
  '        {%- else %}',
  "            {{- '<|im_start|>assistant\\n' + content }}",
  '        {%- endif %}',
  "        {{- '<|im_end|>\\n' }}",
  "    {%- elif message.role == 'tool' %}",
  "        {%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}",
  "        {{- '\\n<tool_response>\\n' + content + '\\n</tool_response>' }}",
  "        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}",
  '    {%- endif %}',
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "    {{- '<|im_start|>assistant\\n' }}",
  '    {%- if enable_thinking is defined and enable_thinking is false %}',
  "        {{- '<think>\\n\\n</think>\\n\\n' }}",
  '    {%- endif %}',
  '{%- endif %}',
);

export const LLAMA32_TEMPLATE = lines(
  '{{- bos_token }}',
  '{%- if not date_string is defined %}',
  '    {%- if strftime_now is defined %}',
  "        {%- set date_string = strftime_now('%d %b %Y') %}",
  '    {%- else %}',
  "        {%- set date_string = '26 Jul 2024' %}",
  '    {%- endif %}',
  '{%- endif %}',
  "{%- if messages[0]['role'] == 'system' %}",
  "    {%- set system_message = messages[0]['content'] | trim %}",
  '    {%- set messages = messages[1:] %}',
  '{%- else %}',
  "    {%- set system_message = '' %}",
  '{%- endif %}',
  "{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}",
  '{%- if tools is not none %}',
  "    {{- 'Environment: ipython\\n' }}",
  '{%- endif %}',
  "{{- 'Cutting Knowledge Date: December 2023\\n' }}",
  "{{- 'Today Date: ' + date_string + '\\n\\n' }}",
  "{{- system_message + '<|eot_id|>' }}",
  '{%- for message in messages %}',
  "    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}",
  '{%- endfor %}',
  '{%- if add_generation_prompt %}',
  "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}",
  '{%- endif %}',
);

export const MISTRAL_TEMPLATE = lines(
  "{%- if messages[0]['role'] == 'system' %}",
  "    {%- set system_message = messages[0]['content'] %}",
  '    {%- set loop_messages = messages[1:] %}',
  '{%- else %}',
  '    {%- set loop_messages = messages %}',
  '{%- endif %}',
  "{%- set user_messages = loop_messages | selectattr('role', 'equalto', 'user') | list %}",
  '{%- set ns = namespace(turn=0) %}',
  '{%- for message in loop_messages %}',
  "    {%- if (message['role'] == 'user') != (ns.turn % 2 == 0) %}",
  "        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}",
  '    {%- endif %}',
  '    {%- set ns.turn = ns.turn + 1 %}',
  '{%- endfor %}',
  '{{- bos_token }}',
  '{%- for message in loop_messages %}',
  "    {%- if message['role'] == 'user' %}",
  '        {%- if loop.last and system_message is defined %}',
  "            {{- '[INST] ' + system_message + '\\n\\n' + message['content'] + '[/INST]' }}",
  '        {%- else %}',
  "            {{- '[INST] ' + message['content'] + '[/INST]' }}",
  '        {%- endif %}',
  "    {%- elif message['role'] == 'assistant' %}",
  "        {{- ' ' + message['content'] | trim + eos_token }}",
  '    {%- else %}',
  "        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}",
  '    {%- endif %}',
  '{%- endfor %}',
);

/** R1-Distill's template is one line in tokenizer_config.json, as the distills publish it. */
export const R1_DISTILL_TEMPLATE =
  "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}" +
  "{% set ns = namespace(is_first=false, is_tool=false, system_prompt='') %}" +
  "{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}" +
  '{{ bos_token }}{{ ns.system_prompt }}' +
  '{%- for message in messages %}' +
  "{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{ '<｜User｜>' + message['content'] }}{%- endif %}" +
  "{%- if message['role'] == 'assistant' and message['content'] is not none %}" +
  "{%- if ns.is_tool %}{{ '<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>' }}{%- set ns.is_tool = false -%}" +
  "{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}" +
  "{{ '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}{%- endif %}" +
  '{%- endif %}' +
  "{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{{ '<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>' }}{%- endif %}" +
  '{%- endfor -%}' +
  "{% if ns.is_tool %}{{ '<｜tool▁outputs▁end｜>' }}{% endif %}" +
  "{% if add_generation_prompt and not ns.is_tool %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}";

/**
 * QWEN3 with its assistant turns inside {% generation %} … {% endgeneration %}, the transformers
 * extension training templates use to mark assistant tokens; it renders its body unchanged.
 */
export const QWEN3_TEMPLATE_WITH_GENERATION_TAGS = QWEN3_TEMPLATE
  .replace("        {{- '<|im_start|>assistant\\n<think>\\n'", "        {%- generation %}{{- '<|im_start|>assistant\\n<think>\\n'")
  .replace("+ content.lstrip('\\n') }}", "+ content.lstrip('\\n') }}{%- endgeneration %}");
