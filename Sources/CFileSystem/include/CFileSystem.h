#ifndef EMBSURGERY_CFILESYSTEM_H
#define EMBSURGERY_CFILESYSTEM_H

#include <stdint.h>
#include <sys/types.h>

/// copy_file_range(2): copies `length` bytes between file descriptors inside the kernel (sharing
/// blocks on file systems that can). Offsets are optional (NULL means the descriptor's own
/// offset). Returns -1 with errno set on failure, including ENOSYS where the C library lacks it.
ssize_t cfilesystem_copy_file_range(int input, int64_t *input_offset, int output,
                                    int64_t *output_offset, size_t length);

/// ioctl(FICLONE): makes `output` share every block of `input` (the whole file). Returns -1 with
/// errno set (EOPNOTSUPP, EXDEV, EINVAL...) where the file system cannot.
int cfilesystem_clone_file(int output, int input);

/// ioctl(FICLONERANGE): makes `length` bytes of `output` at `output_offset` share the blocks of
/// `input` at `input_offset`. Offsets and length must be multiples of the block size (the length
/// may end at the input's end of file). Returns -1 with errno set where the file system cannot.
int cfilesystem_clone_range(int output, int input, uint64_t input_offset, uint64_t length,
                            uint64_t output_offset);

/// fstatfs(2)'s `f_bsize`: the block size of the file system holding `file`, stored in `size`.
/// Returns -1 with errno set on failure.
int cfilesystem_block_size(int file, int64_t *size);

/// The processors this process may run on (sched_getaffinity, so `taskset` and cgroup cpusets
/// count), or sysconf's online processors when that fails; at least 1.
int cfilesystem_available_processors(void);

#endif
