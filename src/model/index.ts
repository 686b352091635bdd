// The model part's public API: load/save model folders, tokenizers and chat templates, batched
// sampling and scoring, and training checkpoints. Other parts import from here.
export type { CausalLM, KVCache } from './causal-lm.js';
export { MODEL_TYPES, type ModelConfig, type ModelType } from './transformer-config.js';
export { createTransformer } from './transformer.js';
export { loadModel, saveModel, type LoadedModel, type SaveModelOptions } from './load-model.js';
export { readModelFolder, writeModelFiles } from './model-folder.js';
export { parseModelConfig, readModelConfig, eosIds, headDim } from './config-json.js';
export { loadTokenizer, encodeChat, type Tokenizer, type ChatMessage, type EncodeOptions } from './tokenizer.js';
export { CharTokenizer, DEFAULT_CHARS, CHAR_MARKERS, type CharTokenizerOptions } from './char-tokenizer.js';
export { HfTokenizer } from './hf-tokenizer.js';
export { sample, sampleText, type Sample, type SampleOptions, type FinishReason } from './sampling.js';
export { setSamplingPrecision, samplingPrecisionOf, SAMPLING_PRECISIONS, type SamplingPrecision, type PrecisionRequest } from './sampling-precision.js';
export { scoreCompletions, type ScoreOptions } from './scoring.js';
export {
  saveTrainingCheckpoint,
  loadTrainingCheckpoint,
  readOptimizerState,
  readTrainerState,
  readTensorFile,
  latestCheckpoint,
  listCheckpoints,
  pruneCheckpoints,
  checkpointDir,
  type OptimizerState,
  type TrainingCheckpoint,
} from './training-checkpoint.js';
export { readSafetensorsHeader, SafetensorsReader, writeSafetensors, type StoredDType } from './safetensors.js';
