// Loading and saving aha's transformer as a Hugging Face model folder: `loadModel(dir)` builds the
// Llama/Qwen2 transformer from config.json and fills it from the safetensors weights;
// `saveModel` writes the folder atomically. The network is built without random init (skipInit),
// since every weight is overwritten from the file.
import { createTransformer } from './transformer.js';
import { bundledPath } from '../util/paths.js';
import { readModelFolder, saveModel, type LoadedModel, type SaveModelOptions } from './model-folder.js';

export { saveModel, type LoadedModel, type SaveModelOptions };

/** Loads the model folder `dir` (config.json, weights, tokenizer); `models/aha-tiny-base` and the other bundled models load from any folder. */
export function loadModel(dir: string): LoadedModel {
  return readModelFolder(bundledPath(dir), (config) => createTransformer(config, { skipInit: true }));
}
