/* Test driver for the gated units (src/gated.c over src/kernels/ops_gated.h) on one CPU path:
 *
 *   gated_driver PATH
 *
 * runs every unit's forward and gradient kernel, every dtype, over inputs it makes itself (special
 * values: signed NaNs with payloads, +-inf, +-0, subnormals, huge and tail values; then values of
 * a fixed pseudo-random sequence), once per length 0..40 and 1001 and once through the rows of a
 * split array (rows = 3, in_stride = 2n), and prints one FNV-1a hash of every output's bytes per
 * unit and dtype. test_gated_neon_qemu.py compares the NEON path's hashes (under qemu-aarch64)
 * with every native path's. Exit status 3: this CPU lacks PATH; 4: a kernel wrote past its
 * output.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gated.h"
#include "rectifier/rectifier.h"

enum { EXIT_USAGE = 2, EXIT_NO_PATH = 3, EXIT_OVERRUN = 4, N_MAX = 1001, GUARD = 64 };

static const double specials[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e-40, -1e-40,
                                  1e-310, 3.4e38, -3.4e38, 1e300, -1e300, -13.7, -20.5, -88.0,
                                  -104.0, -200.5, -745.0, 1.0, -1.0, 0.5, 1e30, -1e30};

static uint64_t state = 0x9E3779B97F4A7C15u;
static double next_value(void) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return ((double)(state >> 11) / 9007199254740992.0 - 0.5) * 40.0;
}

static void store(int dtype, void *base, size_t i, double v) {
    if (dtype == RECT_F16) ((rect_f16 *)base)[i] = rect_f32_to_f16((float)v);
    else if (dtype == RECT_BF16) ((rect_bf16 *)base)[i] = rect_f32_to_bf16((float)v);
    else if (dtype == RECT_F32) ((float *)base)[i] = (float)v;
    else ((double *)base)[i] = v;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211u;
    return h;
}

static int guard_intact(const unsigned char *p) {
    int k;
    for (k = 0; k < GUARD; k++)
        if (p[k] != 0xA5) return 0;
    return 1;
}

int main(int argc, char **argv) {
    static const size_t esize[RECT_NDTYPES] = {2, 4, 8, 2};
    const size_t total = 3 * 2 * N_MAX;
    unsigned char *a = malloc(total * 8), *b = malloc(total * 8), *g = malloc(total * 8);
    unsigned char *y = malloc(total * 8 + GUARD), *ya = malloc(total * 8 + GUARD), *yb = malloc(total * 8 + GUARD);
    const rect_params p = {0.0, 0.0, 0.0, 0.0};
    unsigned cap;
    int op, dt;
    size_t i;
    if (argc != 2 || !a || !b || !g || !y || !ya || !yb) {
        fprintf(stderr, "usage: gated_driver PATH\n");
        return EXIT_USAGE;
    }
    cap = rect_path_bit(argv[1]);
    if (!cap) return EXIT_USAGE;
    rect_init();
    if (!(rect_capabilities_detected() & cap) || rect_set_capabilities(cap) != 0) return EXIT_NO_PATH;
    for (dt = 0; dt < RECT_NDTYPES; dt++) {
        const size_t ns = sizeof specials / sizeof specials[0];
        for (i = 0; i < total; i++) {
            /* every pair of specials first, then random values */
            store(dt, a, i, i < ns * ns ? specials[i % ns] : next_value());
            store(dt, b, i, i < ns * ns ? specials[i / ns] : next_value() / 4);
            store(dt, g, i, i % 7 == 3 ? specials[i % ns] : next_value() / 8);
        }
        for (op = 0; op < RECT_N_GATED; op++) {
            uint64_t h = 14695981039346656037u;
            size_t n;
            for (n = 0; n <= N_MAX; n = n == 40 ? N_MAX : n + 1) {
                rect_gated_rows one = {1, n, n, n, n}, rows = {3, n, 2 * n, n, n};
                int pass;
                for (pass = 0; pass < 3; pass++) {
                    const rect_gated_rows *s = pass == 0 ? &one : &rows;
                    const size_t out_n = s->rows * s->n, span = (pass == 2 ? 2 : 1) * out_n;
                    memset(y, 0xA5, total * 8 + GUARD), memset(ya, 0xA5, total * 8 + GUARD);
                    memset(yb, 0xA5, total * 8 + GUARD);
                    if (pass < 2) {
                        rect_gated(dt, op, s, a, b + (pass == 1 ? n * esize[dt] : 0), y, &p);
                        h = fnv(h, y, out_n * esize[dt]);
                        if (!guard_intact(y + out_n * esize[dt])) { fprintf(stderr, "overrun: forward op %d dtype %d n %zu pass %d\n", op, dt, n, pass); return EXIT_OVERRUN; }
                    } else {
                        /* the split form's gradient: both halves into one array like x */
                        rect_gated_rows split = {3, n, 2 * n, 2 * n, n};
                        rect_gated_grad(dt, op, &split, a, a + n * esize[dt], n % 2 ? NULL : g, ya,
                                        ya + n * esize[dt], &p);
                        h = fnv(h, ya, span * esize[dt]);
                        if (!guard_intact(ya + span * esize[dt])) { fprintf(stderr, "overrun: split gradient op %d dtype %d n %zu\n", op, dt, n); return EXIT_OVERRUN; }
                    }
                }
                memset(ya, 0xA5, total * 8 + GUARD), memset(yb, 0xA5, total * 8 + GUARD);
                rect_gated_grad(dt, op, &one, a, b, g, ya, yb, &p);
                h = fnv(fnv(h, ya, n * esize[dt]), yb, n * esize[dt]);
                if (!guard_intact(ya + n * esize[dt]) || !guard_intact(yb + n * esize[dt])) {
                    fprintf(stderr, "overrun: gradient op %d dtype %d n %zu\n", op, dt, n);
                    return EXIT_OVERRUN;
                }
                if (n == N_MAX) break;
            }
            printf("%d %d %016llx\n", op, dt, (unsigned long long)h);
        }
    }
    free(a), free(b), free(g), free(y), free(ya), free(yb);
    return 0;
}
