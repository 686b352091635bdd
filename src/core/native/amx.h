// AMX BF16 tile products (amx.cc), used by the opt-in BF16 sampling path (decode.cc).
#pragma once
#include <cstdint>

namespace aha {

// Whether this process can run AMX BF16 tile instructions: the CPU has AMX-TILE and AMX-BF16, the
// OS enabled tile state, and Linux granted this process tile data (arch_prctl). Checked once;
// when false, *why (if given) says what is missing.
bool amxUsable(const char** why);

// y [M, N] (+)= x W^T with AMX tiles on nt threads (threads own disjoint panel pairs, i.e.
// columns of y). xb holds x as BF16 pairs (bf16pairs.h), K2 words a row, in ceil(M/16)*16 rows
// whose rows past M are zero; wp holds W [N, K] as BF16 panels (decode.cc's bf16Panels), which is
// already the VNNI layout of an AMX B tile. Only call when amxUsable() is true.
void amxBf16Product(const uint32_t* xb, int64_t M, int64_t K2, const uint16_t* wp, float* y, int64_t N, bool accumulate,
                    int nt);

// The same one block of panels at a time, for a caller that makes the panels itself (bf16.cc
// repacks a frozen base's row-major BF16 rows per call): on the calling thread, between
// amxThreadBegin() (loads the tile configuration) and amxThreadEnd() (releases the tiles),
// y[:, n0 .. n0 + 16 np) (+)= x times the np (1 or 2) consecutive panels at wp, for all M rows
// (xb as above, ceil(M/16)*16 rows); columns past N are not stored.
void amxThreadBegin();
void amxThreadEnd();
void amxPanelsProduct(const uint32_t* xb, int64_t M, int64_t K2, const uint16_t* wp, int64_t np, float* y, int64_t N, int64_t n0,
                      bool accumulate);

}  // namespace aha
