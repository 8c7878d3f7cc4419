/* The portable path: every kernel over the one-lane shim. Built with baseline flags only. */
#define RECT_ISA scalar
#include "shim_scalar.h"
#include "instantiate.h"
