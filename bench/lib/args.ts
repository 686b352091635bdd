// The benchmarks' command line: `--name value` options and bare `--switch`es. Every flag must be
// one the benchmark lists, so a misspelt flag stops the run at once instead of letting it spend
// minutes on defaults.

export interface BenchArgs {
  /** True when the switch (or option) was given. */
  has(name: string): boolean;
  /** The option's value, or undefined when it was not given. */
  value(name: string): string | undefined;
  /** The option as a finite number, or `fallback`. */
  num(name: string, fallback: number): number;
  /** The option as a whole number ≥ 0, or `fallback`. */
  int(name: string, fallback: number): number;
  /** The option as comma-separated finite numbers, or `fallback`. */
  numbers(name: string, fallback: number[]): number[];
  /** The option as comma-separated whole numbers ≥ 0, or `fallback`. */
  ints(name: string, fallback: number[]): number[];
  /** The option as comma-separated integers of either sign (seeds), or `fallback`. */
  integers(name: string, fallback: number[]): number[];
}

export function benchArgs(bench: string, options: readonly string[], switches: readonly string[], argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const known = [...options, ...switches];
  const values = new Map<string, string>();
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!known.includes(a)) throw new Error(`${bench}: unknown argument ${a}; flags are ${known.join(' ')}`);
    given.add(a);
    if (options.includes(a)) {
      if (i + 1 >= argv.length) throw new Error(`${bench}: ${a} needs a value`);
      values.set(a, argv[++i]);
    }
  }
  const KINDS = {
    number: [(x: number) => Number.isFinite(x), 'numbers'],
    integer: [(x: number) => Number.isInteger(x), 'integers'],
    whole: [(x: number) => Number.isInteger(x) && x >= 0, 'whole numbers ≥ 0'],
  } as const;
  const list = (name: string, fallback: number[], kind: keyof typeof KINDS): number[] => {
    const v = values.get(name);
    if (v === undefined) return fallback;
    const xs = v.split(',').map(Number);
    const [ok, what] = KINDS[kind];
    if (!xs.every(ok) || v.trim() === '') throw new Error(`${bench}: ${name} expects ${what} separated by commas, got "${v}"`);
    return xs;
  };
  const one = (name: string, fallback: number, kind: 'number' | 'whole'): number => {
    const xs = list(name, [fallback], kind);
    if (xs.length !== 1) throw new Error(`${bench}: ${name} expects one number, got "${values.get(name)}"`);
    return xs[0];
  };
  return {
    has: (name) => given.has(name),
    value: (name) => values.get(name),
    num: (name, fallback) => one(name, fallback, 'number'),
    int: (name, fallback) => one(name, fallback, 'whole'),
    numbers: (name, fallback) => list(name, fallback, 'number'),
    ints: (name, fallback) => list(name, fallback, 'whole'),
    integers: (name, fallback) => list(name, fallback, 'integer'),
  };
}
