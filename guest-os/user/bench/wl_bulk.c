/*
 * Bulk transfer, 64 B .. 64 KiB (x4 steps), two ways:
 *  copy - the data goes through IPC buffers in chunks of up to ~3.7 KiB
 *         (MRs 2..479 of a message), the sink checksums it;
 *  map  - the data sits in a buffer at SHM_VA that the sink can reach; per
 *         transfer the sink checksums the part of it in use. How it reaches
 *         it is the variant's transport (bulk_transport.h): stock grants
 *         shared frames once and the sink maps and unmaps the pages it needs.
 * The sink's checksum (word-wise FNV-style) must match the runner's.
 */
#include "bench.h"
#include "bulk_transport.h"

#define MAX_BULK (64 * 1024)
#define CHUNK (MSG_BYTES_MAX - 16)

static u8 data[MAX_BULK] __attribute__((aligned(8)));

static void fill(u64 size, u64 seed)
{
    u64 s = seed * 0x9e3779b97f4a7c15UL + size + 1;
    for (u64 i = 0; i < size; i += 8) {
        u64 v = xorshift64(&s);
        memcpy(&data[i], &v, 8);
    }
}

void wl_bulk(void)
{
    mk_cptr_t ep = 0;
    u64 max = P.bulk_max > MAX_BULK ? MAX_BULK : P.bulk_max;
    unsigned npages_max = (unsigned)((max + MK_PAGE_SIZE - 1) / MK_PAGE_SIZE);
    mk_word_t buf = bulk_buf_alloc(npages_max);
    bool ok = buf && !spawn_task("bclient", MK_PRIO_RUNNER, MK_ROLE_SINK, 0, 0, MK_SPAWNF_EP, 0, &ep, NULL);
    ok = ok && bulk_buf_share(buf, ep, npages_max);
    check("bulk.setup", ok);
    if (!ok) return;
    char name[48];
    for (u64 size = P.bulk_min; size <= max; size *= 4) {
        /* copy through IPC buffers */
        snprintf(name, sizeof(name), "bulk_copy_%lu", size);
        int sc = series_open(name);
        unsigned errors = 0;
        for (u64 it = 0; it < P.bulk_iters + 1; it++) {
            fill(size, it);
            u64 expect = checksum64(data, size, FNV_INIT), got = 0;
            u64 t0 = counter();
            for (u64 off = 0; off < size; off += CHUNK) {
                u64 n = size - off < CHUNK ? size - off : CHUNK;
                struct mk_msg m;
                m.info = MK_MSGINFO_MAKE(2 + (n + 7) / 8, 0, MK_BENCH_SINK);
                m.mr[0] = n;
                m.mr[1] = (off == 0 ? MK_SINK_FIRST : 0) | (off + n == size ? MK_SINK_LAST : 0);
                msg_put_bytes(&m, 2, data + off, n);
                if (mk_sys_call(ep, &m)) errors++;
                got = m.mr[0];
            }
            u64 t1 = counter();
            if (got != expect) errors++;
            if (it > 0) series_add(sc, sub_ovh(t1, t0)); /* first transfer is warm-up */
        }
        snprintf(name, sizeof(name), "bulk.copy_%lu.checksum", size);
        check(name, errors == 0);
        series_report(sc, "bulk", counter_unit());

        /* through the shared buffer (stock: pages mapped per transfer) */
        snprintf(name, sizeof(name), "bulk_map_%lu", size);
        int sm = series_open(name);
        errors = 0;
        u64 np = (size + MK_PAGE_SIZE - 1) / MK_PAGE_SIZE;
        for (u64 it = 0; it < P.bulk_iters + 1; it++) {
            fill(size, it + 1000);
            memcpy((void *)MK_SHM_VA, data, size);
            u64 expect = checksum64(data, size, FNV_INIT), got = 0;
            u64 t0 = counter();
            mk_word_t e = bulk_sink_map(ep, buf, size, np, &got);
            u64 t1 = counter();
            if (e || got != expect) errors++;
            if (it > 0) series_add(sm, sub_ovh(t1, t0));
        }
        snprintf(name, sizeof(name), "bulk.map_%lu.checksum", size);
        check(name, errors == 0);
        series_report(sm, "bulk", counter_unit());
    }
    bulk_buf_release(npages_max);
}
