/* ptrchase: walks a random cyclic linked list of 64-byte nodes spread over
 * 4 MiB (one cycle through every node, built with Sattolo's shuffle), so
 * almost every step loads from a different, unpredictable cache line and
 * page.  The checksum covers the sum of the payloads seen and the index of
 * the node where each walk ends. */
#include "common.h"

#define NODES BENCH_SIZE(65536, 8192)
#define WALKS 8
#define STEPS_PER_WALK BENCH_SIZE(2000000, 100000)

const char bench_name[] = "ptrchase";
const uint64_t bench_expected = BENCH_SIZE(0xe6a3da29bbfd1347ull, 0xdd1013b9645ee477ull);

struct node {
    struct node *next;
    uint64_t value;
    uint64_t index;
    uint64_t pad[5];
};

static struct node nodes[NODES];
static uint32_t order[NODES];

static void build(rng_t *rng)
{
    for (uint32_t i = 0; i < NODES; i++)
        order[i] = i;
    /* Sattolo's algorithm: a uniformly random permutation with one cycle. */
    for (uint32_t i = NODES - 1; i > 0; i--) {
        uint32_t j = rng_below(rng, i);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < NODES; i++) {
        nodes[i].next = &nodes[order[i]];
        nodes[i].value = rng_next(rng) >> 16;
        nodes[i].index = i;
    }
}

static uint64_t walk(const struct node *p, uint64_t steps, const struct node **end)
{
    uint64_t sum = 0;
    for (uint64_t s = 0; s < steps; s++) {
        sum += p->value;
        p = p->next;
    }
    *end = p;
    return sum;
}

uint64_t bench_run(void)
{
    rng_t rng;
    rng_seed(&rng, 4242);
    build(&rng);
    /* The list must be a single cycle through all nodes. */
    const struct node *p = &nodes[0];
    for (uint32_t i = 1; i < NODES; i++) {
        p = p->next;
        if (p == &nodes[0])
            return BENCH_SELF_CHECK_FAILED;
    }
    if (p->next != &nodes[0])
        return BENCH_SELF_CHECK_FAILED;

    uint64_t h = 0;
    for (int w = 0; w < WALKS; w++) {
        const struct node *end;
        uint64_t sum = walk(&nodes[rng_below(&rng, NODES)], STEPS_PER_WALK, &end);
        h = mix64(mix64(h, sum), end->index);
    }
    return h;
}
