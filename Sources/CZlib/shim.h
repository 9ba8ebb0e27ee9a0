#ifndef FLUID_CZLIB_SHIM_H
#define FLUID_CZLIB_SHIM_H
#include <zlib.h>
#endif
