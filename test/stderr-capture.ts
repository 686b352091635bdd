// Captures what the code under test writes to stderr as text (warnings, stop messages), in this
// process. Binary chunks pass through: the test runner reports on the same stream.
export async function captureStderr<T>(run: () => T | Promise<T>): Promise<{ value: T; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? ((stderr += chunk), true) : write(chunk, ...rest))) as typeof process.stderr.write;
  try {
    return { value: await run(), stderr };
  } finally {
    process.stderr.write = write;
  }
}
