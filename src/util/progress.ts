// Progress bars for long work. On a terminal, a live bar with ETA and custom fields (cli-progress);
// elsewhere (CI, pipes), a plain line at most every few seconds so logs stay readable.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Advance by `delta` (default 1) and update the shown fields. */
  tick(delta?: number, fields?: Record<string, string | number>): void;
  /** Set the absolute position. */
  update(value: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Label before the bar, e.g. "train". */
  label: string;
  total: number;
  /**
   * Where counting starts: a resumed run's saved step. The ETA comes from the rate since then,
   * not from all the steps the run ever did (default 0).
   */
  start?: number;
  /** Names of extra fields shown after the bar, e.g. ["acc", "len"]. */
  fields?: string[];
  /** Write to this stream (default stderr, so stdout stays machine-readable). */
  stream?: NodeJS.WriteStream;
  /** Force plain-line mode even on a terminal. */
  plain?: boolean;
  /** Hide entirely (for tests and --quiet). */
  silent?: boolean;
}

function fmtFields(names: string[], fields: Record<string, string | number>): string {
  return names
    .filter((n) => fields[n] !== undefined)
    .map((n) => `${n}=${typeof fields[n] === 'number' ? fmtNum(fields[n] as number) : fields[n]}`)
    .join(' ');
}

function fmtNum(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function progress(opts: ProgressOptions): Progress {
  const names = opts.fields ?? [];
  const stream = opts.stream ?? process.stderr;
  if (opts.silent) return { tick() {}, update() {}, stop() {} };
  if (!opts.plain && stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${opts.label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted} | {extra}`,
        stream,
        hideCursor: true,
        barsize: 24,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    let value = opts.start ?? 0;
    bar.start(opts.total, value, { extra: '' });
    return {
      tick(delta = 1, fields = {}) {
        value += delta;
        bar.update(value, { extra: fmtFields(names, fields) });
      },
      update(v, fields = {}) {
        value = v;
        bar.update(value, { extra: fmtFields(names, fields) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const start = Date.now();
  const base = opts.start ?? 0;
  let value = base;
  let lastPrint = 0;
  let last: Record<string, string | number> = {};
  const print = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastPrint < 5000 && value < opts.total) return;
    lastPrint = now;
    const elapsed = (now - start) / 1000;
    const done = value - base;
    const eta = done > 0 ? (elapsed * (opts.total - value)) / done : NaN;
    stream.write(`${opts.label} ${value}/${opts.total} elapsed ${formatSeconds(elapsed)} ETA ${formatSeconds(eta)} ${fmtFields(names, last)}\n`);
  };
  return {
    tick(delta = 1, fields = {}) {
      value += delta;
      last = { ...last, ...fields };
      print(false);
    },
    update(v, fields = {}) {
      value = v;
      last = { ...last, ...fields };
      print(false);
    },
    stop() {
      if (value < opts.total) print(true);
    },
  };
}
