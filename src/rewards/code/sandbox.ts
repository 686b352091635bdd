// The OS sandbox for model-written programs: bubblewrap (new user, pid, net, ipc, uts, cgroup
// namespaces; read-only /usr; private /tmp; no host files), entered as the unprivileged uid
// 65534 so RLIMIT_NPROC really applies, with prlimit caps on CPU time, address space, process
// count, file size and open files, and a wall-clock SIGKILL of the whole process group.
// If bubblewrap does not work here, nothing runs: there is no unsandboxed fallback.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync, existsSync, realpathSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { AhaError } from '../../util/errors.js';

/** The unprivileged user the jail runs as, inside and outside (Debian's "nobody"). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;
/** Size of the jail's private /tmp (a tmpfs, so it lives in memory). */
export const TMP_SIZE_BYTES = 64 * 1024 * 1024;
/** Where the job's files appear inside the jail (read-only). */
export const JOB_DIR = '/job';

export interface SandboxLimits {
  /** Wall-clock limit in ms; the process group is killed after it. */
  timeoutMs: number;
  /** Address-space limit in MiB (RLIMIT_AS). */
  addressSpaceMb: number;
  /** CPU-time limit in seconds (RLIMIT_CPU), normally a little above the wall limit. */
  cpuSeconds: number;
  /** Processes + threads of the sandbox user (RLIMIT_NPROC). */
  maxProcesses: number;
  /** Largest file the program may write, in MiB (RLIMIT_FSIZE). */
  maxFileMb: number;
  /** Bytes of stdout/stderr kept; a program printing more is killed. */
  maxOutputBytes: number;
}

export interface SandboxRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed by the wall-clock limit. */
  timedOut: boolean;
  /** Killed for printing more than maxOutputBytes. */
  outputLimited: boolean;
  wallMs: number;
}

export interface SandboxJob {
  /** Files placed in JOB_DIR, name -> content. */
  files: Record<string, string | Uint8Array>;
  /** Program and arguments as seen inside the jail. */
  argv: string[];
  stdin?: string;
  limits: SandboxLimits;
  /** Extra environment variables inside the jail. */
  env?: Record<string, string>;
}

/** bubblewrap binary; AHA_BWRAP overrides it (e.g. a non-standard install). */
function bwrapPath(): string {
  return process.env.AHA_BWRAP ?? '/usr/bin/bwrap';
}
const PRLIMIT = '/usr/bin/prlimit';

/** bwrap arguments that build the jail around JOB_DIR (bound from `hostJobDir`). */
export function jailArgs(hostJobDir: string, extraRoBinds: readonly string[] = []): string[] {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_GID),
    '--die-with-parent',
    '--new-session',
    '--ro-bind', '/usr', '/usr',
  ];
  // Merged-/usr systems have /bin -> usr/bin etc.; others have real folders to bind.
  for (const top of ['/bin', '/lib', '/lib64', '/sbin']) {
    if (!existsSync(top)) continue;
    const real = realpathSync(top);
    if (real.startsWith('/usr/')) args.push('--symlink', real.slice(1), top);
    else args.push('--ro-bind', top, top);
  }
  for (const p of extraRoBinds) args.push('--ro-bind', p, p);
  args.push(
    '--proc', '/proc',
    '--dev', '/dev',
    // A private /tmp, capped so many small files cannot fill the host's memory.
    '--size', String(TMP_SIZE_BYTES),
    '--tmpfs', '/tmp',
    '--ro-bind', hostJobDir, JOB_DIR,
    // The jail's own root is a tmpfs; make it read-only so only /tmp is writable.
    '--remount-ro', '/',
    '--chdir', '/tmp',
    '--clearenv',
    '--setenv', 'PATH', '/usr/bin:/bin',
    '--setenv', 'HOME', '/tmp',
    '--setenv', 'LANG', 'C.UTF-8',
    '--setenv', 'PYTHONDONTWRITEBYTECODE', '1',
    '--setenv', 'PYTHONHASHSEED', '0',
  );
  return args;
}

function prlimitArgs(l: SandboxLimits): string[] {
  return [
    PRLIMIT,
    `--cpu=${l.cpuSeconds}`,
    `--as=${l.addressSpaceMb * 1024 * 1024}`,
    `--nproc=${l.maxProcesses}`,
    `--fsize=${l.maxFileMb * 1024 * 1024}`,
    '--nofile=64',
    '--core=0',
    '--',
  ];
}

let sandboxCheck: { ok: true } | { ok: false; why: string } | null = null;

/** Runs `true` in the jail once per process; the result is cached. */
export function sandboxStatus(): { ok: true } | { ok: false; why: string } {
  if (sandboxCheck) return sandboxCheck;
  if (process.platform !== 'linux') return (sandboxCheck = { ok: false, why: 'the code sandbox needs Linux (bubblewrap)' });
  const bwrap = bwrapPath();
  if (!existsSync(bwrap)) return (sandboxCheck = { ok: false, why: `${bwrap} not found` });
  if (!existsSync(PRLIMIT)) return (sandboxCheck = { ok: false, why: `${PRLIMIT} not found` });
  const dir = makeJobDir({});
  try {
    const r = spawnSync(bwrap, [...jailArgs(dir), '--', '/usr/bin/true'], { ...asSandboxUser(), timeout: 10_000, encoding: 'utf8' });
    if (r.error) return (sandboxCheck = { ok: false, why: r.error.message });
    if (r.status !== 0) return (sandboxCheck = { ok: false, why: (r.stderr || `exit ${r.status}`).trim() });
    return (sandboxCheck = { ok: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Throws a clear AhaError unless the sandbox works on this machine. */
export function assertSandbox(): void {
  const s = sandboxStatus();
  if (!s.ok) {
    throw new AhaError(
      `cannot run code: the bubblewrap sandbox does not work here (${s.why}). ` +
        'Install it (Debian/Ubuntu: apt-get install bubblewrap util-linux) and allow unprivileged user namespaces ' +
        '(sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0). ' +
        'aha never runs model code outside the sandbox.',
    );
  }
}

/** Spawn options that drop to the sandbox user before exec, when we are root. */
function asSandboxUser(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: SANDBOX_UID, gid: SANDBOX_GID } : {};
}

function makeJobDir(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'aha-job-'));
  chmodSync(dir, 0o755); // readable by the sandbox user, who binds it
  for (const [name, content] of Object.entries(files)) {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`bad job file name ${name}`);
    const p = join(dir, name);
    writeFileSync(p, content);
    chmodSync(p, 0o644);
  }
  return dir;
}

/** Read-only folders the jail needs for `binary` when it lives outside /usr (e.g. a custom node). */
export function bindsFor(binary: string): string[] {
  const real = realpathSync(binary);
  if (real.startsWith('/usr/')) return [];
  try {
    accessSync(real, constants.R_OK | constants.X_OK);
  } catch {
    return [];
  }
  return [dirname(real)];
}

/** Runs one job in the jail. Never throws for program failures; throws if the sandbox is missing. */
export function runSandboxed(job: SandboxJob, extraRoBinds: readonly string[] = []): Promise<SandboxRun> {
  assertSandbox();
  const dir = makeJobDir(job.files);
  const args = [...jailArgs(dir, extraRoBinds)];
  for (const [k, v] of Object.entries(job.env ?? {})) args.push('--setenv', k, v);
  args.push('--', ...prlimitArgs(job.limits), ...job.argv);
  const started = performance.now();
  return new Promise<SandboxRun>((resolve) => {
    const child = spawn(bwrapPath(), args, { ...asSandboxUser(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let timedOut = false;
    let outputLimited = false;
    let finished = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, job.limits.timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > job.limits.maxOutputBytes) {
        if (!outputLimited) {
          outputLimited = true;
          killGroup();
        }
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.stdin.on('error', () => {}); // the program may exit without reading its input
    child.stdin.end(job.stdin ?? '');
    const done = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      killGroup(); // leftovers (the jail dies with bwrap anyway)
      rmSync(dir, { recursive: true, force: true });
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        outputLimited,
        wallMs: performance.now() - started,
      });
    };
    child.on('error', (e) => {
      err.push(Buffer.from(String(e.message)));
      done(null, null);
    });
    child.on('close', done);
  });
}
