// Call-based tests as the datasets store them, turned into the harness's cases (argument list,
// expected value). APPS and TACO give each input as the JSON array of arguments and each output
// as a JSON value (often wrapped in a one-item list); LiveCodeBench gives each input as text with
// one JSON value per line (one per argument) and each output as JSON text.
import { AhaError } from '../../util/errors.js';
import type { CallTests } from './run.js';

export interface CallCase {
  args: unknown[];
  expected: unknown;
}

const IDENTIFIER = /^[A-Za-z_]\w*$/;

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AhaError(`${where}: not JSON (${(err as Error).message})`);
  }
}

/**
 * The cases of call-based tests, or an AhaError naming the bad item (`tests.inputs[2]: …`).
 * `unwrapSingle` is true when inputs are argument arrays (the APPS convention of wrapping outputs).
 */
export function callCases(t: CallTests): { cases: CallCase[]; unwrapSingle: boolean } {
  if (typeof t.fn_name !== 'string' || !IDENTIFIER.test(t.fn_name)) throw new AhaError('tests.fn_name must be a Python identifier');
  if (!Array.isArray(t.inputs) || !Array.isArray(t.outputs)) throw new AhaError('call-based tests need "inputs" and "outputs" arrays');
  if (t.inputs.length !== t.outputs.length) throw new AhaError(`tests.inputs has ${t.inputs.length} items but tests.outputs has ${t.outputs.length}`);
  let textual = 0;
  const cases = t.inputs.map((input, i): CallCase => {
    if (Array.isArray(input)) return { args: input, expected: t.outputs[i] };
    if (typeof input !== 'string') throw new AhaError(`tests.inputs[${i}]: must be a JSON array of arguments or text with one JSON value per line`);
    textual++;
    const args = input
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, k) => parseJson(line, `tests.inputs[${i}], argument ${k + 1}`));
    const out = t.outputs[i];
    if (typeof out !== 'string') throw new AhaError(`tests.outputs[${i}]: must be JSON text when its input is text`);
    return { args, expected: parseJson(out, `tests.outputs[${i}]`) };
  });
  if (textual !== 0 && textual !== cases.length) throw new AhaError('tests.inputs mixes argument arrays and text; use one form');
  return { cases, unwrapSingle: textual === 0 };
}
