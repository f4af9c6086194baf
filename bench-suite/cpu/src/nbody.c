/* nbody: a softened gravitational N-body simulation in double precision
 * (all-pairs forces with a square root and a division per pair, leapfrog
 * steps), and after every step the kinetic energy in single precision
 * (double-to-single and single-to-integer conversions).  Built with
 * -ffp-contract=off on both sides, so guest and host round every operation
 * the same way; the checksum hashes the bits of the final state and every
 * step's energy. */
#include "common.h"

#define N 48
#define STEPS BENCH_SIZE(6000, 40)

const char bench_name[] = "nbody";
const uint64_t bench_expected = BENCH_SIZE(0x64b56791024d612dull, 0x94e5f78ddf389600ull);

static double px[N], py[N], pz[N], vx[N], vy[N], vz[N], mass[N];

static uint64_t bits(double v)
{
    union {
        double d;
        uint64_t u;
    } b = {v};
    return b.u;
}

static double unit(rng_t *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

uint64_t bench_run(void)
{
    rng_t rng;
    rng_seed(&rng, 4242);
    for (int i = 0; i < N; i++) {
        px[i] = unit(&rng) * 2.0 - 1.0;
        py[i] = unit(&rng) * 2.0 - 1.0;
        pz[i] = unit(&rng) * 2.0 - 1.0;
        vx[i] = (unit(&rng) - 0.5) * 0.01;
        vy[i] = (unit(&rng) - 0.5) * 0.01;
        vz[i] = (unit(&rng) - 0.5) * 0.01;
        mass[i] = 0.5 + unit(&rng);
    }
    const double dt = 0.001, soft = 0.01;
    uint64_t h = 0;
    for (int step = 0; step < STEPS; step++) {
        for (int i = 0; i < N; i++) {
            double ax = 0.0, ay = 0.0, az = 0.0;
            for (int j = 0; j < N; j++) {
                if (j == i)
                    continue;
                double dx = px[j] - px[i], dy = py[j] - py[i], dz = pz[j] - pz[i];
                double d2 = dx * dx + dy * dy + dz * dz + soft;
                double inv = mass[j] / (d2 * __builtin_sqrt(d2));
                ax += dx * inv;
                ay += dy * inv;
                az += dz * inv;
            }
            vx[i] += ax * dt;
            vy[i] += ay * dt;
            vz[i] += az * dt;
        }
        float energy = 0.0f;
        for (int i = 0; i < N; i++) {
            px[i] += vx[i] * dt;
            py[i] += vy[i] * dt;
            pz[i] += vz[i] * dt;
            float v2 = (float)(vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
            energy += 0.5f * (float)mass[i] * v2;
        }
        h = mix64(h, (uint64_t)(int64_t)(energy * 1e6f));
    }
    for (int i = 0; i < N; i++)
        h = mix64(h, bits(px[i]) ^ bits(vy[i]));
    return h;
}
