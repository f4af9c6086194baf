/* matmul: integer matrix multiply, C = A x B on N x N matrices of 32-bit
 * unsigned values (arithmetic modulo 2^32), i-k-j loop order.  Each round
 * feeds a scrambled copy of C back in as the next B, so no round can be
 * skipped; the checksum hashes every product. */
#include "common.h"

#define N BENCH_SIZE(192, 64)
#define ROUNDS BENCH_SIZE(48, 3)

const char bench_name[] = "matmul";
const uint64_t bench_expected = BENCH_SIZE(0x69a3bf6c36b097e3ull, 0xcf7c6f6d44181db2ull);

static uint32_t A[N][N], B[N][N], C[N][N];

static void multiply(void)
{
    for (int i = 0; i < N; i++) {
        uint32_t *c = C[i];
        for (int j = 0; j < N; j++)
            c[j] = 0;
        for (int k = 0; k < N; k++) {
            uint32_t a = A[i][k];
            const uint32_t *b = B[k];
            for (int j = 0; j < N; j++)
                c[j] += a * b[j];
        }
    }
}

uint64_t bench_run(void)
{
    rng_t rng;
    rng_seed(&rng, 31337);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (uint32_t)(rng_next(&rng) >> 48);
            B[i][j] = (uint32_t)(rng_next(&rng) >> 48);
        }
    uint64_t h = 0;
    for (int round = 0; round < ROUNDS; round++) {
        multiply();
        for (int i = 0; i < N; i++) {
            uint64_t row = 0;
            for (int j = 0; j < N; j++)
                row = row * 31 + C[i][j];
            h = mix64(h, row);
        }
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                B[i][j] = (C[j][i] ^ (C[j][i] >> 13)) & 0xffffu;
    }
    return h;
}
