#ifndef EMBSURGERY_CSYSTEM_H
#define EMBSURGERY_CSYSTEM_H

#include <stdint.h>
#include <sys/types.h>

/// copy_file_range(2): copies `length` bytes between file descriptors inside the kernel.
/// Offsets are optional (NULL means the descriptor's own offset). Returns -1 with errno set on
/// failure, including ENOSYS where the C library lacks the call.
ssize_t csystem_copy_file_range(int input, int64_t *input_offset, int output,
                                int64_t *output_offset, size_t length);

#endif
