/* The portable path: every kernel over the one-lane shim. Built with baseline flags only.
 *
 * GCC's auto-vectorizer turns the shim's quiet compares (islessequal...) into SSE's signalling
 * cmpnleps, which raises "invalid" on a quiet NaN; this path stays one lane at a time. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-vectorize")
#endif
#define RECT_ISA scalar
#include "shim_scalar.h"
#include "instantiate.h"
