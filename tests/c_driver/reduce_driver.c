/* Test driver for the reductions (src/kernels/reduce.h): runs a batch of reduction calls on one
 * CPU path over raw arrays, so that test_reduce_neon_qemu.py can run the NEON kernels under
 * qemu-aarch64 and compare them with the native paths' ones.
 *
 *   reduce_driver PATH CASES_FILE DATA_FILE OUT_FILE
 *
 *   PATH       a path of rectifier/capabilities.h's table (the only path left enabled; exit
 *              status 3 if this CPU lacks it)
 *   CASES_FILE one call per line: OP DTYPE OUTER N INNER INCLUDE_ZERO X_OFFSET G_OFFSET Y_OFFSET
 *              (OP a number of enum rect_reduce_op; DTYPE f16 | f32 | f64 | bf16; offsets in bytes into
 *              DATA_FILE, G_OFFSET -1 for no grad; the output goes to OUT_FILE at Y_OFFSET, which
 *              starts as a copy of DATA_FILE so that in-place calls can be expressed)
 *   DATA_FILE  the inputs, raw little-endian
 *
 * Prints one line per call: the floating-point flags (overflow, invalid, divide-by-zero) the call
 * raised, as a number. The output of each call is checked for writes past its end (the 64 bytes
 * after it must keep their values); exit status 4 otherwise. Exit status 2: bad usage or I/O. */
#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/table.h"
#include "rectifier/rectifier.h"

enum { EXIT_USAGE = 2, EXIT_NO_PATH = 3, EXIT_OVERRUN = 4 };

static unsigned char *read_file(const char *name, size_t *size) {
    FILE *f = fopen(name, "rb");
    unsigned char *data;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) exit(EXIT_USAGE);
    data = malloc((size_t)n + 64);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) exit(EXIT_USAGE);
    fclose(f);
    memset(data + n, 0, 64);
    *size = (size_t)n;
    return data;
}

int main(int argc, char **argv) {
    unsigned cap;
    size_t data_size, out_size;
    unsigned char *data, *out;
    char op_line[512];
    FILE *cases, *f;
    if (argc != 5) {
        fprintf(stderr, "usage: reduce_driver PATH CASES_FILE DATA_FILE OUT_FILE\n");
        return EXIT_USAGE;
    }
    cap = rect_path_bit(argv[1]);
    if (!cap) return EXIT_USAGE;
    rect_init();
    if (!(rect_capabilities_detected() & cap) || rect_set_capabilities(cap) != 0) return EXIT_NO_PATH;
    data = read_file(argv[3], &data_size);
    out = malloc(data_size + 64);
    if (!out) return EXIT_USAGE;
    out_size = data_size;
    memcpy(out, data, data_size + 64);
    cases = fopen(argv[2], "r");
    if (!cases) return EXIT_USAGE;
    while (fgets(op_line, sizeof op_line, cases)) {
        int op, include_zero;
        char dt[8];
        unsigned long long outer, n, inner;
        long long xo, go, yo;
        unsigned char guard[64];
        size_t esize, count;
        rect_params p = {0, 0, 0, 0};
        if (sscanf(op_line, "%d %7s %llu %llu %llu %d %lld %lld %lld", &op, dt, &outer, &n, &inner,
                   &include_zero, &xo, &go, &yo) != 9)
            return EXIT_USAGE;
        esize = !strcmp(dt, "f16") || !strcmp(dt, "bf16") ? 2 : !strcmp(dt, "f32") ? 4 : 8;
        count = op == RECT_RED_logsumexp ? outer * inner : outer * n * inner;
        if ((size_t)yo + count * esize > out_size) return EXIT_USAGE;
        memcpy(guard, out + yo + count * esize, 64);
        p.a = include_zero;
        /* in place when the x or grad offset equals the output's: then the kernel reads `out` */
        const void *x = (xo == yo) ? (const void *)(out + xo) : (const void *)(data + xo);
        const void *g = go < 0 ? NULL : (go == yo) ? (const void *)(out + go) : (const void *)(data + go);
        feclearexcept(FE_ALL_EXCEPT);
        if (!strcmp(dt, "bf16")) rect_reduce_bf16(op, outer, n, inner, x, g, (void *)(out + yo), &p);
        else if (esize == 2) rect_reduce_f16(op, outer, n, inner, x, g, (void *)(out + yo), &p);
        else if (esize == 4) rect_reduce_f32(op, outer, n, inner, x, g, (void *)(out + yo), &p);
        else rect_reduce_f64(op, outer, n, inner, x, g, (void *)(out + yo), &p);
        printf("%d\n", fetestexcept(FE_OVERFLOW | FE_INVALID | FE_DIVBYZERO));
        if (memcmp(guard, out + yo + count * esize, 64) != 0) return EXIT_OVERRUN;
    }
    f = fopen(argv[4], "wb");
    if (!f || fwrite(out, 1, out_size, f) != out_size) return EXIT_USAGE;
    fclose(f);
    return 0;
}
