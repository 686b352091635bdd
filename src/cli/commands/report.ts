// `aha report`: write a self-contained HTML report of one or more run folders (overlaid), and
// optionally PNG files of the main curves.
import type { Command } from 'commander';
import { parseNumber } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { checkRunDir, writeReport } from '../../report/index.js';

interface ReportFlags {
  out?: string;
  png?: string;
  pngAll?: boolean;
  pngScale: string;
}

export function register(program: Command): void {
  program
    .command('report')
    .description(
      'Write a self-contained HTML report of run folders: charts of every logged metric, held-out evaluations, ' +
        'a completions browser with reflection words and answers highlighted, and an early-vs-late comparison. ' +
        'Several run folders are overlaid in the same charts. The file opens offline.',
    )
    .argument('<run-dirs...>', 'run folders (as written by aha train / aha sft), or one folder of aha search')
    .option('--out <file>', 'output HTML file (default: RUN_DIR/report.html for one run, ./report.html for several)')
    .option('--png <dir>', 'also write the main curves (reward, accuracy, length, reflection, KL, entropy, loss, held-out accuracy) as PNG files into this folder')
    .option('--png-all', 'with --png, export every chart, not only the main curves')
    .option('--png-scale <n>', 'with --png, pixel density (1 to 4)', '2')
    .action(async (runDirs: string[], flags: ReportFlags) => {
      const scale = parseNumber('--png-scale', flags.pngScale, { min: 1, max: 4 });
      if (flags.pngAll && flags.png === undefined) throw new AhaError('--png-all needs --png <dir>');
      // A folder of `aha search` gets its accuracy-against-budget report (docs/test-time-compute.md).
      const { isSearchDir, writeSearchReport } = await import('../../report/search-report.js');
      if (runDirs.length === 1 && isSearchDir(runDirs[0])) {
        const r = await writeSearchReport(runDirs[0], { out: flags.out, pngDir: flags.png, png: { scale } });
        process.stdout.write(`report: ${r.html}\n`);
        for (const p of r.pngs) process.stdout.write(`png: ${p}\n`);
        return;
      }
      for (const d of runDirs) checkRunDir(d);
      const result = await writeReport(runDirs, { out: flags.out, pngDir: flags.png, png: { scale, all: flags.pngAll } });
      process.stdout.write(`report: ${result.html}\n`);
      for (const p of result.pngs) process.stdout.write(`png: ${p}\n`);
    });
}
