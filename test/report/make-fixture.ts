// Regenerates test/fixtures/run-small: `npx tsx test/report/make-fixture.ts [DIR]`.
import { rmSync } from 'node:fs';
import { writeFixtureRun } from './fixture.js';

const dir = process.argv[2] ?? 'test/fixtures/run-small';
rmSync(dir, { recursive: true, force: true });
writeFixtureRun(dir, { seed: 1 });
process.stdout.write(`wrote ${dir}\n`);
