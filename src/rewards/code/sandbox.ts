// The OS sandbox for model-written programs: bubblewrap (new user, pid, net, ipc, uts, cgroup
// namespaces; read-only /usr; a capped private /tmp as the only writable place; no host files),
// entered as the unprivileged uid 65534 so RLIMIT_NPROC really applies, under a seccomp filter
// (seccomp.ts), with prlimit caps on CPU time, address space, process count, file size and open
// files, and a wall-clock SIGKILL. bubblewrap starts with an empty environment, so nothing of
// aha's environment exists anywhere in the jail. The threat model is in docs/rewards.md.
// If bubblewrap does not work here, nothing runs: there is no unsandboxed fallback.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync, accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { AhaError } from '../../util/errors.js';
import { seccompFilter, seccompUnsupported } from './seccomp.js';

/** The unprivileged user the jail runs as, inside and outside (Debian's "nobody"). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;
/** Size of the jail's private /tmp (a tmpfs, so it lives in memory). */
export const TMP_SIZE_BYTES = 64 * 1024 * 1024;
/** Where the job's files appear inside the jail (read-only, copied in by bubblewrap). */
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
  /** The signal that ended the program, e.g. "SIGKILL" (a plain string, so the public declarations need no @types/node). */
  signal: string | null;
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
const BASH = '/usr/bin/bash';
/**
 * First thing run in the jail (already under the filter): closes every fd above 2 before the
 * program starts, since a descriptor aha inherited without close-on-exec (from whatever started
 * it) would otherwise pass through bubblewrap into the jail: a channel to the outside.
 */
const CLOSE_INHERITED_FDS = 'for p in /proc/self/fd/*; do n=${p##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; exec "$@"';

/** Device nodes the jail gets (bound from the host; everything else in /dev is absent). */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom'];

/** What `jailArgs` needs besides the binds: fds bubblewrap reads the filter and the job files from. */
export interface JailInputs {
  /** fd carrying the seccomp filter (`seccompFilter()`). */
  seccompFd: number;
  /** Job files, name -> fd carrying its content; each appears read-only as JOB_DIR/name. */
  fileFds?: Record<string, number>;
  /** Extra read-only folders (an interpreter outside /usr). */
  extraRoBinds?: readonly string[];
}

/**
 * bwrap arguments that build the jail. Nothing of the host is writable or shared: the job's
 * files are copied in from fds (no host folder to leave behind), /dev holds five device nodes,
 * /dev/shm is /tmp (so shared memory counts against the one capped tmpfs), the program is pid 1
 * of its own pid namespace (no bubblewrap process inside to read or ptrace), further user
 * namespaces are disabled, and the seccomp filter refuses ptrace, mounts, namespaces and the
 * other calls listed in seccomp.ts.
 */
export function jailArgs(inputs: JailInputs): string[] {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_GID),
    '--as-pid-1',
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
  for (const p of inputs.extraRoBinds ?? []) args.push('--ro-bind', p, p);
  args.push('--proc', '/proc', '--dir', '/dev');
  for (const d of DEVICES) args.push('--dev-bind', `/dev/${d}`, `/dev/${d}`);
  args.push('--symlink', '/proc/self/fd', '/dev/fd');
  ['stdin', 'stdout', 'stderr'].forEach((name, fd) => args.push('--symlink', `/proc/self/fd/${fd}`, `/dev/${name}`));
  args.push(
    // The only writable place: a private /tmp, capped so many small files cannot fill the
    // host's memory; POSIX shared memory (/dev/shm) lands in it too.
    '--size', String(TMP_SIZE_BYTES),
    '--tmpfs', '/tmp',
    '--symlink', '/tmp', '/dev/shm',
    '--perms', '0555',
    '--dir', JOB_DIR,
  );
  for (const [name, fd] of Object.entries(inputs.fileFds ?? {})) {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`bad job file name ${name}`);
    args.push('--perms', '0444', '--ro-bind-data', String(fd), `${JOB_DIR}/${name}`);
  }
  args.push(
    // The jail's own root is a tmpfs; make it read-only so only /tmp is writable.
    '--remount-ro', '/',
    '--seccomp', String(inputs.seccompFd),
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

let filter: Buffer | null = null;
const filterBytes = (): Buffer => (filter ??= seccompFilter());

let sandboxCheck: { ok: true } | { ok: false; why: string } | null = null;

/** Runs `true` in the jail once per process; the result is cached. */
export function sandboxStatus(): { ok: true } | { ok: false; why: string } {
  if (sandboxCheck) return sandboxCheck;
  if (process.platform !== 'linux') return (sandboxCheck = { ok: false, why: 'the code sandbox needs Linux (bubblewrap)' });
  const bwrap = bwrapPath();
  if (!existsSync(bwrap)) return (sandboxCheck = { ok: false, why: `${bwrap} not found` });
  for (const tool of [PRLIMIT, BASH]) if (!existsSync(tool)) return (sandboxCheck = { ok: false, why: `${tool} not found` });
  const unsupported = seccompUnsupported();
  if (unsupported) return (sandboxCheck = { ok: false, why: unsupported });
  // The filter goes in on stdin (fd 0) here, since spawnSync can feed no other fd.
  const r = spawnSync(bwrap, [...jailArgs({ seccompFd: 0 }), '--', '/usr/bin/true'], {
    ...asSandboxUser(),
    env: {},
    input: filterBytes(),
    timeout: 10_000,
    encoding: 'utf8',
  });
  if (r.error) return (sandboxCheck = { ok: false, why: r.error.message });
  if (r.status !== 0) {
    const why = (r.stderr || `exit ${r.status}`).trim();
    // --disable-userns arrived in bubblewrap 0.8.0; older ones cannot stop nested namespaces.
    return (sandboxCheck = { ok: false, why: /disable-userns|Unknown option/.test(why) ? `${why} (bubblewrap 0.8.0 or newer is needed)` : why });
  }
  return (sandboxCheck = { ok: true });
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
  // fd 3 carries the seccomp filter, fds 4, 5, ... the job files, in order.
  const names = Object.keys(job.files);
  const fileFds = Object.fromEntries(names.map((name, i) => [name, 4 + i]));
  const args = jailArgs({ seccompFd: 3, fileFds, extraRoBinds });
  for (const [k, v] of Object.entries(job.env ?? {})) args.push('--setenv', k, v);
  args.push('--', BASH, '-c', CLOSE_INHERITED_FDS, 'aha-jail', ...prlimitArgs(job.limits), ...job.argv);
  const started = performance.now();
  return new Promise<SandboxRun>((resolve) => {
    // env {}: bubblewrap itself must not carry aha's environment (secrets) into the namespace.
    const child = spawn(bwrapPath(), args, { ...asSandboxUser(), env: {}, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe', ...names.map(() => 'pipe' as const)] });
    const feed = (fd: number, data: string | Uint8Array): void => {
      const w = child.stdio[fd] as Writable | null;
      if (!w) return;
      w.on('error', () => {}); // bubblewrap failed before reading it; the exit status says why
      w.end(data);
    };
    feed(3, filterBytes());
    names.forEach((name, i) => feed(4 + i, job.files[name]));
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
