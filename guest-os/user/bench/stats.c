/*
 * In-guest aggregation: min/avg/max exactly over all samples, percentiles
 * over the first MAX_STORED samples of a series. Every sample is also
 * forwarded to the bench device (same stores whether or not it exists).
 */
#include "bench.h"

#define MAX_ACTIVE 4
#define MAX_STORED 8192
struct series {
    char name[48];
    unsigned id;
    bool used;
    u64 n, min, max, sum;
    u64 v[MAX_STORED];
};
static struct series S[MAX_ACTIVE];
static unsigned next_id;

int series_open(const char *name)
{
    for (int i = 0; i < MAX_ACTIVE; i++) {
        if (S[i].used) continue;
        struct series *s = &S[i];
        s->used = true;
        strncpy_z(s->name, name, sizeof(s->name));
        s->id = next_id++ % 256;
        s->n = s->sum = s->max = 0;
        s->min = ~0UL;
        bdev_name(s->id, s->name);
        return i;
    }
    return 0;
}

void series_add(int i, u64 v)
{
    struct series *s = &S[i];
    bdev_sample(s->id, v);
    if (s->n < MAX_STORED) s->v[s->n] = v;
    s->n++;
    s->sum += v;
    if (v < s->min) s->min = v;
    if (v > s->max) s->max = v;
}

u64 series_count(int i) { return S[i].n; }

static void sift(u64 *a, u64 start, u64 end)
{
    u64 root = start;
    while (2 * root + 1 <= end) {
        u64 child = 2 * root + 1, sw = root;
        if (a[sw] < a[child]) sw = child;
        if (child + 1 <= end && a[sw] < a[child + 1]) sw = child + 1;
        if (sw == root) return;
        u64 t = a[root]; a[root] = a[sw]; a[sw] = t;
        root = sw;
    }
}

static void heapsort(u64 *a, u64 n)
{
    if (n < 2) return;
    for (u64 start = (n - 2) / 2 + 1; start-- > 0;) sift(a, start, n - 1);
    for (u64 end = n - 1; end > 0; end--) {
        u64 t = a[0]; a[0] = a[end]; a[end] = t;
        sift(a, 0, end - 1);
    }
}

void series_report(int i, const char *wl, const char *unit)
{
    struct series *s = &S[i];
    u64 stored = s->n < MAX_STORED ? s->n : MAX_STORED;
    heapsort(s->v, stored);
    result(wl, s->name, "samples", s->n, "count");
    if (s->n) {
        result(wl, s->name, "min", s->min, unit);
        result(wl, s->name, "avg", s->sum / s->n, unit);
        result(wl, s->name, "p50", s->v[stored * 50 / 100], unit);
        result(wl, s->name, "p90", s->v[stored * 90 / 100], unit);
        result(wl, s->name, "p99", s->v[stored * 99 / 100], unit);
        result(wl, s->name, "max", s->max, unit);
    }
    s->used = false;
}
