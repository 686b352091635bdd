// For commands whose issue has not landed yet: say so plainly and exit non-zero, never pretend.
import { AhaError } from '../util/errors.js';

export function notBuiltYet(command: string, what: string): never {
  throw new AhaError(`\`aha ${command}\` is not built yet: ${what}. See the project's open issues.`);
}
