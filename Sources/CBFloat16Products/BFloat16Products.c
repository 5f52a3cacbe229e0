#include "CBFloat16Products.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

bool cbf16_supported(void) {
#if defined(__x86_64__)
  // cpuid and xgetbv directly (not __builtin_cpu_supports, whose feature table the packaged
  // executable's older libgcc lays out differently): AVX-512 F and VL (leaf 7.0 EBX bits 16, 31),
  // BF16 (leaf 7.1 EAX bit 5), and the OS saving the opmask and ZMM registers (XCR0 bits 1, 2, 5-7).
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return false;  // OSXSAVE
  unsigned xcr0_low, xcr0_high;
  __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  if ((xcr0_low & 0xE6) != 0xE6) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  if (!(ebx & (1u << 16)) || !(ebx & (1u << 31))) return false;
  unsigned leaves = eax;
  if (leaves < 1 || !__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
  return (eax & (1u << 5)) != 0;
#else
  return false;
#endif
}

#if defined(__x86_64__)

/// The instructions of `tile` for one target, its accumulators zmm`lo` (atoms 0–15) and
/// zmm`hi` (atoms 16–31): zeroing them; adding the products of the block's pair p (zmm24–25) with
/// the target's pair p, broadcast from `offset` bytes into the tile's pairs p; and storing the
/// largest |correlation| of the 32 to `out` (NaNs passed over: vmaxps returns its second operand,
/// the running maximum, when the first is a NaN).
#define ZERO(lo, hi) \
  "vpxord %%zmm" #lo ", %%zmm" #lo ", %%zmm" #lo "\n\t" \
  "vpxord %%zmm" #hi ", %%zmm" #hi ", %%zmm" #hi "\n\t"
#define DOT(offset, lo, hi) \
  "vdpbf16ps " #offset "(%[residuals])%{1to16%}, %%zmm24, %%zmm" #lo "\n\t" \
  "vdpbf16ps " #offset "(%[residuals])%{1to16%}, %%zmm25, %%zmm" #hi "\n\t"
#define LARGEST(lo, hi) \
  "vpandd %%zmm26, %%zmm" #lo ", %%zmm" #lo "\n\t" \
  "vpandd %%zmm26, %%zmm" #hi ", %%zmm" #hi "\n\t" \
  "vmaxps %%zmm27, %%zmm" #lo ", %%zmm28\n\t" \
  "vmaxps %%zmm28, %%zmm" #hi ", %%zmm28\n\t" \
  "vextractf64x4 $1, %%zmm28, %%ymm29\n\t" \
  "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t" \
  "vextractf32x4 $1, %%ymm28, %%xmm29\n\t" \
  "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t" \
  "vpermilps $0x4E, %%xmm28, %%xmm29\n\t" \
  "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t" \
  "vpermilps $0xB1, %%xmm28, %%xmm29\n\t" \
  "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t" \
  "vmovss %%xmm28, (%[out])\n\t"
#define NEXT_TARGET "add %[stride], %[out]\n\t"

/// One block of 32 atoms against one tile of CBF16_TILE_TARGETS targets: 24 accumulators (12
/// targets × 2 registers of 16 atoms) in zmm0–zmm23, the block's pair p in zmm24–zmm25, each
/// target's pair p broadcast from memory; then each target's largest |correlation| over the block.
/// Written in assembly so that debug builds (-O0, as `swift build` compiles C targets) run it at
/// the same speed as release builds.
static void tile(const uint32_t *block, int64_t pairs, const uint32_t *residuals, float *out, int64_t stride_bytes) {
  __asm__ volatile(
      ZERO(0, 1) ZERO(2, 3) ZERO(4, 5) ZERO(6, 7) ZERO(8, 9) ZERO(10, 11)
      ZERO(12, 13) ZERO(14, 15) ZERO(16, 17) ZERO(18, 19) ZERO(20, 21) ZERO(22, 23)
      // zmm26: the mask of |x| (every bit but the sign); zmm27: zero, the start of each maximum.
      "vpternlogd $0xFF, %%zmm26, %%zmm26, %%zmm26\n\t"
      "vpsrld $1, %%zmm26, %%zmm26\n\t"
      "vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
      "1:\n\t"
      "vmovups (%[block]), %%zmm24\n\t"
      "vmovups 64(%[block]), %%zmm25\n\t"
      DOT(0, 0, 1) DOT(4, 2, 3) DOT(8, 4, 5) DOT(12, 6, 7) DOT(16, 8, 9) DOT(20, 10, 11)
      DOT(24, 12, 13) DOT(28, 14, 15) DOT(32, 16, 17) DOT(36, 18, 19) DOT(40, 20, 21) DOT(44, 22, 23)
      "add $128, %[block]\n\t"
      "add $48, %[residuals]\n\t"
      "dec %[pairs]\n\t"
      "jnz 1b\n\t"
      LARGEST(0, 1) NEXT_TARGET LARGEST(2, 3) NEXT_TARGET LARGEST(4, 5) NEXT_TARGET
      LARGEST(6, 7) NEXT_TARGET LARGEST(8, 9) NEXT_TARGET LARGEST(10, 11) NEXT_TARGET
      LARGEST(12, 13) NEXT_TARGET LARGEST(14, 15) NEXT_TARGET LARGEST(16, 17) NEXT_TARGET
      LARGEST(18, 19) NEXT_TARGET LARGEST(20, 21) NEXT_TARGET LARGEST(22, 23)
      : [block] "+r"(block), [residuals] "+r"(residuals), [pairs] "+r"(pairs), [out] "+r"(out)
      : [stride] "r"(stride_bytes)
      : "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11",
        "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22",
        "zmm23", "zmm24", "zmm25", "zmm26", "zmm27", "zmm28", "zmm29", "memory", "cc");
}

void cbf16_block_maxima(const uint32_t *dictionary, int64_t pairs, int64_t first_block, int64_t block_count,
                        const uint32_t *residuals, int64_t tile_count, float *maxima, int64_t stride) {
  if (pairs <= 0) return;
  for (int64_t b = first_block; b < first_block + block_count; b++) {
    const uint32_t *block = dictionary + b * pairs * CBF16_BLOCK_ATOMS;
    for (int64_t t = 0; t < tile_count; t++) {
      tile(block, pairs, residuals + t * pairs * CBF16_TILE_TARGETS, maxima + t * CBF16_TILE_TARGETS * stride + b,
           stride * (int64_t)sizeof(float));
    }
  }
}

#else

void cbf16_block_maxima(const uint32_t *dictionary, int64_t pairs, int64_t first_block, int64_t block_count,
                        const uint32_t *residuals, int64_t tile_count, float *maxima, int64_t stride) {
  (void)dictionary; (void)pairs; (void)first_block; (void)block_count;
  (void)residuals; (void)tile_count; (void)maxima; (void)stride;
}

#endif
