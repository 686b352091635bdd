// The code sandbox under attack: programs that try to read host files, reach a loopback port,
// write outside the jail, fork-bomb, exhaust memory, loop forever, flood output, or outlive
// their run must all fail safely, with the right status and without touching the host.
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { runCode, runProgram } from '../../src/rewards/index.js';

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

test('the host environment does not leak into the jail', async () => {
  process.env.AHA_SECRET_MARKER = 'hunter2';
  const r = await py(`import os\nprint('LEAK' if any('hunter2' in v for v in os.environ.values()) else 'blocked')`);
  delete process.env.AHA_SECRET_MARKER;
  assert.deepEqual(r.statuses, ['pass'], r.error);
});

test('a loopback port on the host cannot be reached (no network)', async () => {
  const server = createServer((s) => s.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await py(`
import socket
try:
    s = socket.create_connection(('127.0.0.1', ${port}), timeout=1)
    print('LEAK', s.recv(10))
except OSError:
    print('blocked')
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
