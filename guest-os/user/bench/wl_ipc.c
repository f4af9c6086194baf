/*
 * One-way IPC latency, measured as sel4bench does: the client reads the
 * counter right before Call, the server right after its Recv returns
 * (call latency); the server reads it right before ReplyRecv, the client
 * right after Call returns (reply latency). The server publishes its two
 * readings in a shared page. Counter-read overhead is subtracted, warm-up
 * iterations are discarded. Also: the full round trip in cycles and in
 * retired instructions (rdinstret; exact under QEMU -icount).
 */
#include "bench.h"

static const unsigned sizes[] = { 0, 1, 4, 16, 64 };

void wl_ipc(void)
{
    mk_cptr_t shm = shm_alloc(1), ep = 0;
    mk_word_t tid;
    bool ok = shm && !mk_vspace_map(MK_SLOT_VSPACE, shm, MK_SHM_VA, MK_RIGHT_READ | MK_RIGHT_WRITE);
    ok = ok && !spawn_task("bclient", MK_PRIO_RUNNER, MK_ROLE_IPC_ECHO, P.counter, 0, MK_SPAWNF_EP, shm, &ep, &tid);
    check("ipc.setup", ok);
    if (!ok) return;
    volatile u64 *srv = (volatile u64 *)MK_SHM_VA;
    char name[48], cname[64];

    for (unsigned k = 0; k < ARRAY_SIZE(sizes); k++) {
        unsigned len = sizes[k];
        snprintf(name, sizeof(name), "ipc_call_%uw", len);
        int sc = series_open(name);
        snprintf(name, sizeof(name), "ipc_reply_%uw", len);
        int sr = series_open(name);
        unsigned errors = 0;
        for (u64 i = 0; i < P.warmup + P.iters; i++) {
            struct mk_msg m;
            m.info = MK_MSGINFO_MAKE(len, 0, 0x77);
            for (unsigned j = 0; j < 4; j++) m.mr[j] = (i << 8) | j;
            for (unsigned j = 4; j < len; j++) MK_IPCBUF[j] = (i << 8) | j;
            u64 t0 = counter();
            mk_word_t e = mk_sys_call(ep, &m);
            u64 t1 = counter();
            if (e || MK_MSGINFO_LEN(m.info) != len || MK_MSGINFO_LABEL(m.info) != 0x77) errors++;
            for (unsigned j = 0; j < len; j++) if (msg_get(&m, j) != ((i << 8) | j)) { errors++; break; }
            if (i >= P.warmup) {
                series_add(sc, sub_ovh(srv[0], t0));
                series_add(sr, sub_ovh(t1, srv[1]));
            }
        }
        snprintf(cname, sizeof(cname), "ipc.call_%uw.echo", len);
        check(cname, errors == 0);
        series_report(sc, "ipc", counter_unit());
        series_report(sr, "ipc", counter_unit());
    }

    /* round trip (fastpath both ways for 0 words): cycles and instructions */
    int rc = series_open("ipc_rtt_0w");
    int ri = series_open("ipc_rtt_0w_instret");
    u64 iovh = ~0UL;
    for (int i = 0; i < 64; i++) { u64 a = rdinstret(), b = rdinstret(); if (b - a < iovh) iovh = b - a; }
    unsigned errors = 0;
    for (u64 i = 0; i < P.warmup + P.iters; i++) {
        struct mk_msg m = { 0 };
        u64 c0 = counter();
        mk_word_t e = mk_sys_call(ep, &m);
        u64 c1 = counter();
        struct mk_msg m2 = { 0 };
        u64 i0 = rdinstret();
        mk_word_t e2 = mk_sys_call(ep, &m2);
        u64 i1 = rdinstret();
        if (e || e2) errors++;
        if (i >= P.warmup) {
            series_add(rc, sub_ovh(c1, c0));
            series_add(ri, i1 - i0 > iovh ? i1 - i0 - iovh : 0);
        }
    }
    check("ipc.rtt.ok", errors == 0);
    series_report(rc, "ipc", counter_unit());
    series_report(ri, "ipc", "instret");
}
