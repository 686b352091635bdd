// Entry point of the `aha` command (bin/aha.js loads its compiled form).
import { main } from './program.js';

process.exitCode = await main(process.argv);
