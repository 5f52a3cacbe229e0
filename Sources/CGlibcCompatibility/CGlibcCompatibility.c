// What the static executable's prebuilt libraries expect from a newer glibc than the one it is
// linked against. scripts/package links the release executable against a Debian bullseye
// sysroot (glibc 2.31), so that it runs on every glibc from 2.31 on, while the Swift runtime
// and libstdc++.a (GCC 12) come from this machine's toolchain, built for glibc 2.36. Each
// definition is compiled only when the glibc being built against lacks it, so a normal build
// (against the system's glibc) compiles this file to nothing and the executable uses glibc's.
// Defined in the executable, these are resolved at link time and never looked up in the glibc
// the binary runs on.
#define _GNU_SOURCE
#include <features.h>

#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 32)
// glibc 2.32: libstdc++ (GCC 11 and later) reads this flag to skip atomic reference counting
// while a process has one thread. Zero says "maybe several threads", which is always correct:
// libstdc++ then takes the atomic path it takes on any glibc that lacks the flag.
char __libc_single_threaded = 0;
#endif

#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 36)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

// glibc 2.36: libstdc++'s std::random_device calls arc4random. Over the getrandom system call
// (Linux 3.17), as glibc's own is; like glibc's, it aborts rather than return a value that is
// not random.
uint32_t arc4random(void) {
  uint32_t value;
  unsigned char *bytes = (unsigned char *)&value;
  size_t length = sizeof value;
  while (length > 0) {
    ssize_t count = getrandom(bytes, length, 0);
    if (count < 0) {
      if (errno == EINTR) continue;
      abort();
    }
    bytes += count;
    length -= (size_t)count;
  }
  return value;
}
#endif
