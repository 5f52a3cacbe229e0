// Netlib CBLAS, as Debian's libblas-dev installs it. Only the reference CBLAS subset is used,
// so any libblas.so.3 (reference BLAS or OpenBLAS) can be swapped in at run time.
#include <cblas.h>
