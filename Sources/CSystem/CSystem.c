#define _GNU_SOURCE
#include "CSystem.h"

#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

ssize_t csystem_copy_file_range(int input, int64_t *input_offset, int output,
                                int64_t *output_offset, size_t length) {
#ifdef SYS_copy_file_range
  return syscall(SYS_copy_file_range, input, input_offset, output, output_offset, length, 0u);
#else
  errno = ENOSYS;
  return -1;
#endif
}
