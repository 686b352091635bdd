// aha's compute core: the public API every other part imports.
//
//   Tensor                 contiguous Float32Array with shape/strides; .grad, .requiresGrad,
//                          .size, .item(), .backward(seed?) (seed = dLoss/dThis, default 1 for a
//                          scalar); backward frees the tape behind it, leaves keep .grad.
//   tensor(data, shape, { requiresGrad }), zeros(shape), parameter(data, shape)
//   noGrad(fn), isGradEnabled()
//   ops: matmul(a, b, { transA, transB }) (batched over leading dims; 2-D b is shared),
//        linear(x, W[out,in], bias?), embedding(weight, ids, shape), rmsNorm(x, w, eps),
//        layerNorm(x, w, b, eps), rope(x, positions, heads, theta | {theta, scaling}), attention(q, k, v,
//        { heads, kvHeads, scale? }) (causal GQA), silu, gelu (tanh approx.), swiglu(gate, up),
//        softmax, logSoftmax, gatherLogProbs(logits, targets) -> [N] or [B,T],
//        entropy(logits) -> per row (no grad), crossEntropy(logits, targets, { ignoreIndex }),
//        add, mul (second operand may be a trailing part of the first's shape), scale, sum,
//        mean, reshape
//   AdamW(params, { lr, beta1, beta2, eps, weightDecay }): step(lr?), zeroGrad(), state(),
//        loadState(); clipGradNorm(params, maxNorm) -> pre-clip global norm
//   Bf16Matrix (frozen weights kept as BF16 bits), linearBf16(x, w) (grad to x only), linearBf16Into,
//        embeddingBf16(w, ids, shape) (no grad)
//   loraAddInPlace(y, x, A, B, s): y + s·(x Aᵀ)Bᵀ into y's buffer (one LoRA projection);
//        loraAddBlocksInPlace(y, x, [{ A, B, col }, ...], s): several into column blocks of y
//   replaceRowsInPlace(x, slots, rows), replaceColumnsInPlace(logits, h, ids, rows): trainable
//        token rows (chosen embedding rows / lm_head logit columns computed from trained rows)
//   fused training ops: linearFused(x, [W_0, W_1, ...], biases?) (one product over concatenated
//        f32 or BF16 weights, gradients back into each W_i and bias), attentionPacked(qkv, { heads, kvHeads, positions, rope })
//        (RoPE inside the kernel), swigluPacked(gu), headNormPacked(qkv, qNorm, kNorm, heads, kvHeads,
//        eps) (Qwen3's per-head q/k RMSNorm on the packed product)
//   checkpoint(fn, x): fn(x) recomputed in backward instead of keeping its tape (gradient checkpointing)
//   KV-cache kernels for inference: writeCache, attendCache; attendCachePacked (RoPE, cache append
//        and attention from one packed q/k/v product), swigluPacked, rmsNormInto, embedInto;
//        bf16Panels + linearBf16DotInto (opt-in BF16 products for sampling: AMX tiles, vdpbf16ps or
//        portable; bf16Kernels() says which can run, setBf16Kernel(k) forces one); linearInto (a Linear into a given
//        buffer, optionally accumulating; setShortWideGemm(on) switches gemm.cc's 2-64-row kernel for comparisons), drawRows (sampling / argmax and raw log-prob over rows of logits),
//        logSumExpRows (double-precision normalisers of rows), nativeExp; for the packed decode path of
//        every family (packed-decode.ts): headNormPackedInto, addBiasRows, addInto, linearBf16BitsInto,
//        linearBf16BitsDotInto
//   setNumThreads(n), getNumThreads(), buildInfo() -> { gemm: 'openblas' | 'fallback', ... }
export { Tensor, tensor, zeros, parameter, noGrad, isGradEnabled, sizeOf } from './tensor.js';
export { matmul, linear } from './ops/linalg.js';
export type { MatmulOptions } from './ops/linalg.js';
export { add, mul, scale, sum, mean, silu, gelu, swiglu, reshape } from './ops/pointwise.js';
export { embedding, rmsNorm, layerNorm, rope, attention, rowPositions, ropeTable, ropeInverseFrequencies } from './ops/nn.js';
export type { AttentionOptions, RopeSpec, RopeLlama3Scaling, RopeLinearScaling } from './ops/nn.js';
export { Bf16Matrix, linearBf16, linearBf16Into, embeddingBf16 } from './ops/bf16.js';
export { checkpoint } from './ops/checkpoint.js';
export { linearFused, attentionPacked, swigluPacked, headNormPacked } from './ops/fused.js';
export type { PackedAttentionOptions } from './ops/fused.js';
export { loraAddInPlace, loraAddBlocksInPlace } from './ops/lora.js';
export type { LoraBlock } from './ops/lora.js';
export { replaceRowsInPlace, replaceColumnsInPlace } from './ops/token-rows.js';
export { softmax, logSoftmax, gatherLogProbs, entropy, crossEntropy } from './ops/loss.js';
export { AdamW, clipGradNorm } from './optim.js';
export type { AdamWOptions, AdamWState } from './optim.js';
export { writeCache, attendCache, attendCachePacked, swigluPackedInto, rmsNormInto, embedInto, bf16Panels, linearBf16DotInto, bf16Kernels, setBf16Kernel, linearInto, setShortWideGemm, drawRows, logSumExpRows, nativeExp } from './inference.js';
export type { DrawnRows } from './inference.js';
export type { CacheAttentionShape, RopeCosSin, Bf16Panels, Bf16Kernel, Bf16KernelInfo } from './inference.js';
export { headNormPackedInto, addBiasRows, addInto, linearBf16BitsInto, linearBf16BitsDotInto } from './packed-decode.js';
export { setNumThreads, getNumThreads, buildInfo } from './backend.js';
export type { BuildInfo } from './backend.js';
