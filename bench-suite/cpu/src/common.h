/* Shared definitions for the mkjit CPU benchmark programs.
 *
 * Every kernel file (sort.c, hash.c, ...) defines
 *
 *     const char bench_name[];            short program name
 *     const uint64_t bench_expected;      checksum the run must produce
 *     uint64_t bench_run(void);           the work; returns its checksum
 *
 * and is linked either with guest.c (+ start_m.S or start_u.S) into a
 * bare-metal RV64 image, or with native.c into a host executable.  The kernel
 * code itself is plain, portable C: fixed-width unsigned types only (RISC-V
 * `char` is unsigned, x86-64's is signed), no signed overflow, no dependence
 * on addresses, so the guest and the host compute the same checksum.
 *
 * Sizes are chosen at compile time: BENCH_QUICK=1 selects the small inputs of
 * the quick smoke mode, BENCH_QUICK=0 (default) the full ones.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifndef BENCH_QUICK
#define BENCH_QUICK 0
#endif

/* Pick the full-size or quick-mode value of a parameter. */
#define BENCH_SIZE(full, quick) (BENCH_QUICK ? (quick) : (full))

extern const char bench_name[];
extern const uint64_t bench_expected;
uint64_t bench_run(void);

/* Deterministic PRNG: splitmix64 for seeding, xorshift64* for streams. */
typedef struct {
    uint64_t s;
} rng_t;

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void rng_seed(rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    r->s = splitmix64(&x);
    if (r->s == 0)
        r->s = 1;
}

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Uniform-enough value in [0, n) for n well below 2^32. */
static inline uint32_t rng_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Order-dependent 64-bit checksum accumulator. */
static inline uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> ((64 - r) & 63));
}

/* Returned instead of a checksum when a kernel's own consistency check
 * (sortedness, round trip, ...) fails; never equal to a real expectation. */
#define BENCH_SELF_CHECK_FAILED 0xdeadbeefdeadbeefull

#endif
