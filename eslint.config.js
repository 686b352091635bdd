// Lint rules for aha: typescript-eslint's recommended set, plus the few rules that keep
// the one-way dependency direction and deterministic code honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layer table of docs/architecture.md: which other src/ folders each part may import
// (test/architecture/layers.test.ts checks that the two agree). Top-level files in src/ (the
// package root) and src/cli may import every part.
const LAYERS = {
  util: [],
  core: ['util'],
  model: ['core', 'util'],
  rewards: ['util'],
  tasks: ['rewards', 'util'],
  tools: ['rewards', 'tasks', 'util'],
  rl: ['model', 'rewards', 'tasks', 'tools', 'core', 'util'],
  sft: ['model', 'rewards', 'tasks', 'core', 'util'],
  eval: ['model', 'rewards', 'tasks', 'tools', 'core', 'util'],
  rm: ['model', 'rewards', 'tasks', 'core', 'util'],
  server: ['rewards', 'tasks', 'util'],
  report: ['rewards', 'util'],
  pipeline: ['rl', 'sft', 'eval', 'rm', 'model', 'rewards', 'tasks', 'tools', 'core', 'util'],
};

// One block per folder and file depth: a file d folders below src/ reaches src/ with exactly d
// `../`, so an import that climbs that far must continue into an allowed folder. Anything else
// (another part, the package root, outside src/) is an error, for static imports, re-exports
// and dynamic import() alike.
function layerRules() {
  const blocks = [];
  for (const [folder, allowed] of Object.entries(LAYERS)) {
    const message = allowed.length
      ? `src/${folder} may import only ${allowed.join(', ')} (the layer table of docs/architecture.md)`
      : `src/${folder} may import nothing else in src/ (the layer table of docs/architecture.md)`;
    for (let depth = 1; depth <= 6; depth++) {
      const up = '\\.\\.\\x2F'.repeat(depth);
      const rest = allowed.length ? `(?!(${allowed.join('|')})\\x2F)` : '';
      const regex = `^${up}${rest}`;
      blocks.push({
        files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
        rules: {
          'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
          'no-restricted-syntax': ['error', { selector: `ImportExpression > Literal.source[value=/${regex}/]`, message }],
        },
      });
    }
  }
  return blocks;
}

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'runs/**', 'data/**', 'models/**', 'report-assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...layerRules(),
);
