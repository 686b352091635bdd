// Every `aha` command, in the order `aha --help` lists them. Each file owns one command.
import type { Command } from 'commander';
import * as train from './train.js';
import * as pretrain from './pretrain.js';
import * as generate from './generate.js';
import * as evaluate from './eval.js';
import * as verify from './verify.js';
import * as searchCommand from './search.js';
import * as serve from './serve.js';
import * as sft from './sft.js';
import * as sample from './sample.js';
import * as pipeline from './pipeline.js';
import * as report from './report.js';
import * as dashboard from './dashboard.js';
import * as merge from './merge.js';
import * as rm from './rm.js';
import * as tokens from './tokens.js';

export const commands: ReadonlyArray<(program: Command) => void> = [
  train.register,
  pretrain.register,
  generate.register,
  evaluate.register,
  searchCommand.register,
  verify.register,
  serve.register,
  sft.register,
  sample.register,
  pipeline.register,
  merge.register,
  rm.register,
  tokens.register,
  report.register,
  dashboard.register,
];
