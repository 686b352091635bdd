// The live dashboard: a node:http server that serves the report page for one or more run folders
// and a JSON endpoint the page polls for lines appended since its last poll. The run files are
// followed incrementally (only new bytes are read), so a long run costs little per poll.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AhaError } from '../util/errors.js';
import { buildCharts, dataSignature } from './chart-spec.js';
import { renderHtml } from './html.js';
import { buildPayload, summarize, type Cursor, type RunSummary } from './page-data.js';
import { checkRunDir, readConfig, RunFiles, runNames, type CompletionRow, type EvalRow, type MetricRow, type RunData } from './run-data.js';

export interface DashboardOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How often the page asks for new lines, in milliseconds. */
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What api/updates returns: the lines after the page's cursor, and new charts if lines appeared. */
export interface Update {
  generation: number;
  sig: string;
  cursor: Cursor[];
  charts?: ReturnType<typeof buildCharts>;
  runs: { metrics: MetricRow[]; completions: CompletionRow[]; evals: EvalRow[]; evalCompletions: CompletionRow[]; summary: RunSummary }[];
}

class LiveRuns {
  readonly files: RunFiles[];
  readonly names: string[];
  generation = 0;

  constructor(dirs: readonly string[]) {
    if (dirs.length === 0) throw new AhaError('give at least one run folder');
    this.files = dirs.map((d) => new RunFiles(checkRunDir(d, true)));
    this.names = runNames(dirs);
  }

  /** Reads what was appended; a truncated file (restarted run) bumps the generation. */
  poll(): void {
    for (const f of this.files) if (f.poll()) this.generation += 1;
  }

  snapshot(withConfig: boolean): RunData[] {
    return this.files.map((f, i) => ({
      name: this.names[i],
      dir: f.dir,
      config: withConfig ? readConfig(f.dir) : null,
      metrics: f.metrics.rows,
      completions: f.completions.rows,
      evals: f.evals.rows,
      evalCompletions: f.evalCompletions.rows,
    }));
  }

  update(cursor: Cursor[], sig: string): Update {
    const runs = this.snapshot(false);
    const now = dataSignature(runs);
    return {
      generation: this.generation,
      sig: now,
      cursor: runs.map((r) => ({ m: r.metrics.length, c: r.completions.length, e: r.evals.length, x: r.evalCompletions.length })),
      charts: now !== sig ? buildCharts(runs) : undefined,
      runs: runs.map((r, i) => ({
        metrics: r.metrics.slice(cursor[i].m),
        completions: r.completions.slice(cursor[i].c),
        evals: r.evals.slice(cursor[i].e),
        evalCompletions: r.evalCompletions.slice(cursor[i].x),
        summary: summarize(r.metrics),
      })),
    };
  }
}

function parseCursor(raw: string | null, runCount: number): Cursor[] {
  let v: unknown;
  try {
    v = JSON.parse(raw ?? '');
  } catch {
    throw new RequestError('cursor must be JSON');
  }
  const ok = (x: unknown): x is Cursor => {
    const c = x as Cursor;
    return typeof x === 'object' && x !== null && [c.m, c.c, c.e, c.x].every((n) => Number.isInteger(n) && n >= 0);
  };
  if (!Array.isArray(v) || v.length !== runCount || !v.every(ok)) throw new RequestError(`cursor must be ${runCount} objects {m, c, e, x} of counts`);
  return v;
}

class RequestError extends Error {}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

export async function startDashboard(runDirs: readonly string[], opts: DashboardOptions = {}): Promise<Dashboard> {
  const live = new LiveRuns(runDirs);
  const pollMs = opts.pollMs ?? 2000;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
      if (url.pathname === '/' || url.pathname === '/index.html') {
        live.poll();
        const payload = buildPayload(live.snapshot(true), { live: { pollMs }, generation: live.generation });
        return send(res, 200, 'text/html; charset=utf-8', renderHtml(payload));
      }
      if (url.pathname === '/api/updates') {
        const cursor = parseCursor(url.searchParams.get('cursor'), live.files.length);
        live.poll();
        return send(res, 200, 'application/json', JSON.stringify(live.update(cursor, url.searchParams.get('sig') ?? '')));
      }
      return send(res, 404, 'text/plain', 'not found\n');
    } catch (err) {
      if (err instanceof RequestError) return send(res, 400, 'application/json', JSON.stringify({ error: err.message }));
      // A bad line in a run file: tell the page (and the terminal), keep serving.
      const message = err instanceof AhaError ? err.message : String(err);
      process.stderr.write(`aha dashboard: ${message}\n`);
      return send(res, 500, 'application/json', JSON.stringify({ error: message }));
    }
  };
  const server = createServer(handle);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new AhaError(`port ${opts.port} on ${host} is already in use; pick another with --port`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new AhaError(`cannot listen on host ${host}: ${err.code}`));
      else reject(err);
    });
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
