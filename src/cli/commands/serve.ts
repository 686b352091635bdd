// `aha serve rewards`: serve the reward verifiers over HTTP for Python trainers (OpenRLHF's
// remote reward shape, a plain /score endpoint, /verify/math, /verify/code, /health).
import type { Command } from 'commander';
import { parseNumber } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { startRewardServer } from '../../server/index.js';
import { parseRewardSpec } from '../../rewards/spec.js';
import { isLearnedReward, loadLearnedReward } from '../../rl/learned-rewards.js';

interface ServeFlags {
  port?: string;
  host: string;
  rewards: string;
  maxBodyMb: string;
  concurrency: string;
  bodyTimeoutS: string;
  maxConnectionsPerAddress: string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve the reward verifiers over HTTP for Python trainers.')
    .argument('<what>', 'rewards')
    .option('--port <n>', 'port to listen on (0 picks a free one)')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--rewards <spec>', 'reward functions and weights, e.g. "accuracy,format=0.5"; a reward model folder as rm:<dir>[:<weight>] (send "prompts" to /get_reward, or "prompt" in /score examples)', 'accuracy')
    .option('--max-body-mb <n>', 'largest request body in MiB', '8')
    .option('--concurrency <n>', 'requests processed at once (more wait in a queue)', '8')
    .option('--body-timeout-s <n>', 'seconds a client has to send a whole request body (then 408 and the connection is closed)', '30')
    .option('--max-connections-per-address <n>', 'open connections one client address may hold (more get 429)', '128')
    .addHelpText(
      'after',
      `
Endpoints:
  POST /get_reward   OpenRLHF remote reward: {"query": [prompt+response, ...], "prompts": [...], "labels": [gold, ...]} -> {"rewards": [...]}
  POST /score        {"completion": "...", "example": {"gold": "..."}} or {"items": [...]} -> {"scores": [{"reward", "parts"}]}
  POST /verify/math  {"pred", "gold"} (or {"items": [...]}) -> as \`aha verify math\`
  POST /verify/code  {"language", "code", "tests"} (or {"items": [...]}) -> as \`aha verify code\`
  GET  /health
Errors: 400 bad input (naming the item and field), 404/405 unknown endpoint, 408 request not sent
in time, 413 body too large (chunked too), 429 too many connections from one address, 503 busy.
A body is read whole before the request waits for a processing slot; headers must arrive within 10 s.
SIGTERM or Ctrl-C stops accepting requests and finishes the ones in flight.

Example (OpenRLHF): aha serve rewards --port 5000 --rewards accuracy,format=0.2
  then train with --remote_rm_url http://127.0.0.1:5000/get_reward`,
    )
    .action(async (what: string, flags: ServeFlags) => {
      if (what !== 'rewards') throw new AhaError(`unknown service "${what}": the only one is "aha serve rewards"`);
      if (flags.port === undefined) throw new AhaError('--port is required, e.g. --port 5000');
      const port = parseNumber('--port', flags.port, { min: 0, max: 65535, integer: true });
      const maxBodyMb = parseNumber('--max-body-mb', flags.maxBodyMb, { min: 1, max: 1024, integer: true });
      const concurrency = parseNumber('--concurrency', flags.concurrency, { min: 1, max: 1024, integer: true });
      const bodyTimeoutS = parseNumber('--body-timeout-s', flags.bodyTimeoutS, { min: 1, max: 3600, integer: true });
      const maxConnectionsPerAddress = parseNumber('--max-connections-per-address', flags.maxConnectionsPerAddress, { min: 1, max: 65_536, integer: true });
      const rewards = parseRewardSpec(flags.rewards, '--rewards');
      const running = await startRewardServer({
        port,
        host: flags.host,
        rewards,
        rewardFunctions: rewards.filter((r) => isLearnedReward(r.name)).map((r) => loadLearnedReward(r.name)),
        maxBodyBytes: maxBodyMb * 1024 * 1024,
        concurrency,
        bodyTimeoutMs: bodyTimeoutS * 1000,
        maxConnectionsPerAddress,
      });
      process.stderr.write(`aha: reward server listening on ${running.url} (rewards: ${flags.rewards}); GET ${running.url}/health\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          process.stderr.write(`aha: ${signal}: finishing in-flight requests, then stopping\n`);
          running.close().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
