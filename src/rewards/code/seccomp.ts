// The seccomp filter every sandboxed program runs under: a classic-BPF program, handed to
// bubblewrap with `--seccomp FD`, that refuses (EPERM) the system calls a test program never
// needs and a jail escape or a memory grab would: ptrace and reading other processes' memory,
// mounts, new namespaces, keyrings, eBPF, perf, userfaultfd, io_uring, SysV shared memory and
// memfd (memory that no file-size or tmpfs cap counts), module and kexec loading.
//
// Layout (kernel Documentation/userspace-api/seccomp_filter.rst, <linux/seccomp.h>,
// <linux/filter.h>): the filter reads `struct seccomp_data { int nr; __u32 arch; __u64
// instruction_pointer; __u64 args[6]; }`, so nr is at byte 0, arch at 4 and args[i] at 16 + 8i
// (the low 32 bits first on these little-endian machines). Each instruction is `struct
// sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }`, 8 bytes in native byte order; jumps
// are forward only, counted from the next instruction. bubblewrap reads the array from the fd
// and installs it (with no_new_privs) just before it execs the program.
import { endianness } from 'node:os';

// Opcodes (<linux/bpf_common.h>).
const BPF_LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const BPF_JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JGE_K = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const BPF_JSET_K = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const BPF_RET_K = 0x06; // BPF_RET | BPF_K

// Return values (<linux/seccomp.h>).
const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const EPERM = 1;
const ENOSYS = 38;

// Offsets in struct seccomp_data.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

/** Namespace flags (<linux/sched.h>): NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
/** unshare() also takes CLONE_NEWTIME (0x80); in clone() those low bits are the exit signal. */
const UNSHARE_NAMESPACE_FLAGS = CLONE_NAMESPACE_FLAGS | 0x00000080;

/** Calls refused outright, by name. */
export const DENIED_SYSCALLS = [
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd', 'process_madvise', 'kcmp',
  'mount', 'umount2', 'pivot_root', 'chroot', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr',
  'setns', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'shmget', 'memfd_create',
  'open_by_handle_at', 'name_to_handle_at', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  'swapon', 'swapoff', 'reboot', 'acct', 'syslog',
] as const;
type Denied = (typeof DENIED_SYSCALLS)[number];
type Syscall = Denied | 'clone' | 'clone3' | 'unshare';

interface ArchTable {
  /** AUDIT_ARCH_* (<linux/audit.h>). */
  audit: number;
  /** x86-64 also accepts x32 calls (numbers with bit 30 set) under the same arch value. */
  x32Bit: boolean;
  nr: Record<Syscall, number>;
}

// Numbers from <asm/unistd_64.h> (x86-64) and <asm-generic/unistd.h> (arm64); 424 and up are
// shared by every architecture.
const SHARED = { pidfd_getfd: 438, process_madvise: 440, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, move_mount: 429, open_tree: 428, mount_setattr: 442, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427, clone3: 435 };
const ARCHES: Record<string, ArchTable> = {
  x64: {
    audit: 0xc000003e,
    x32Bit: true,
    nr: {
      ...SHARED,
      ptrace: 101, process_vm_readv: 310, process_vm_writev: 311, kcmp: 312, mount: 165, umount2: 166, pivot_root: 155, chroot: 161,
      setns: 308, keyctl: 250, add_key: 248, request_key: 249, bpf: 321, perf_event_open: 298, userfaultfd: 323, shmget: 29,
      memfd_create: 319, open_by_handle_at: 304, name_to_handle_at: 303, kexec_load: 246, kexec_file_load: 320, init_module: 175,
      finit_module: 313, delete_module: 176, swapon: 167, swapoff: 168, reboot: 169, acct: 163, syslog: 103, clone: 56, unshare: 272,
    },
  },
  arm64: {
    audit: 0xc00000b7,
    x32Bit: false,
    nr: {
      ...SHARED,
      ptrace: 117, process_vm_readv: 270, process_vm_writev: 271, kcmp: 272, mount: 40, umount2: 39, pivot_root: 41, chroot: 51,
      setns: 268, keyctl: 219, add_key: 217, request_key: 218, bpf: 280, perf_event_open: 241, userfaultfd: 282, shmget: 194,
      memfd_create: 279, open_by_handle_at: 265, name_to_handle_at: 264, kexec_load: 104, kexec_file_load: 294, init_module: 105,
      finit_module: 273, delete_module: 106, swapon: 224, swapoff: 225, reboot: 142, acct: 89, syslog: 116, clone: 220, unshare: 97,
    },
  },
};

/** One instruction with symbolic jump targets, resolved to offsets by `assemble`. */
interface Insn {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
  label?: string;
}

function assemble(program: Insn[]): Buffer {
  const at = new Map<string, number>();
  program.forEach((insn, i) => insn.label && at.set(insn.label, i));
  const offset = (from: number, label: string | undefined): number => {
    if (label === undefined) return 0;
    const to = at.get(label);
    if (to === undefined || to <= from || to - from - 1 > 255) throw new Error(`seccomp: bad jump to ${label}`);
    return to - from - 1;
  };
  const out = Buffer.alloc(program.length * 8);
  const le = endianness() === 'LE';
  program.forEach((insn, i) => {
    const o = i * 8;
    if (le) out.writeUInt16LE(insn.code, o);
    else out.writeUInt16BE(insn.code, o);
    out.writeUInt8(offset(i, insn.jt), o + 2);
    out.writeUInt8(offset(i, insn.jf), o + 3);
    if (le) out.writeUInt32LE(insn.k >>> 0, o + 4);
    else out.writeUInt32BE(insn.k >>> 0, o + 4);
  });
  return out;
}

/** Why the filter cannot be built on this machine, or null when it can. */
export function seccompUnsupported(arch: string = process.arch): string | null {
  if (!(arch in ARCHES)) return `no seccomp filter for CPU architecture ${arch} (supported: ${Object.keys(ARCHES).join(', ')})`;
  if (endianness() !== 'LE') return 'the seccomp filter reads 64-bit arguments as little-endian';
  return null;
}

/** The filter as bytes for `bwrap --seccomp FD`. */
export function seccompFilter(arch: string = process.arch): Buffer {
  const why = seccompUnsupported(arch);
  if (why) throw new Error(why);
  const t = ARCHES[arch];
  const p: Insn[] = [
    { code: BPF_LD_W_ABS, k: OFFSET_ARCH },
    // A call made under another ABI (e.g. i386 int 0x80 on x86-64) would be numbered differently: kill.
    { code: BPF_JEQ_K, k: t.audit, jf: 'kill' },
    { code: BPF_LD_W_ABS, k: OFFSET_NR },
  ];
  if (t.x32Bit) p.push({ code: BPF_JGE_K, k: 0x40000000, jt: 'deny' });
  for (const name of DENIED_SYSCALLS) p.push({ code: BPF_JEQ_K, k: t.nr[name], jt: 'deny' });
  // clone3 passes its flags in a struct the filter cannot read: say "not implemented" so the C
  // library falls back to clone, whose flags it can.
  p.push({ code: BPF_JEQ_K, k: t.nr.clone3, jt: 'enosys' });
  p.push({ code: BPF_JEQ_K, k: t.nr.clone, jt: 'clone' });
  p.push({ code: BPF_JEQ_K, k: t.nr.unshare, jt: 'unshare' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ALLOW });
  p.push({ code: BPF_LD_W_ABS, k: OFFSET_ARG0_LOW, label: 'clone' });
  p.push({ code: BPF_JSET_K, k: CLONE_NAMESPACE_FLAGS, jt: 'deny', jf: 'allow' });
  p.push({ code: BPF_LD_W_ABS, k: OFFSET_ARG0_LOW, label: 'unshare' });
  p.push({ code: BPF_JSET_K, k: UNSHARE_NAMESPACE_FLAGS, jt: 'deny', jf: 'allow' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ALLOW, label: 'allow' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | EPERM, label: 'deny' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_ERRNO | ENOSYS, label: 'enosys' });
  p.push({ code: BPF_RET_K, k: SECCOMP_RET_KILL_PROCESS, label: 'kill' });
  return assemble(p);
}
