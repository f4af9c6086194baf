/* hash: three 64/32-bit hashes over a 1 MiB pseudo-random buffer, repeated
 * with the buffer perturbed by the previous round's result:
 *   - FNV-1a 64 (byte at a time: xor, multiply),
 *   - a four-lane multiply/rotate hash over 64-bit words with a final
 *     avalanche (in the style of xxHash, constants of our own),
 *   - CRC-32 (reflected polynomial 0xEDB88320) with a 256-entry table. */
#include "common.h"

#define BUF_BYTES BENCH_SIZE(1u << 20, 1u << 18)
#define ROUNDS BENCH_SIZE(120, 4)

const char bench_name[] = "hash";
const uint64_t bench_expected = BENCH_SIZE(0xe513572b8726e734ull, 0x792f609cd09d183cull);

static uint64_t buf[BUF_BYTES / 8];
static uint32_t crc_table[256];

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define K1 0x9e3779b97f4a7c15ull
#define K2 0xc13fa9a902a6328full
#define K3 0x91e10da5c79e7b1dull

static inline uint64_t lane_round(uint64_t acc, uint64_t w)
{
    acc += w * K2;
    acc = rotl64(acc, 29);
    return acc * K1;
}

/* nwords must be a multiple of 4. */
static uint64_t lanes64(const uint64_t *w, size_t nwords, uint64_t seed)
{
    uint64_t a = seed + K1 + K2, b = seed + K2, c = seed, d = seed - K1;
    for (size_t i = 0; i + 4 <= nwords; i += 4) {
        a = lane_round(a, w[i]);
        b = lane_round(b, w[i + 1]);
        c = lane_round(c, w[i + 2]);
        d = lane_round(d, w[i + 3]);
    }
    uint64_t h = rotl64(a, 1) + rotl64(b, 9) + rotl64(c, 17) + rotl64(d, 25);
    h = (h ^ lane_round(0, a)) * K1 + K3;
    h = (h ^ lane_round(0, b)) * K1 + K3;
    h = (h ^ lane_round(0, c)) * K1 + K3;
    h = (h ^ lane_round(0, d)) * K1 + K3;
    h += (uint64_t)nwords * 8;
    h ^= h >> 33;
    h *= K2;
    h ^= h >> 29;
    h *= K3;
    h ^= h >> 32;
    return h;
}

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

uint64_t bench_run(void)
{
    rng_t rng;
    rng_seed(&rng, 2024);
    for (size_t i = 0; i < BUF_BYTES / 8; i++)
        buf[i] = rng_next(&rng);
    crc32_init();

    uint64_t h = 0;
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t f = fnv1a64((const uint8_t *)buf, BUF_BYTES);
        uint64_t l = lanes64(buf, BUF_BYTES / 8, (uint64_t)round);
        uint32_t c = crc32((const uint8_t *)buf, BUF_BYTES);
        h = mix64(mix64(mix64(h, f), l), c);
        /* Perturb the buffer so that no round repeats the previous one. */
        buf[h % (BUF_BYTES / 8)] ^= h;
    }
    return h;
}
