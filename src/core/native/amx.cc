// AMX BF16 tile products for the opt-in BF16 sampling path. A tile register holds 16 rows of 64
// bytes; TDPBF16PS multiplies a 16 x 32 BF16 tile of activations (A) by a 32 x 16 BF16 tile of
// weights stored as 16 rows of 16 pairs (B, the "VNNI" layout) and adds the 16 x 16 products into
// an f32 tile (C): 16 x 16 x 32 multiply-adds per instruction, several times what vdpbf16ps does
// per cycle, which issues at one FP32 FMA port's rate and so gains nothing over f32 at batch 64.
//
// Layouts: decode.cc's weight panels (16 output rows, for each pair of inputs the 16 rows' pairs)
// are exactly B tiles stacked along K (tile kb of panel p starts at panel p + kb * 1 KB, rows 64
// bytes apart), so AMX needs no repacked copy of the weights; activations are rows of BF16 pairs,
// i.e. A tiles read with a row stride of K2 * 4 bytes, padded with zero rows to a multiple of 16.
// Edges: columns past N are computed from the panels' zero padding and not stored; a K tail
// (K not a multiple of 32, never the case for real models) is added after the tiles in scalar f32.
//
// Blocking: four C tiles (2 row tiles x 2 panels) and two A and two B tiles, so each step loads
// four tiles for four products. Threads own disjoint pairs of panels; rows go in chunks of 128
// so a chunk's activations stay in L2 while a thread walks its panels. Each output is computed by
// one fixed sequence of tile products whatever the thread count, so results are deterministic.
//
// Tiles are per thread and need Linux's permission per process: amxUsable() asks once (from the
// calling thread, before any worker touches a tile) and every OpenMP worker loads the tile
// configuration itself and releases it when done.
#include "amx.h"

#include "bf16pairs.h"
#include "common.h"

#if defined(__x86_64__) && defined(__linux__) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define AHA_AMX_BUILD 1
#include <cpuid.h>

#include <cstdlib>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#define AHA_AMX_BUILD 0
#endif

namespace aha {

#if AHA_AMX_BUILD
namespace {

constexpr long kArchGetXcompPerm = 0x1022, kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

// nullptr when AMX BF16 can run in this process, else the reason it cannot.
const char* probeAmx() {
  const char* off = std::getenv("AHA_NO_AMX");
  if (off && *off && std::strcmp(off, "0") != 0) return "turned off by AHA_NO_AMX";
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return "the CPU has no CPUID leaf 7";
  if (!(d & (1u << 24))) return "the CPU lacks AMX-TILE";
  if (!(d & (1u << 22))) return "the CPU lacks AMX-BF16";
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return "the OS has not enabled XSAVE";
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & (3u << 17)) != (3u << 17)) return "the OS has not enabled AMX tile state (XCR0 bits 17-18)";
  // Palette 1 must offer 8 tiles of 16 rows x 64 bytes (the shapes this kernel configures).
  if (!__get_cpuid_count(0x1d, 1, &a, &b, &c, &d) || (b & 0xffff) < 64 || (b >> 16) < 8 || (c & 0xffff) < 16)
    return "the CPU's AMX palette 1 is smaller than 8 tiles of 16 x 64 bytes";
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
    return "Linux refused tile data permission (arch_prctl ARCH_REQ_XCOMP_PERM)";
  unsigned long long granted = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &granted) != 0 || !(granted & (1ull << kXfeatureXtiledata)))
    return "Linux did not grant tile data permission (arch_prctl ARCH_GET_XCOMP_PERM)";
  return nullptr;
}

// The 64-byte LDTILECFG operand: palette 1, every tile 16 rows x 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// C tiles 0..3 = (row tile r, panel j) at 2 r + j; A tiles 4, 5; B tiles 6, 7. The tile products
// of MT row tiles (a, rows lda bytes apart) by NP panels (b, panelBytes apart) over KB blocks of
// 32 inputs, stored to c[2 r + j] (16 x 16 f32 each).
template <int MT, int NP>
__attribute__((target("amx-tile,amx-bf16"))) void tileBlock(const uint8_t* a, int64_t lda, const uint8_t* b,
                                                            int64_t panelBytes, int64_t KB, float (*c)[256]) {
  _tile_zero(0);
  if constexpr (NP > 1) _tile_zero(1);
  if constexpr (MT > 1) _tile_zero(2);
  if constexpr (MT > 1 && NP > 1) _tile_zero(3);
  for (int64_t kb = 0; kb < KB; kb++) {
    const uint8_t* ak = a + kb * 64;    // 32 BF16 inputs of each row
    const uint8_t* bk = b + kb * 1024;  // 16 pair-rows x 16 outputs
    _tile_loadd(4, ak, lda);
    if constexpr (MT > 1) _tile_loadd(5, ak + 16 * lda, lda);
    _tile_loadd(6, bk, 64);
    if constexpr (NP > 1) _tile_loadd(7, bk + panelBytes, 64);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (NP > 1) _tile_dpbf16ps(1, 4, 7);
    if constexpr (MT > 1) _tile_dpbf16ps(2, 5, 6);
    if constexpr (MT > 1 && NP > 1) _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, c[0], 64);
  if constexpr (NP > 1) _tile_stored(1, c[1], 64);
  if constexpr (MT > 1) _tile_stored(2, c[2], 64);
  if constexpr (MT > 1 && NP > 1) _tile_stored(3, c[3], 64);
}

using TileFn = void (*)(const uint8_t*, int64_t, const uint8_t*, int64_t, int64_t, float (*)[256]);

struct Product {
  const uint32_t* xb;
  int64_t M, K2;
  const uint16_t* wp;
  float* y;
  int64_t N;
  bool accumulate;
};

// One C tile to y: rows m0.., the 16 columns from n0 of `panel`, plus the K tail's products.
void storeTile(const Product& P, const float* c, int64_t m0, const uint16_t* panel, int64_t n0) {
  const int64_t rows = std::min<int64_t>(16, P.M - m0), cols = std::min<int64_t>(16, P.N - n0);
  const int64_t tail0 = P.K2 / 16 * 16;
  for (int64_t r = 0; r < rows; r++) {
    float* yr = P.y + (m0 + r) * P.N + n0;
    const uint32_t* xr = P.xb + (m0 + r) * P.K2;
    for (int64_t l = 0; l < cols; l++) {
      float v = c[r * 16 + l];
      for (int64_t k2 = tail0; k2 < P.K2; k2++) {
        const uint16_t* w = panel + k2 * 32 + l * 2;
        v += fromBf16(static_cast<uint16_t>(xr[k2] & 0xffff)) * fromBf16(w[0]);
        v += fromBf16(static_cast<uint16_t>(xr[k2] >> 16)) * fromBf16(w[1]);
      }
      yr[l] = P.accumulate ? yr[l] + v : v;
    }
  }
}

// Every tile 16 rows x 64 bytes. A static operand: GCC 12 dropped the stores filling a local one
// once this function was inlined (ldtilecfg then saw zero rows and faulted).
TileConfig allTiles16x64() {
  TileConfig cfg;
  for (int t = 0; t < 8; t++) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  return cfg;
}

__attribute__((target("amx-tile,amx-bf16"))) void loadTileConfig() {
  static const TileConfig cfg = allTiles16x64();
  _tile_loadconfig(&cfg);
}

static const TileFn kTileFns[2][2] = {{tileBlock<1, 1>, tileBlock<1, 2>}, {tileBlock<2, 1>, tileBlock<2, 2>}};

// One thread's share: panel pairs q0 .. q1 for every row.
__attribute__((target("amx-tile,amx-bf16"))) void threadProduct(const Product& P, int64_t q0, int64_t q1) {
  loadTileConfig();
  alignas(64) float c[4][256];
  const int64_t panels = (P.N + 15) / 16, rowTiles = (P.M + 15) / 16, KB = P.K2 / 16;
  const int64_t lda = P.K2 * 4, panelBytes = P.K2 * 64;
  for (int64_t t0 = 0; t0 < rowTiles; t0 += 8) {
    const int64_t t1 = std::min<int64_t>(rowTiles, t0 + 8);
    for (int64_t q = q0; q < q1; q++) {
      const int64_t p0 = 2 * q, np = std::min<int64_t>(2, panels - p0);
      const uint8_t* b = reinterpret_cast<const uint8_t*>(P.wp + p0 * P.K2 * 32);
      for (int64_t t = t0; t < t1; t += 2) {
        const int64_t mt = std::min<int64_t>(2, t1 - t);
        const uint8_t* a = reinterpret_cast<const uint8_t*>(P.xb + t * 16 * P.K2);
        kTileFns[mt - 1][np - 1](a, lda, b, panelBytes, KB, c);
        for (int64_t r = 0; r < mt; r++)
          for (int64_t j = 0; j < np; j++) storeTile(P, c[2 * r + j], (t + r) * 16, P.wp + (p0 + j) * P.K2 * 32, (p0 + j) * 16);
      }
    }
  }
  _tile_release();
}

}  // namespace

bool amxUsable(const char** why) {
  static const char* const reason = probeAmx();  // once per process, thread-safe
  if (why) *why = reason;
  return reason == nullptr;
}

void amxBf16Product(const uint32_t* xb, int64_t M, int64_t K2, const uint16_t* wp, float* y, int64_t N, bool accumulate,
                    int nt) {
  const Product P{xb, M, K2, wp, y, N, accumulate};
  const int64_t pairs = ((N + 15) / 16 + 1) / 2;
  nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(nt, pairs)));
#pragma omp parallel num_threads(nt)
  {
    int64_t q0, q1;
    chunk(pairs, omp_get_thread_num(), nt, q0, q1);
    threadProduct(P, q0, q1);
  }
}

void amxThreadBegin() { loadTileConfig(); }

__attribute__((target("amx-tile,amx-bf16"))) void amxThreadEnd() { _tile_release(); }

void amxPanelsProduct(const uint32_t* xb, int64_t M, int64_t K2, const uint16_t* wp, int64_t np, float* y, int64_t N, int64_t n0,
                      bool accumulate) {
  const Product P{xb, M, K2, wp, y, N, accumulate};
  alignas(64) float c[4][256];
  const int64_t rowTiles = (M + 15) / 16, KB = K2 / 16, lda = K2 * 4, panelBytes = K2 * 64;
  const uint8_t* b = reinterpret_cast<const uint8_t*>(wp);
  for (int64_t t = 0; t < rowTiles; t += 2) {
    const int64_t mt = std::min<int64_t>(2, rowTiles - t);
    kTileFns[mt - 1][np - 1](reinterpret_cast<const uint8_t*>(xb + t * 16 * K2), lda, b, panelBytes, KB, c);
    for (int64_t r = 0; r < mt; r++)
      for (int64_t j = 0; j < np; j++) storeTile(P, c[2 * r + j], (t + r) * 16, wp + j * K2 * 32, n0 + j * 16);
  }
}

#else  // no AMX in this build

bool amxUsable(const char** why) {
  if (why) *why = "this build has no AMX code (it needs x86-64 Linux and GCC 11 or Clang 12 or later)";
  return false;
}

void amxBf16Product(const uint32_t*, int64_t, int64_t, const uint16_t*, float*, int64_t, bool, int) {}
void amxThreadBegin() {}
void amxThreadEnd() {}
void amxPanelsProduct(const uint32_t*, int64_t, int64_t, const uint16_t*, int64_t, float*, int64_t, int64_t, bool) {}

#endif

}  // namespace aha
