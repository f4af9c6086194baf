/* Native (host) harness: runs the same kernel function as the guest images
 * and checks the same expected checksum.  Prints the checksum, so a new or
 * changed kernel's expectation can be read off a native run. */
#include <stdio.h>

#include "common.h"

int main(void)
{
    uint64_t sum = bench_run();
    int ok = sum == bench_expected;
    printf("bench %s (native): checksum 0x%016llx %s", bench_name,
           (unsigned long long)sum, ok ? "ok\n" : "MISMATCH, expected ");
    if (!ok)
        printf("0x%016llx\n", (unsigned long long)bench_expected);
    return ok ? 0 : 1;
}
