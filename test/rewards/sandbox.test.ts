// The code sandbox under attack (docs/rewards.md, threat model): programs that try to read host files, reach a loopback port,
// write outside the jail, fork-bomb, exhaust memory, loop forever, flood output, or outlive
// their run must all fail safely, with the right status and without touching the host.
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { runCode, runProgram } from '../../src/rewards/index.js';
import { seccompFilter, DENIED_SYSCALLS } from '../../src/rewards/code/seccomp.js';
import { scratchDir } from '../scratch-dir.js';

const py = (code: string, timeoutMs = 3000) => runCode({ language: 'python', code, tests: { inputs: [''], outputs: ['blocked'] }, timeoutMs });

/**
 * Live processes of the sandbox user that have been running for 2 s or more: leftovers of a
 * finished run (zombies waiting for the host's init to reap them are dead and do not count).
 */
function leftoverSandboxProcesses(): string[] {
  const r = spawnSync('ps', ['-u', '65534', '-o', 'pid=,stat=,etimes=,comm='], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && !f[1].startsWith('Z') && Number(f[2]) >= 2)
    .map((f) => f.join(' '));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 2500));

test('host files are invisible: /etc, the project, /root, the pyenv python', async () => {
  const r = await py(`
import os
leaks = []
for p in ['/etc/passwd', '/etc/hostname', ${JSON.stringify(join(process.cwd(), 'package.json'))}, '/root', '/home', '/root/.pyenv', '/var/log']:
    try:
        if os.path.isdir(p): os.listdir(p)
        else: open(p).read()
        leaks.append(p)
    except Exception:
        pass
# Its own pid namespace: the program (pid 1) is the only process; no host pid to read or signal.
pids = [p for p in os.listdir('/proc') if p.isdigit()]
if pids != ['1']: leaks.append('/proc ' + ' '.join(pids))
print('LEAK ' + ' '.join(leaks) if leaks else 'blocked')
`);
  assert.deepEqual(r.statuses, ['pass'], r.error);
});

test('the program runs as an unprivileged user and cannot become root', async () => {
  const r = await runCode({
    language: 'python',
    code: `
import os
try:
    os.setuid(0); print('root')
except OSError:
    print(os.getuid(), os.getgid())
`,
    tests: { inputs: [''], outputs: ['65534 65534'] },
  });
  assert.deepEqual(r.statuses, ['pass'], r.error);
});

test("aha's environment is nowhere in the jail: not the program's, not /proc/1 or /proc/self, not in error output", async () => {
  process.env.MY_SECRET = 'hunter2-aha-secret';
  try {
    const r = await py(`
import os
seen = [k for k, v in os.environ.items() if 'hunter2' in v]
for pid in ['1', 'self'] + [p for p in os.listdir('/proc') if p.isdigit()]:
    try:
        if b'hunter2' in open(f'/proc/{pid}/environ', 'rb').read(): seen.append(pid)
    except OSError:
        pass
print('LEAK ' + ' '.join(seen) if seen else 'blocked')
`);
    assert.deepEqual(r.statuses, ['pass'], r.error);
    // What a program prints on failure comes back to the caller as `error`.
    const shown = await runCode({
      language: 'python',
      code: "import sys\nsys.stderr.write(repr(open('/proc/1/environ', 'rb').read()))\nsys.exit(1)",
      tests: { inputs: [''], outputs: [''] },
    });
    assert.deepEqual(shown.statuses, ['runtime_error']);
    assert.match(String(shown.error), /PATH=/);
    assert.doesNotMatch(String(shown.error), /hunter2/);
  } finally {
    delete process.env.MY_SECRET;
  }
});

test('memory outside the caps: /dev/shm and /dev take no more than the 64 MiB /tmp, in total', async () => {
  // Writes 8 MiB files (under the 16 MiB file-size limit) to every place that might be writable,
  // at most 200 MiB each, and reports how much went in altogether.
  const r = await runProgram({
    language: 'python',
    program: `
import os
total = 0
for n, d in enumerate(['/dev/shm', '/dev', '/tmp', '/', '/job', '/proc', '/run', '/var/tmp', '/usr']):
    for i in range(25):
        try:
            with open(f'{d}/fill-{n}-{i}', 'wb') as f:
                f.write(b'x' * (8 << 20))
            total += 8
        except OSError:
            break
print(total)
`,
    timeoutMs: 8000,
  });
  assert.equal(r.status, 'pass', r.stderr);
  const mib = Number(r.stdout.trim());
  assert.ok(mib <= 64, `${mib} MiB written in the jail (200 MiB to /dev/shm alone is the attack)`);
  // POSIX shared memory still works (it lives in /tmp): Python's multiprocessing needs it.
  const mp = await runProgram({ language: 'python', program: 'import multiprocessing\nq = multiprocessing.Queue()\nq.put(7)\nprint(q.get())' });
  assert.equal(mp.stdout.trim(), '7', mp.stderr);
});

test('nested user namespaces and other namespaces are refused (unshare -Urm fails)', async () => {
  const r = await runProgram({
    language: 'python',
    program: `
import ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
cli = subprocess.run(['unshare', '-Urm', 'true'], capture_output=True).returncode
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET = 0x10000000, 0x00020000, 0x40000000
calls = [libc.unshare(f) for f in (CLONE_NEWUSER, CLONE_NEWUSER | CLONE_NEWNS, CLONE_NEWNET)]
print(cli, calls)
`,
  });
  assert.equal(r.stdout.trim(), '1 [-1, -1, -1]', r.stderr);
});

test('ptrace and reading another process\'s memory fail: pid 1, a child, process_vm_readv', async () => {
  const r = await runProgram({
    language: 'python',
    program: `
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_SEIZE = 16, 0x4206
child = os.fork()
if child == 0:
    time.sleep(5); os._exit(0)
out = []
for pid in (1, child):
    out.append(libc.ptrace(PTRACE_ATTACH, pid, None, None))
    out.append(libc.ptrace(PTRACE_SEIZE, pid, None, None))
class IoVec(ctypes.Structure):
    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]
buf = ctypes.create_string_buffer(16)
local, remote = IoVec(ctypes.addressof(buf), 16), IoVec(0x400000, 16)
out.append(libc.process_vm_readv(child, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
os.kill(child, 9)
print(out, ctypes.get_errno())
`,
  });
  assert.equal(r.stdout.trim(), '[-1, -1, -1, -1, -1] 1', r.stderr);
});

test('descriptors aha inherited are closed before the program runs (no channel out of the jail)', async () => {
  // `aha verify code` started with an extra open pipe on fd 20, as a careless parent might leave.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify', 'code', '--input', '-'], {
    stdio: ['pipe', 'pipe', 'pipe', ...Array<'ignore'>(17).fill('ignore'), 'pipe'],
  });
  let escaped = '';
  (child.stdio as unknown as NodeJS.ReadableStream[])[20].on('data', (c: Buffer) => (escaped += c.toString()));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const program = "import os\nn = 0\nfor fd in range(3, 256):\n    try:\n        os.write(fd, b'ESCAPED'); n += 1\n    except OSError:\n        pass\nprint(n)";
  child.stdin!.end(JSON.stringify({ language: 'python', code: program, tests: { inputs: [''], outputs: ['0'] } }) + '\n');
  await new Promise((resolve) => child.on('close', resolve));
  assert.equal(escaped, '');
  assert.deepEqual(JSON.parse(out).statuses, ['pass'], out);
});

/** Whether a python3 runs among the descendants of process `root` (the jailed program). */
function jailedChildOf(root: number): boolean {
  const rows = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.trim().split(/\s+/));
  const tree = new Set([String(root)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) if (tree.has(ppid) && !tree.has(pid)) grew = Boolean(tree.add(pid));
  }
  return rows.some(([pid, , comm]) => tree.has(pid) && pid !== String(root) && comm?.startsWith('python3'));
}

test('a killed `aha verify` leaves no job folder and no process behind', async () => {
  // Its own TMPDIR, so other programs' temporary folders cannot be mistaken for ours.
  const tmp = scratchDir('aha-killed-verify-');
  chmodSync(tmp, 0o755); // as /tmp is: open to the sandbox user, should anything be put there
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify', 'code', '--input', '-', '--timeout-ms', '60000'], {
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { ...process.env, TMPDIR: tmp },
  });
  child.stdin.end(JSON.stringify({ language: 'python', code: 'import time\ntime.sleep(60)', tests: { inputs: [''], outputs: [''] } }) + '\n');
  // Wait until the program is running in the jail, then kill aha outright.
  const started = Date.now();
  while (!jailedChildOf(child.pid!) && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(jailedChildOf(child.pid!), 'the program never started');
  const ours = () => readdirSync(tmp).filter((n) => n.startsWith('aha-')); // (tsx keeps its cache there too)
  const during = ours();
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  await settle();
  assert.deepEqual(during, [], 'job files were written to a host folder');
  assert.deepEqual(ours(), []);
  assert.deepEqual(leftoverSandboxProcesses(), []);
});

/**
 * A classic-BPF interpreter for the few instructions the filter uses, to check its decisions
 * on both supported architectures (only one of them runs the live tests).
 */
function runFilter(bytes: Buffer, data: { nr: number; arch: number; arg0?: number }): number {
  const word = (off: number): number => (off === 0 ? data.nr : off === 4 ? data.arch : off === 16 ? (data.arg0 ?? 0) : 0);
  let acc = 0;
  for (let pc = 0; pc * 8 < bytes.length; pc++) {
    const code = bytes.readUInt16LE(pc * 8);
    const jt = bytes[pc * 8 + 2];
    const jf = bytes[pc * 8 + 3];
    const k = bytes.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = word(k);
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x35) pc += acc >= k ? jt : jf;
    else if (code === 0x45) pc += (acc & k) !== 0 ? jt : jf;
    else throw new Error(`unexpected opcode ${code}`);
  }
  throw new Error('fell off the end of the filter');
}

test('the seccomp filter decides as documented on x86-64 and arm64', () => {
  const ALLOW = 0x7fff0000;
  const EPERM = 0x50001;
  const ENOSYS = 0x50026;
  const KILL = 0x80000000;
  const cases = {
    x64: { arch: 0xc000003e, read: 0, ptrace: 101, clone: 56, clone3: 435, unshare: 272, memfd: 319 },
    arm64: { arch: 0xc00000b7, read: 63, ptrace: 117, clone: 220, clone3: 435, unshare: 97, memfd: 279 },
  };
  for (const [name, c] of Object.entries(cases)) {
    const f = seccompFilter(name);
    const run = (nr: number, arg0 = 0, arch = c.arch) => runFilter(f, { nr, arch, arg0 });
    assert.equal(run(c.read), ALLOW, name);
    assert.equal(run(c.ptrace), EPERM, name);
    assert.equal(run(c.memfd), EPERM, name);
    assert.equal(run(c.clone, 0x11 /* SIGCHLD */), ALLOW, `${name}: fork`);
    assert.equal(run(c.clone, 0x3d0f00 /* pthread_create's flags */), ALLOW, `${name}: thread`);
    assert.equal(run(c.clone, 0x10000011 /* CLONE_NEWUSER */), EPERM, name);
    assert.equal(run(c.unshare, 0x80 /* CLONE_NEWTIME */), EPERM, name);
    assert.equal(run(c.unshare, 0x200 /* CLONE_FS: no namespace */), ALLOW, name);
    assert.equal(run(c.clone3), ENOSYS, name);
    assert.equal(run(c.read, 0, 0x40000003 /* i386 */), KILL, name);
  }
  assert.equal(runFilter(seccompFilter('x64'), { nr: 0x40000000, arch: 0xc000003e }), EPERM, 'x32 calls');
  assert.ok(DENIED_SYSCALLS.length > 30);
  assert.throws(() => seccompFilter('riscv64'), /no seccomp filter for CPU architecture riscv64/);
});

test('a loopback port, an abstract unix socket and DNS on the host cannot be reached (no network)', async () => {
  const server = createServer((s) => s.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const abstractName = `aha-probe-${process.pid}`;
  // Node pads abstract socket names; Python binds the exact name the jailed program will try.
  const unix = spawn('/usr/bin/python3', ['-c', `import socket, time\ns = socket.socket(socket.AF_UNIX)\ns.bind('\\0${abstractName}')\ns.listen()\nprint('ready', flush=True)\ntime.sleep(60)`]);
  await new Promise((resolve) => unix.stdout.once('data', resolve));
  try {
    const r = await py(`
import socket
leaks = []
for family, addr in [(socket.AF_INET, ('127.0.0.1', ${port})), (socket.AF_INET6, ('::1', ${port})), (socket.AF_UNIX, '\\0${abstractName}')]:
    try:
        s = socket.socket(family, socket.SOCK_STREAM); s.settimeout(1); s.connect(addr); leaks.append(str(addr))
    except OSError:
        pass
try:
    socket.getaddrinfo('deb.debian.org', 80); leaks.append('dns')
except OSError:
    pass
print('LEAK ' + ' '.join(leaks) if leaks else 'blocked')
`);
    assert.deepEqual(r.statuses, ['pass'], r.error);
    const js = await runCode({
      language: 'javascript',
      code: `const s = require('net').connect(${port}, '127.0.0.1'); s.on('connect', () => { console.log('LEAK'); process.exit(0); }); s.on('error', () => console.log('blocked'));`,
      tests: { inputs: [''], outputs: ['blocked'] },
    });
    assert.deepEqual(js.statuses, ['pass'], js.error);
  } finally {
    server.close();
    unix.kill();
  }
});

test('writes outside the private /tmp fail, and /tmp writes do not reach the host', async () => {
  const marker = `aha-sandbox-probe-${process.pid}-${Date.now()}`;
  const r = await py(`
wrote = []
for p in ['/usr/${marker}', '/job/${marker}', '/${marker}', '/work/${marker}']:
    try:
        open(p, 'w').write('x'); wrote.append(p)
    except Exception:
        pass
open('/tmp/${marker}', 'w').write('private')
print('LEAK ' + ' '.join(wrote) if wrote else 'blocked')
`);
  assert.deepEqual(r.statuses, ['pass'], r.error);
  assert.equal(existsSync(`/tmp/${marker}`), false);
  assert.equal(existsSync(`/usr/${marker}`), false);
});

test('a fork bomb is contained by the process limit and leaves nothing behind', async () => {
  const t = performance.now();
  const r = await runCode({
    language: 'python',
    code: `
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`,
    tests: { inputs: [''], outputs: [''] },
    timeoutMs: 2000,
  });
  assert.ok(['timeout', 'runtime_error'].includes(r.statuses[0]), r.statuses[0]);
  assert.ok(performance.now() - t < 6000);
  await settle();
  assert.deepEqual(leftoverSandboxProcesses(), []);
});

test('a memory bomb gets memory_limit (Python and JavaScript)', async () => {
  const r = await runCode({ language: 'python', code: 'x = []\nwhile True:\n    x.append(bytearray(50 * 1024 * 1024))', tests: { inputs: [''], outputs: [''] }, memoryMb: 256 });
  assert.deepEqual(r.statuses, ['memory_limit']);
  const js = await runProgram({ language: 'javascript', program: 'const a = []; for (;;) a.push(new Array(1e6).fill(1));', memoryMb: 128 });
  assert.equal(js.status, 'memory_limit');
});

test('an infinite loop gets timeout, killed on the wall clock', async () => {
  const t = performance.now();
  const r = await runCode({ language: 'python', code: 'while True:\n    pass', tests: { inputs: ['', ''], outputs: ['', ''] }, timeoutMs: 1000 });
  assert.deepEqual(r.statuses, ['timeout', 'timeout']);
  const sleeper = await runProgram({ language: 'javascript', program: 'setInterval(() => {}, 1000);', timeoutMs: 1000 });
  assert.equal(sleeper.status, 'timeout');
  assert.ok(performance.now() - t < 6000);
});

test('a daemon that outlives its parent is killed with the run', async () => {
  const t = performance.now();
  const r = await runProgram({ language: 'python', program: 'import os, time\nif os.fork() == 0:\n    time.sleep(60)\nprint("parent done")', timeoutMs: 5000 });
  assert.equal(r.status, 'pass');
  assert.ok(performance.now() - t < 4000, 'the run waited for the daemon');
  await settle();
  assert.deepEqual(leftoverSandboxProcesses(), []);
});

test('output floods and huge files are cut off', async () => {
  const flood = await runCode({ language: 'python', code: 'while True:\n    print("x" * 10000)', tests: { inputs: [''], outputs: [''] }, timeoutMs: 5000 });
  assert.deepEqual(flood.statuses, ['runtime_error']);
  const big = await py(`
try:
    open('/tmp/big', 'wb').write(b'x' * (64 * 1024 * 1024)); print('LEAK')
except OSError:
    print('blocked')
`);
  // RLIMIT_FSIZE stops the write (SIGXFSZ or EFBIG): either way the program never prints "blocked" or "LEAK" after a full write.
  assert.notEqual(big.statuses[0], 'wrong_answer', 'a 64 MB file was written');
  // Many files within the size limit still cannot fill the host's memory: /tmp is capped.
  const many = await runProgram({
    language: 'python',
    program: "n = 0\ntry:\n    for i in range(100):\n        open(f'/tmp/f{i}', 'wb').write(b'x' * (8 << 20)); n += 1\nexcept OSError as e:\n    print(e.errno)",
  });
  assert.equal(many.stdout.trim(), '28', 'expected ENOSPC from the capped /tmp');
});

test('`aha verify code` exits 0 when every line was checked (failed tests included), 1 when some could not be', () => {
  const verify = (lines: unknown[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify', 'code', '--input', '-'], {
      input: lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n',
      encoding: 'utf8',
    });
  const failing = { language: 'python', code: 'raise SystemExit(3)', tests: { inputs: [''], outputs: ['1'] } };
  const ok = verify([{ language: 'python', code: 'print(1)', tests: { inputs: [''], outputs: ['1'] } }, failing]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim().split('\n').length, 2);
  const bad = verify([failing, '{not json', { language: 'python', tests: { inputs: [], outputs: [] } }]);
  assert.equal(bad.status, 1);
  const out = bad.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(out[0].statuses, ['runtime_error']);
  assert.match(String(out[1].error), /<stdin>:2: not valid JSON/);
  assert.match(String(out[2].error), /<stdin>:3, field "code": missing/);
  assert.match(bad.stderr, /^aha: 2 of 3 input lines could not be checked/);
});

test('without a working sandbox, code is refused (never run unsandboxed)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify', 'code', '--input', '-'], {
    input: '{"language":"python","code":"print(1)","tests":{"inputs":[""],"outputs":["1"]}}\n',
    env: { ...process.env, AHA_BWRAP: '/nonexistent/bwrap' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /sandbox does not work here.*nonexistent.*apt-get install bubblewrap/s);
  assert.equal(r.stdout, '');
  // The python the jail runs is Debian's, never a user-installed one.
  assert.equal(execFileSync('/usr/bin/python3', ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim(), '/usr');
});
