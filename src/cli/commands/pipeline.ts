// `aha pipeline`: run a multi-stage recipe (sft, grpo, sample, eval) from a YAML file in one run
// folder, resuming at the first unfinished stage when re-run. The whole recipe is validated
// before anything runs; the runner and the stages live in src/pipeline/.
import type { Command } from 'commander';

type Flags = Record<string, string | boolean | undefined>;

async function action(file: string, flags: Flags): Promise<void> {
  // Imported on use so `aha --help` stays quick.
  const { readRecipe } = await import('../../pipeline/recipe.js');
  const recipe = readRecipe(file, { runDir: typeof flags.runDir === 'string' ? flags.runDir : undefined });
  if (flags.check) {
    process.stdout.write(`${file}: valid; ${recipe.stages.length} stages (${recipe.stages.map((s) => `${s.name}:${s.kind}`).join(' -> ')}); run folder ${recipe.runDir}\n`);
    return;
  }
  // Imported here so validation never loads the compute core.
  const { runPipeline } = await import('../../pipeline/runner.js');
  const { STAGE_RUNNERS } = await import('../../pipeline/stages.js');
  const { onStopSignals, signalLabel } = await import('../../util/stop-signals.js');
  const controller = new AbortController();
  // Trainers stop after their current step on Ctrl-C or SIGTERM (their own handler); sample and
  // eval stages start no new request and save those in flight. Every finished sample is kept, so
  // a second signal may quit at once.
  const offStopSignals = onStopSignals((signal) => {
    controller.abort();
    process.stderr.write(`\naha pipeline: ${signalLabel(signal)}: stopping after the current training step or the samples in flight; ${signalLabel(signal)} again to quit now (finished work is kept)\n`);
  });
  try {
    const result = await runPipeline({ recipe, runners: STAGE_RUNNERS, from: typeof flags.from === 'string' ? flags.from : undefined, quiet: flags.quiet === true, signal: controller.signal });
    const done = result.state.stages.filter((s) => s.status === 'done').length;
    // The numbers a pipeline is run for: each finished eval stage's metrics.
    for (const st of result.state.stages) {
      if (st.kind !== 'eval' || st.status !== 'done') continue;
      const figures = Object.entries(st.metrics).filter(([k, v]) => typeof v === 'number' && /@/.test(k));
      process.stdout.write(`${st.name}: ${figures.map(([k, v]) => `${k} ${(v as number).toFixed(4)}`).join(', ')} (${String(st.metrics.data)}, ${String(st.metrics.problems)} problems)\n`);
    }
    process.stderr.write(
      result.interrupted
        ? `pipeline ${recipe.name}: stopped (${done}/${recipe.stages.length} stages done); re-run \`aha pipeline ${file}\` to continue\n`
        : `pipeline ${recipe.name}: all ${recipe.stages.length} stages done; state in ${recipe.runDir}/pipeline.json\n`,
    );
  } finally {
    offStopSignals();
  }
}

export function register(program: Command): void {
  program
    .command('pipeline')
    .description(
      'Run a multi-stage recipe (sft, grpo, sample, eval) from a YAML file: each stage runs in runs/<pipeline>/<stage>/ and passes its output ' +
        '(a checkpoint or a data set) to later stages via ${stages.<name>.output}. The state is kept in pipeline.json; re-running the same command ' +
        'resumes at the first unfinished stage. The whole recipe is validated before anything runs.',
    )
    .argument('<recipe>', 'recipe YAML file (see recipes/ and docs/pipeline.md)')
    .option('--run-dir <dir>', 'run folder (default: run_dir of the recipe, else runs/<name>)')
    .option('--from <stage>', 'run this stage and every later one again, even if done')
    .option('--check', 'only validate the recipe and print its stages')
    .option('--quiet', 'no progress bars')
    .addHelpText('after', '\nExamples:\n  aha pipeline recipes/distill-arithmetic.yaml --check\n  aha pipeline recipes/r1-arithmetic.yaml\n  aha pipeline recipes/r1-arithmetic.yaml --from final_rl')
    .action((file: string, flags: Flags) => action(file, flags));
}
