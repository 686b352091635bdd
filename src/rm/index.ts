// The rm part's public API: reward-model training and Math-Shepherd step labelling.
export { trainRewardModel, evaluateRewardModel, type RmTrainOptions, type RmTrainResult, type RmHeldout } from './train.js';
export { labelSteps, readSolutions, type LabelOptions, type LabelResult } from './label.js';
export { readRmData, kindOfRecord, type RmRecord } from './data.js';
export { pairwiseAccuracy, auc } from './metrics.js';
export { rewardLoss, padBatch, type ScoreBatch } from './loss.js';
