// The program inside a model completion: the last fenced code block (```python … ```), else the
// <answer> block, else the whole completion.

export function extractCode(completion: string, language?: string): string {
  const blocks = [...completion.matchAll(/```([\w+-]*)[^\n]*\n([\s\S]*?)```/g)];
  if (blocks.length > 0) {
    const wanted = language ? blocks.filter((b) => matchesLanguage(b[1], language)) : [];
    const pick = (wanted.length > 0 ? wanted : blocks).at(-1)!;
    return pick[2];
  }
  const open = completion.lastIndexOf('<answer>');
  if (open >= 0) {
    const close = completion.indexOf('</answer>', open);
    return completion.slice(open + 8, close < 0 ? undefined : close).trim() + '\n';
  }
  return completion;
}

function matchesLanguage(tag: string, language: string): boolean {
  const t = tag.toLowerCase();
  if (language === 'python') return t === 'python' || t === 'py' || t === 'python3';
  if (language === 'javascript') return t === 'javascript' || t === 'js' || t === 'node';
  if (language === 'cpp') return t === 'cpp' || t === 'c++' || t === 'cc' || t === 'cxx';
  return t === language;
}
