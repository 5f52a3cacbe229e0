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

/// One block of 32 atoms against one tile of CBF16_TILE_TARGETS targets: 24 accumulators (12
/// targets × 2 registers of 16 atoms) in zmm0–zmm23, the block's pair p in zmm24–zmm25, each
/// target's pair p broadcast from memory; then each target's largest |correlation| over the block
/// (vmaxps with the running maximum as its second operand, which it returns when the first is a
/// NaN: NaNs are passed over). Written in assembly so that debug builds (-O0, as `swift build`
/// compiles C targets) run it at the same speed as release builds.
static void tile(const uint32_t *block, int64_t pairs, const uint32_t *residuals, float *out, int64_t stride_bytes) {
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
      "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
      "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
      "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
      "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
      "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
      "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
      "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
      "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
      "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
      "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
      "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
      "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
      "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
      "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
      "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
      "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
      "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"
      "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"
      "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"
      "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"
      "vpternlogd $0xFF, %%zmm26, %%zmm26, %%zmm26\n\t"
      "vpsrld $1, %%zmm26, %%zmm26\n\t"
      "vpxord %%zmm27, %%zmm27, %%zmm27\n\t"
      "1:\n\t"
      "vmovups (%[block]), %%zmm24\n\t"
      "vmovups 64(%[block]), %%zmm25\n\t"
      "vdpbf16ps 0(%[residuals])%{1to16%}, %%zmm24, %%zmm0\n\t"
      "vdpbf16ps 0(%[residuals])%{1to16%}, %%zmm25, %%zmm1\n\t"
      "vdpbf16ps 4(%[residuals])%{1to16%}, %%zmm24, %%zmm2\n\t"
      "vdpbf16ps 4(%[residuals])%{1to16%}, %%zmm25, %%zmm3\n\t"
      "vdpbf16ps 8(%[residuals])%{1to16%}, %%zmm24, %%zmm4\n\t"
      "vdpbf16ps 8(%[residuals])%{1to16%}, %%zmm25, %%zmm5\n\t"
      "vdpbf16ps 12(%[residuals])%{1to16%}, %%zmm24, %%zmm6\n\t"
      "vdpbf16ps 12(%[residuals])%{1to16%}, %%zmm25, %%zmm7\n\t"
      "vdpbf16ps 16(%[residuals])%{1to16%}, %%zmm24, %%zmm8\n\t"
      "vdpbf16ps 16(%[residuals])%{1to16%}, %%zmm25, %%zmm9\n\t"
      "vdpbf16ps 20(%[residuals])%{1to16%}, %%zmm24, %%zmm10\n\t"
      "vdpbf16ps 20(%[residuals])%{1to16%}, %%zmm25, %%zmm11\n\t"
      "vdpbf16ps 24(%[residuals])%{1to16%}, %%zmm24, %%zmm12\n\t"
      "vdpbf16ps 24(%[residuals])%{1to16%}, %%zmm25, %%zmm13\n\t"
      "vdpbf16ps 28(%[residuals])%{1to16%}, %%zmm24, %%zmm14\n\t"
      "vdpbf16ps 28(%[residuals])%{1to16%}, %%zmm25, %%zmm15\n\t"
      "vdpbf16ps 32(%[residuals])%{1to16%}, %%zmm24, %%zmm16\n\t"
      "vdpbf16ps 32(%[residuals])%{1to16%}, %%zmm25, %%zmm17\n\t"
      "vdpbf16ps 36(%[residuals])%{1to16%}, %%zmm24, %%zmm18\n\t"
      "vdpbf16ps 36(%[residuals])%{1to16%}, %%zmm25, %%zmm19\n\t"
      "vdpbf16ps 40(%[residuals])%{1to16%}, %%zmm24, %%zmm20\n\t"
      "vdpbf16ps 40(%[residuals])%{1to16%}, %%zmm25, %%zmm21\n\t"
      "vdpbf16ps 44(%[residuals])%{1to16%}, %%zmm24, %%zmm22\n\t"
      "vdpbf16ps 44(%[residuals])%{1to16%}, %%zmm25, %%zmm23\n\t"
      "add $128, %[block]\n\t"
      "add $48, %[residuals]\n\t"
      "dec %[pairs]\n\t"
      "jnz 1b\n\t"
      "vpandd %%zmm26, %%zmm0, %%zmm0\n\t"
      "vpandd %%zmm26, %%zmm1, %%zmm1\n\t"
      "vmaxps %%zmm27, %%zmm0, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm1, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm2, %%zmm2\n\t"
      "vpandd %%zmm26, %%zmm3, %%zmm3\n\t"
      "vmaxps %%zmm27, %%zmm2, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm3, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm4, %%zmm4\n\t"
      "vpandd %%zmm26, %%zmm5, %%zmm5\n\t"
      "vmaxps %%zmm27, %%zmm4, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm5, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm6, %%zmm6\n\t"
      "vpandd %%zmm26, %%zmm7, %%zmm7\n\t"
      "vmaxps %%zmm27, %%zmm6, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm7, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm8, %%zmm8\n\t"
      "vpandd %%zmm26, %%zmm9, %%zmm9\n\t"
      "vmaxps %%zmm27, %%zmm8, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm9, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm10, %%zmm10\n\t"
      "vpandd %%zmm26, %%zmm11, %%zmm11\n\t"
      "vmaxps %%zmm27, %%zmm10, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm11, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm12, %%zmm12\n\t"
      "vpandd %%zmm26, %%zmm13, %%zmm13\n\t"
      "vmaxps %%zmm27, %%zmm12, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm13, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm14, %%zmm14\n\t"
      "vpandd %%zmm26, %%zmm15, %%zmm15\n\t"
      "vmaxps %%zmm27, %%zmm14, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm15, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm16, %%zmm16\n\t"
      "vpandd %%zmm26, %%zmm17, %%zmm17\n\t"
      "vmaxps %%zmm27, %%zmm16, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm17, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm18, %%zmm18\n\t"
      "vpandd %%zmm26, %%zmm19, %%zmm19\n\t"
      "vmaxps %%zmm27, %%zmm18, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm19, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm20, %%zmm20\n\t"
      "vpandd %%zmm26, %%zmm21, %%zmm21\n\t"
      "vmaxps %%zmm27, %%zmm20, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm21, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      "add %[stride], %[out]\n\t"
      "vpandd %%zmm26, %%zmm22, %%zmm22\n\t"
      "vpandd %%zmm26, %%zmm23, %%zmm23\n\t"
      "vmaxps %%zmm27, %%zmm22, %%zmm28\n\t"
      "vmaxps %%zmm28, %%zmm23, %%zmm28\n\t"
      "vextractf64x4 $1, %%zmm28, %%ymm29\n\t"
      "vmaxps %%ymm29, %%ymm28, %%ymm28\n\t"
      "vextractf32x4 $1, %%ymm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0x4E, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vpermilps $0xB1, %%xmm28, %%xmm29\n\t"
      "vmaxps %%xmm29, %%xmm28, %%xmm28\n\t"
      "vmovss %%xmm28, (%[out])\n\t"
      : [block] "+r"(block), [residuals] "+r"(residuals), [pairs] "+r"(pairs), [out] "+r"(out)
      : [stride] "r"(stride_bytes)
      : "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20", "zmm21", "zmm22", "zmm23", "zmm24", "zmm25", "zmm26", "zmm27", "zmm28", "zmm29", "memory", "cc");
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
