// HTTP services: the reward server.
export { startRewardServer, type RewardServerOptions, type RunningRewardServer } from './reward-server.js';
