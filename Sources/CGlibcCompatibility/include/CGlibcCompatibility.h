// Nothing to import: this target only defines, for a build against an older glibc, the few
// symbols that the toolchain's static libraries take from a newer one (see
// CGlibcCompatibility.c).
