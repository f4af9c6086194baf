/* sort: sorts pseudo-random arrays, alternating two algorithms: an in-place
 * quicksort of 32-bit keys (median of three, insertion sort for short
 * ranges, recursion on the smaller side) and a bottom-up merge sort of
 * 64-bit keys with a scratch buffer.  Every result is checked to be sorted;
 * the checksum hashes all sorted arrays. */
#include "common.h"

#define N32 BENCH_SIZE(200000, 20000)
#define N64 BENCH_SIZE(120000, 12000)
#define ROUNDS BENCH_SIZE(16, 2)

const char bench_name[] = "sort";
const uint64_t bench_expected = BENCH_SIZE(0xb403cedfb8db0f14ull, 0xb64ff5096a4fc696ull);

static uint32_t keys32[N32];
static uint64_t keys64[N64];
static uint64_t scratch64[N64];

static void insertion_sort32(uint32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void quicksort32(uint32_t *a, size_t n)
{
    while (n > 16) {
        /* Median of three as pivot. */
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1], pivot;
        if (x < y)
            pivot = y < z ? y : (x < z ? z : x);
        else
            pivot = x < z ? x : (y < z ? z : y);
        /* Hoare partition. */
        size_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        size_t left = j + 1;
        if (left < n - left) {
            quicksort32(a, left);
            a += left;
            n -= left;
        } else {
            quicksort32(a + left, n - left);
            n = left;
        }
    }
    insertion_sort32(a, n);
}

static void mergesort64(uint64_t *a, uint64_t *tmp, size_t n)
{
    uint64_t *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        for (size_t i = 0; i < n; i++)
            a[i] = src[i];
}

uint64_t bench_run(void)
{
    uint64_t h = 0;
    rng_t rng;
    for (int round = 0; round < ROUNDS; round++) {
        rng_seed(&rng, 1000 + round);
        /* Keys from a limited range so that there are duplicates. */
        for (size_t i = 0; i < N32; i++)
            keys32[i] = (uint32_t)(rng_next(&rng) >> 40) * 255u;
        quicksort32(keys32, N32);
        for (size_t i = 1; i < N32; i++)
            if (keys32[i - 1] > keys32[i])
                return BENCH_SELF_CHECK_FAILED;
        for (size_t i = 0; i < N32; i++)
            h = mix64(h, keys32[i]);

        for (size_t i = 0; i < N64; i++)
            keys64[i] = rng_next(&rng);
        mergesort64(keys64, scratch64, N64);
        for (size_t i = 1; i < N64; i++)
            if (keys64[i - 1] > keys64[i])
                return BENCH_SELF_CHECK_FAILED;
        for (size_t i = 0; i < N64; i++)
            h = mix64(h, keys64[i]);
    }
    return h;
}
