#ifndef EMBSURGERY_CBFLOAT16PRODUCTS_H
#define EMBSURGERY_CBFLOAT16PRODUCTS_H

#include <stdbool.h>
#include <stdint.h>

/// The atoms of one block of a packed dictionary.
#define CBF16_BLOCK_ATOMS 32
/// The targets of one tile of packed residuals.
#define CBF16_TILE_TARGETS 12

/// Whether this processor has the AVX-512 BF16 dot-product instruction (vdpbf16ps) and the
/// operating system saves the AVX-512 registers. `cbf16_correlations` may only run when it does.
bool cbf16_supported(void);

/// maxima[t * stride + b] = the largest |correlation| of target t with an atom of block b (NaNs
/// passed over; 0 when all are NaN), for the blocks [first_block, first_block + block_count) and
/// the targets t < tile_count × CBF16_TILE_TARGETS. A correlation is the sum over column pairs p of
/// the two products of the atom's pair p and the target's pair p, accumulated in float by
/// vdpbf16ps; a column pair is a uint32: the bfloat16 of column 2p in its low half, of column
/// 2p + 1 in its high half.
///
/// - `dictionary`: blocks of CBF16_BLOCK_ATOMS atoms; block b holds, for p in [0, pairs), the
///   pairs p of its 32 atoms (32 uint32s).
/// - `residuals`: tiles of CBF16_TILE_TARGETS targets; tile t holds, for p in [0, pairs), the
///   pairs p of its 12 targets (12 uint32s).
/// - `maxima`: rows of `stride` floats, tile_count × CBF16_TILE_TARGETS of them.
void cbf16_block_maxima(const uint32_t *dictionary, int64_t pairs, int64_t first_block, int64_t block_count,
                        const uint32_t *residuals, int64_t tile_count, float *maxima, int64_t stride);

#endif
