// BF16 rounding and the pair layout shared by the BF16 sampling products (decode.cc, amx.cc):
// activations become rows of BF16 pairs, one 32-bit word per pair of consecutive inputs (low half
// first), which is both the broadcast operand of vdpbf16ps and, read as bytes, a row of an AMX A
// tile. Rounding is to nearest even, NaN stays NaN; the AVX-512 loop computes the same bits as the
// scalar one, so every kernel sees identical operands.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace aha {

inline uint16_t toBf16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((b >> 16) | 0x40);
  b += 0x7fffu + ((b >> 16) & 1u);
  return static_cast<uint16_t>(b >> 16);
}

inline float fromBf16(uint16_t h) {
  const uint32_t b = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// out[k2] = bf16(x[2 k2]) | bf16(x[2 k2 + 1]) << 16 for k2 < ceil(K/2); the last high half is 0 when K is odd.
inline void packBf16Pairs(const float* x, int64_t K, uint32_t* out) {
  uint16_t* o = reinterpret_cast<uint16_t*>(out);  // little-endian: value 2 k2 is the low half
  int64_t k = 0;
#if defined(__AVX512F__)
  const __m512i nanLimit = _mm512_set1_epi32(0x7f800000), absMask = _mm512_set1_epi32(0x7fffffff);
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
  for (; k + 16 <= K; k += 16) {
    const __m512i b = _mm512_loadu_si512(x + k);
    const __m512i hi = _mm512_srli_epi32(b, 16);
    const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(bias, _mm512_and_si512(hi, one))), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(b, absMask), nanLimit);
    const __m512i r = _mm512_mask_or_epi32(rounded, nan, hi, quiet);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + k), _mm512_cvtepi32_epi16(r));
  }
#endif
  for (; k < K; k++) o[k] = toBf16(x[k]);
  if (K % 2) o[K] = 0;
}

}  // namespace aha
