#define _GNU_SOURCE
#include "CFileSystem.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sched.h>

ssize_t cfilesystem_copy_file_range(int input, int64_t *input_offset, int output,
                                    int64_t *output_offset, size_t length) {
#ifdef SYS_copy_file_range
  return syscall(SYS_copy_file_range, input, input_offset, output, output_offset, length, 0u);
#else
  errno = ENOSYS;
  return -1;
#endif
}

int cfilesystem_clone_file(int output, int input) {
#ifdef FICLONE
  return ioctl(output, FICLONE, input);
#else
  errno = EOPNOTSUPP;
  return -1;
#endif
}

int cfilesystem_clone_range(int output, int input, uint64_t input_offset, uint64_t length,
                            uint64_t output_offset) {
#ifdef FICLONERANGE
  struct file_clone_range range = {
      .src_fd = input, .src_offset = input_offset, .src_length = length,
      .dest_offset = output_offset};
  return ioctl(output, FICLONERANGE, &range);
#else
  errno = EOPNOTSUPP;
  return -1;
#endif
}

int cfilesystem_block_size(int file, int64_t *size) {
  struct statfs info;
  int result = fstatfs(file, &info);
  if (result == 0) *size = (int64_t)info.f_bsize;
  return result;
}

int cfilesystem_available_processors(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? (int)online : 1;
}
