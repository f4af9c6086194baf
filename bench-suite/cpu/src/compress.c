/* compress: an LZ77 compressor with hash chains (64 KiB window, greedy
 * parsing) and its decompressor, round-tripping pseudo-random text made of a
 * skewed vocabulary of words.  Every round trip must give back the input.
 *
 * Compressed format (our own): a sequence of tokens
 *   0x00..0x7f  literal run: (token + 1) bytes follow verbatim
 *   0x80..0xff  match: length (token & 0x7f) + MIN_MATCH, then a 16-bit
 *               little-endian distance 1..65535 back into the output. */
#include "common.h"

#define IN_BYTES BENCH_SIZE(384u * 1024, 64u * 1024)
#define ROUNDS BENCH_SIZE(32, 2)
#define OUT_MAX (IN_BYTES + IN_BYTES / 128 + 16)

#define MIN_MATCH 4
#define MAX_MATCH (0x7f + MIN_MATCH)
#define MAX_LITERALS 128
#define WINDOW (1u << 16)
#define HASH_BITS 14
#define CHAIN_DEPTH 16
#define NO_POS 0xffffffffu

const char bench_name[] = "compress";
const uint64_t bench_expected = BENCH_SIZE(0xd4dc1905bbb52357ull, 0x9b52e91531b0eb51ull);

static uint8_t input[IN_BYTES];
static uint8_t packed[OUT_MAX];
static uint8_t unpacked[IN_BYTES];
static uint32_t head[1u << HASH_BITS];
static uint32_t chain[WINDOW];
static uint8_t vocab[512][12];
static uint8_t vocab_len[512];

static void make_text(rng_t *rng)
{
    for (int w = 0; w < 512; w++) {
        int len = 2 + (int)rng_below(rng, 9);
        vocab_len[w] = (uint8_t)len;
        for (int k = 0; k < len; k++)
            vocab[w][k] = (uint8_t)('a' + rng_below(rng, 26));
    }
    size_t n = 0;
    while (n < IN_BYTES) {
        /* Small indices are much more likely: a rough Zipf shape. */
        uint32_t w = rng_below(rng, rng_below(rng, 512) + 1);
        for (int k = 0; k < vocab_len[w] && n < IN_BYTES; k++)
            input[n++] = vocab[w][k];
        if (n < IN_BYTES) {
            uint32_t r = rng_below(rng, 32);
            input[n++] = r == 0 ? '\n' : r == 1 ? ',' : r == 2 ? (uint8_t)rng_next(rng) : ' ';
        }
    }
}

static inline uint32_t load4(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t hash4(const uint8_t *p)
{
    return (load4(p) * 2654435761u) >> (32 - HASH_BITS);
}

static inline void insert(const uint8_t *in, uint32_t pos)
{
    uint32_t h = hash4(in + pos);
    chain[pos & (WINDOW - 1)] = head[h];
    head[h] = pos;
}

static size_t flush_literals(const uint8_t *in, uint32_t from, uint32_t to, uint8_t *out, size_t o)
{
    while (from < to) {
        uint32_t run = to - from > MAX_LITERALS ? MAX_LITERALS : to - from;
        out[o++] = (uint8_t)(run - 1);
        for (uint32_t k = 0; k < run; k++)
            out[o++] = in[from + k];
        from += run;
    }
    return o;
}

static size_t compress(const uint8_t *in, uint32_t n, uint8_t *out)
{
    for (uint32_t i = 0; i < (1u << HASH_BITS); i++)
        head[i] = NO_POS;
    size_t o = 0;
    uint32_t lit = 0, pos = 0;
    while (pos + MIN_MATCH <= n) {
        uint32_t best_len = 0, best_dist = 0;
        uint32_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
        uint32_t cand = head[hash4(in + pos)];
        for (int depth = 0; depth < CHAIN_DEPTH && cand != NO_POS; depth++) {
            uint32_t dist = pos - cand;
            if (dist == 0 || dist >= WINDOW)
                break;
            if (in[cand + best_len] == in[pos + best_len]) {
                uint32_t len = 0;
                while (len < limit && in[cand + len] == in[pos + len])
                    len++;
                if (len > best_len) {
                    best_len = len;
                    best_dist = dist;
                    if (len == limit)
                        break;
                }
            }
            uint32_t next = chain[cand & (WINDOW - 1)];
            if (next == NO_POS || next >= cand)
                break;
            cand = next;
        }
        if (best_len >= MIN_MATCH) {
            o = flush_literals(in, lit, pos, out, o);
            out[o++] = (uint8_t)(0x80 | (best_len - MIN_MATCH));
            out[o++] = (uint8_t)best_dist;
            out[o++] = (uint8_t)(best_dist >> 8);
            uint32_t end = pos + best_len;
            for (; pos < end; pos++)
                if (pos + MIN_MATCH <= n)
                    insert(in, pos);
            lit = pos;
        } else {
            insert(in, pos);
            pos++;
        }
    }
    return flush_literals(in, lit, n, out, o);
}

/* Returns the decompressed size, or (size_t)-1 for a malformed stream. */
static size_t decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t t = in[i++];
        if (t < 0x80) {
            size_t run = (size_t)t + 1;
            if (i + run > n || o + run > cap)
                return (size_t)-1;
            for (size_t k = 0; k < run; k++)
                out[o++] = in[i++];
        } else {
            size_t len = (size_t)(t & 0x7f) + MIN_MATCH;
            if (i + 2 > n)
                return (size_t)-1;
            size_t dist = (size_t)in[i] | (size_t)in[i + 1] << 8;
            i += 2;
            if (dist == 0 || dist > o || o + len > cap)
                return (size_t)-1;
            for (size_t k = 0; k < len; k++, o++)
                out[o] = out[o - dist];
        }
    }
    return o;
}

uint64_t bench_run(void)
{
    rng_t rng;
    uint64_t h = 0;
    for (int round = 0; round < ROUNDS; round++) {
        rng_seed(&rng, 77 + round);
        make_text(&rng);
        size_t clen = compress(input, IN_BYTES, packed);
        if (clen > OUT_MAX)
            return BENCH_SELF_CHECK_FAILED;
        size_t dlen = decompress(packed, clen, unpacked, IN_BYTES);
        if (dlen != IN_BYTES)
            return BENCH_SELF_CHECK_FAILED;
        for (size_t i = 0; i < IN_BYTES; i++)
            if (unpacked[i] != input[i])
                return BENCH_SELF_CHECK_FAILED;
        h = mix64(h, clen);
        for (size_t i = 0; i < clen; i++)
            h = mix64(h, packed[i]);
    }
    return h;
}
