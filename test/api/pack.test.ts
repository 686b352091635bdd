// The package as a user gets it: `npm pack`, the tarball installed into a new project (its
// install script builds the native addon there), and the custom-reward example trained for 2
// steps with `import { GRPOTrainer } from 'aha'` — type-checked against the installed
// declarations, then run. The declarations are also checked as a strict project checks them
// (skipLibCheck off, no @types/node, NodeNext and bundler resolution), and every type in the
// signature of a root function or class must be exported by name. Offline: the registry's packages are hard-linked from this checkout's
// node_modules into the new project first, as a warm npm cache would serve them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import ts from 'typescript';
import { scratchDir } from '../scratch-dir.js';
import { typeErrors, unexportedSignatureTypes } from './public-types.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts, env: { ...process.env, AHA_SKIP_SYSTEM_DEPS: '1', ...opts.env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}):\n${String(r.stdout).slice(-3000)}\n${String(r.stderr).slice(-3000)}`);
  return String(r.stdout);
}

/** A copy of the package's own files (not dist/ or build/), so packing builds afresh without touching the checkout. */
function stagePackage(dir: string): void {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const f of [...pkg.files.filter((f) => !f.startsWith('dist')), 'package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
}

/** The runtime dependencies (and theirs) hard-linked into `project`/node_modules. */
function seedDependencies(project: string): void {
  const paths = run(NPM, ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT }).split('\n').filter((p) => p.startsWith(join(ROOT, 'node_modules') + '/'));
  assert.ok(paths.length > 5, 'npm ls found the runtime dependencies');
  for (const p of paths) {
    const to = join(project, relative(ROOT, p));
    mkdirSync(dirname(to), { recursive: true });
    if (!existsSync(to)) run('cp', ['-al', p, to]);
  }
}

/** A user's module naming the API of docs/api.md, with no Node types in the project. */
const LIBRARY_USE = `import {
  GRPOTrainer, SFTTrainer, defineReward, lastAnswer, defineTask, frame, loadModel, sampleText, verifyMath,
  evaluate, search, runCode, loadRewardModel, AhaError, InputError,
  type Example, type GRPOConfig, type GrpoConfig, type TrainerCallback, type LoadedModel, type EvalResult, type InputLocation,
} from 'aha';

const closeness = defineReward('closeness', (completions: string[], examples: Example[]) =>
  completions.map((c, i) => (lastAnswer(c) === examples[i].gold ? 1 : 0)));
const args: GRPOConfig = { output_dir: 'runs/x', max_steps: 2, num_generations: 2 };
const callbacks: TrainerCallback[] = [{ onLog: (metrics, step) => console.log(step, metrics['reward/mean']) }];
const resolved: GrpoConfig = new GRPOTrainer({ train_dataset: 'd.jsonl', reward_funcs: ['accuracy', closeness], args, callbacks }).config;
const m: LoadedModel = loadModel('models/aha-tiny-base');
const text: string = sampleText(m.model, m.tokenizer, ['x'], { maxNewTokens: 4, eosIds: m.eosIds, seed: 1 })[0].text;
const equal: boolean = verifyMath('\\\\boxed{1/2}', '0.5').equal;
const result: Promise<EvalResult> = evaluate({ data: 'x.jsonl', model: 'm' });
const where = (e: InputError): InputLocation => e.location;
export { resolved, text, equal, result, where, SFTTrainer, defineTask, frame, search, runCode, loadRewardModel, AhaError };
`;

test('npm pack, install the tarball in a new project, train the custom-reward example 2 steps from `aha`', { timeout: 600_000 }, (t) => {
  // Where the time goes (wall seconds), for whoever wants this test faster.
  let mark = performance.now();
  const lap = (what: string) => {
    t.diagnostic(`${what}: ${((performance.now() - mark) / 1000).toFixed(1)} s`);
    mark = performance.now();
  };
  const work = scratchDir('aha-pack-');
  const stage = join(work, 'aha');
  mkdirSync(stage);
  stagePackage(stage);
  // `npm pack` runs `prepare`, which compiles dist/ (JavaScript and declarations).
  const packed = run(NPM, ['pack', '--json', '--pack-destination', work], { cwd: stage });
  const info = JSON.parse(packed.slice(packed.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[];
  const files = new Set(info[0].files.map((f) => f.path));
  for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'binding.gyp', 'src/core/native/addon.cc', 'scripts/detect-blas.cjs', 'scripts/system-deps.mjs', 'scripts/build-native.mjs', 'bin/aha.js']) {
    assert.ok(files.has(f), `the tarball holds ${f}`);
  }
  // Everything the commands read at run time (bundled models, benchmarks, configs, recipes, the
  // report page, the kernels' sources), and nothing of the checkout's tests, benchmarks or runs.
  for (const dir of ['models', 'data', 'configs', 'recipes', 'src/report/page', 'src/core/native']) {
    for (const f of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!f.isFile()) continue;
      const path = relative(ROOT, join(f.parentPath, f.name));
      assert.ok(files.has(path), `the tarball holds ${path}`);
    }
  }
  const stray = [...files].filter((f) => /^(test|bench|examples|docs|build|runs|node_modules)\//.test(f) || f === 'scripts/run-tests.mjs' || f.endsWith('.node') || f.endsWith('.o'));
  assert.deepEqual(stray, [], 'files a user does not need');
  lap('npm pack (compiles dist/)');

  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-aha', version: '1.0.0', private: true, type: 'module' }));
  seedDependencies(project);
  // JOBS: node-gyp compiles the addon's files in parallel.
  run(NPM, ['install', '--offline', '--no-audit', '--no-fund', join(work, info[0].filename)], { cwd: project, env: { JOBS: 'max' } });
  assert.ok(existsSync(join(project, 'node_modules/aha/build/Release/aha_native.node')), 'installing built the native addon');
  lap('npm install of the tarball (builds the native addon)');
  // The same package is the command too.
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(run(process.execPath, ['node_modules/aha/bin/aha.js', '--version'], { cwd: project }).trim(), version.version);

  // A strict project's view of the declarations: nothing they name may be missing from the
  // tarball or come from a dev-only @types package, whichever module resolution the project uses.
  writeFileSync(join(project, 'library.ts'), LIBRARY_USE);
  const installed = join(project, 'node_modules', 'aha') + '/';
  for (const [module, moduleResolution] of [[ts.ModuleKind.NodeNext, ts.ModuleResolutionKind.NodeNext], [ts.ModuleKind.ESNext, ts.ModuleResolutionKind.Bundler]] as const) {
    const program = ts.createProgram([join(project, 'library.ts')], {
      target: ts.ScriptTarget.ES2022, module, moduleResolution, strict: true, skipLibCheck: false, noEmit: true, types: [],
    });
    assert.deepEqual(typeErrors(program), [], `type errors with module ${ts.ModuleKind[module]}`);
    if (module === ts.ModuleKind.NodeNext) {
      assert.deepEqual(unexportedSignatureTypes(program, join(installed, 'dist/src/index.d.ts'), installed), [], 'types a user meets but cannot import');
    }
  }
  lap('strict type-check of the declarations (NodeNext and bundler), exported names');

  // The example exactly as shipped, compiled against the installed package's declarations.
  for (const f of ['train.ts', 'data.jsonl']) cpSync(join(ROOT, 'examples/custom-reward', f), join(project, f));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
    files: ['train.ts'],
  }));
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project]);
  cpSync(join(project, 'data.jsonl'), join(project, 'out/data.jsonl'));
  lap('tsc of the example against the installed declarations');
  const out = run(process.execPath, ['out/train.js', '--steps', '2', '--output', 'run'], { cwd: project });
  lap('the example, 2 steps');

  // The callback saw both logged steps; the run folder holds the TypeScript reward next to the built-ins.
  assert.match(out, /^step 1: reward [\d.]+, closeness [\d.]+, accuracy [\d.]+$/m);
  assert.match(out, /^step 2: /m);
  assert.match(out, /^done: 2 steps; checkpoint .*step-2$/m);
  const metrics = readFileSync(join(project, 'run/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.deepEqual(metrics.map((m) => m.step), [1, 2]);
  for (const m of metrics) assert.ok(m['reward/closeness/mean'] >= 0 && m['reward/closeness/mean'] <= 1, 'closeness scores are in [0, 1]');
  const config = JSON.parse(readFileSync(join(project, 'run/config.json'), 'utf8')) as { rewards: unknown; model: string };
  assert.deepEqual(config.rewards, [{ name: 'accuracy', weight: 1 }, { name: 'closeness', weight: 0.5 }, { name: 'format_lenient', weight: 0.2 }]);
  assert.ok(config.model.startsWith(join(project, 'node_modules/aha/models/')), `the bundled model of the installed package: ${config.model}`);
});
