// HTTP services: the reward server.
export { startRewardServer, parseRewardSpec, type RewardServerOptions, type RunningRewardServer } from './reward-server.js';
