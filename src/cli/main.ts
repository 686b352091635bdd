// Entry point of the `aha` command (bin/aha.js loads its compiled form).
import { main } from './program.js';

// A reader that stops early (`aha eval --help | head`) closes the pipe: like any Unix command,
// stop quietly then instead of dying on an unhandled 'error' event with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv);
