/* Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3" (SC11; the Random123 library), written once over the shim's 32-bit
 * integer lanes (u32_v). One lane holds one counter; every lane runs the same ten rounds.
 *
 * How the package uses it (the same on every CPU path, so results are bit-identical):
 *   key     the 64-bit seed: k0 = its low 32 bits, k1 = its high 32 bits;
 *   counter (c0, c1, c2, c3) = (low and high 32 bits of a 64-bit counter index, a stream tag that
 *           separates the functions, 0);
 *   groups  group g is the 32 words of counters 8g .. 8g + 7: word t of the group is word t / 8 of
 *           counter 8g + t % 8. Each kernel maps the elements of its output onto the words of the
 *           groups by their logical index alone (random.h), so the words an element gets do not
 *           depend on the vector width, the memory layout or where a call starts.
 * Included by the ISA files through random.h after the shim; type-independent, so guarded. */
#ifndef RECT_PHILOX_H
#define RECT_PHILOX_H

#include <stdint.h>
#include <string.h>

#define RECT_PHILOX_M0 0xD2511F53u /* the multipliers and the key increments (Weyl sequence) */
#define RECT_PHILOX_M1 0xCD9E8D57u
#define RECT_PHILOX_W0 0x9E3779B9u
#define RECT_PHILOX_W1 0xBB67AE85u
#define RECT_PHILOX_ROUNDS 10
#define RECT_GROUP_COUNTERS 8
#define RECT_GROUP_WORDS 32
/* Groups made by one rect_philox_run in the kernels' main loop: enough vectors for two
 * independent chains of rounds whatever the width (2 with up to 8 lanes, 4 with 16). */
#define RECT_GROUP_BATCH (u32_LANES > RECT_GROUP_COUNTERS ? 2 * u32_LANES / RECT_GROUP_COUNTERS : 2)
/* the kernels' word buffer: a batch, with room for a whole vector read past its last word */
#define RECT_GROUP_BUFFER (RECT_GROUP_BATCH * RECT_GROUP_WORDS + u32_LANES)

/* The code below holds for any width that divides a group's counters or is a multiple of them, up
 * to 16 lanes (random.h's tails and buffers assume no more). */
_Static_assert(u32_LANES <= 16, "philox.h and random.h are written for at most 16 lanes");
_Static_assert(RECT_GROUP_COUNTERS % u32_LANES == 0 || u32_LANES % RECT_GROUP_COUNTERS == 0,
               "a vector must hold a whole number of groups' counters, or a group a whole number of vectors");

/* the stream tags (counter word c2) */
#define RECT_STREAM_RRELU 0x72726c75u      /* "rrlu" */
#define RECT_STREAM_NOISY_RELU 0x6e726c75u /* "nrlu" */

/* The round keys: round r uses key + r * (W0, W1). */
typedef struct rect_philox_key {
    uint32_t k0[RECT_PHILOX_ROUNDS], k1[RECT_PHILOX_ROUNDS];
} rect_philox_key;

static inline void rect_philox_schedule(uint64_t key, rect_philox_key *ks) {
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    int r;
    for (r = 0; r < RECT_PHILOX_ROUNDS; r++) {
        ks->k0[r] = k0, ks->k1[r] = k1;
        k0 += RECT_PHILOX_W0, k1 += RECT_PHILOX_W1;
    }
}

/* Ten rounds on the counters in c[0..3] (one counter per lane), in place. */
static inline void rect_philox_lanes(u32_v c[4], const rect_philox_key *ks) {
    int r;
    for (r = 0; r < RECT_PHILOX_ROUNDS; r++) {
        u32_v hi0, hi1;
        u32_v lo0 = u32_mulhilo(c[0], RECT_PHILOX_M0, &hi0);
        u32_v lo1 = u32_mulhilo(c[2], RECT_PHILOX_M1, &hi1);
        u32_v next0 = u32_xor(u32_xor(hi1, c[1]), u32_set1(ks->k0[r]));
        u32_v next2 = u32_xor(u32_xor(hi0, c[3]), u32_set1(ks->k1[r]));
        c[0] = next0, c[1] = lo1, c[2] = next2, c[3] = lo0;
    }
}

/* The counters of vector v of the groups from `group` on: 8 group + v L + lane. */
static inline void rect_philox_counters(uint64_t group, size_t v, uint32_t c2, uint32_t c3, u32_v c[4]) {
    const uint64_t first = group * RECT_GROUP_COUNTERS + (uint64_t)v * u32_LANES;
    if ((uint32_t)first <= UINT32_MAX - (u32_LANES - 1)) { /* no lane's low word wraps */
        c[0] = u32_add(u32_set1((uint32_t)first), u32_iota());
        c[1] = u32_set1((uint32_t)(first >> 32));
    } else { /* (only where a vector spans groups, first being then a multiple of 8 only) */
        uint32_t lo[u32_LANES], hi[u32_LANES];
        int j;
        for (j = 0; j < u32_LANES; j++) lo[j] = (uint32_t)(first + (unsigned)j), hi[j] = (uint32_t)((first + (unsigned)j) >> 32);
        c[0] = u32_load(lo);
        c[1] = u32_load(hi);
    }
    c[2] = u32_set1(c2);
    c[3] = u32_set1(c3);
}

/* Word k of the counters of vector v into their places in the groups' words (see the top of this
 * file), for the first `count` groups only. */
static inline void rect_philox_store(uint32_t *words, size_t v, int k, u32_v w, size_t count) {
    const size_t offset = v * u32_LANES; /* the vector's first counter, from the first group's */
#if u32_LANES <= RECT_GROUP_COUNTERS
    (void)count;
    u32_store(words + RECT_GROUP_WORDS * (offset / RECT_GROUP_COUNTERS) + RECT_GROUP_COUNTERS * k
                  + offset % RECT_GROUP_COUNTERS, w);
#else
    uint32_t lanes[u32_LANES];
    size_t j;
    u32_store(lanes, w);
    for (j = 0; j < u32_LANES / RECT_GROUP_COUNTERS && offset / RECT_GROUP_COUNTERS + j < count; j++)
        memcpy(words + RECT_GROUP_WORDS * (offset / RECT_GROUP_COUNTERS + j) + RECT_GROUP_COUNTERS * k,
               lanes + RECT_GROUP_COUNTERS * j, RECT_GROUP_COUNTERS * sizeof(uint32_t));
#endif
}

/* The 32 words of each of `count` groups from `group` on into words[0 .. 32 count): the vectors
 * of counters two at a time, the rounds of the two interleaved (each round's multiplications wait
 * for the previous round's; two independent chains keep the multipliers busy). */
static inline void rect_philox_run(uint64_t group, size_t count, uint32_t c2, uint32_t c3,
                                   const rect_philox_key *ks, uint32_t *words) {
    const size_t vectors = (count * RECT_GROUP_COUNTERS + u32_LANES - 1) / u32_LANES;
    size_t v;
    int k, r;
    for (v = 0; v + 2 <= vectors; v += 2) {
        u32_v a[4], b[4];
        rect_philox_counters(group, v, c2, c3, a);
        rect_philox_counters(group, v + 1, c2, c3, b);
        for (r = 0; r < RECT_PHILOX_ROUNDS; r++) {
            const u32_v k0 = u32_set1(ks->k0[r]), k1 = u32_set1(ks->k1[r]);
            u32_v ahi0, ahi1, bhi0, bhi1;
            u32_v alo0 = u32_mulhilo(a[0], RECT_PHILOX_M0, &ahi0), blo0 = u32_mulhilo(b[0], RECT_PHILOX_M0, &bhi0);
            u32_v alo1 = u32_mulhilo(a[2], RECT_PHILOX_M1, &ahi1), blo1 = u32_mulhilo(b[2], RECT_PHILOX_M1, &bhi1);
            a[0] = u32_xor(u32_xor(ahi1, a[1]), k0), a[2] = u32_xor(u32_xor(ahi0, a[3]), k1);
            b[0] = u32_xor(u32_xor(bhi1, b[1]), k0), b[2] = u32_xor(u32_xor(bhi0, b[3]), k1);
            a[1] = alo1, a[3] = alo0, b[1] = blo1, b[3] = blo0;
        }
        for (k = 0; k < 4; k++) {
            rect_philox_store(words, v, k, a[k], count);
            rect_philox_store(words, v + 1, k, b[k], count);
        }
    }
    if (v < vectors) {
        u32_v c[4];
        rect_philox_counters(group, v, c2, c3, c);
        rect_philox_lanes(c, ks);
        for (k = 0; k < 4; k++) rect_philox_store(words, v, k, c[k], count);
    }
}

#endif
