#ifndef FLUID_CMALLOC_SHIM_H
#define FLUID_CMALLOC_SHIM_H
// glibc's malloc tuning (mallopt, M_*), which the Glibc Swift module does not export.
#include <malloc.h>
#endif
