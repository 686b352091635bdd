import { normalizeAnswer } from './src/rewards/math/normalize.js';
import { extractAnswer } from './src/rewards/math/extract.js';
const e = extractAnswer('\\text{(C)}\\ 12'); console.log(JSON.stringify(e), JSON.stringify(normalizeAnswer(e!)));
