// The PyTorch peer every benchmark compares against: Debian's python3-torch, run with Debian's
// own /usr/bin/python3 (a pyenv or venv python first on PATH has no torch).
import { spawnSync } from 'node:child_process';

export const TORCH_PYTHON = '/usr/bin/python3';

/** True when torch imports; as root with apt-get, installs python3-torch first when missing. */
export function ensureTorch(): boolean {
  const probe = () => spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (probe()) return true;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error('PyTorch is missing for /usr/bin/python3: apt-get install -y python3-torch (as root)');
    return false;
  }
  console.error('PyTorch is missing for /usr/bin/python3; installing Debian python3-torch ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-q', 'python3-torch'], { stdio: 'inherit', env });
  return probe();
}
