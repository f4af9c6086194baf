/*
 * Benchmark helper task; its role is chosen by the spawner (startup arg0):
 *  IPC_ECHO   - echo server for the IPC latency workload; writes the counter
 *               right after Recv returns (shm[0]) and right before ReplyRecv
 *               (shm[1]) into a page shared with the client (SLOT_ARG)
 *  PINGPONG   - wait(SLOT_NTFN); signal(SLOT_ARG) forever
 *  RPC_SERVER - null RPC server: replies x+1
 *  RPC_CLIENT - arg1 calls on the server endpoint in SLOT_ARG, then reports
 *               DONE to the runner ("bench.done")
 *  SINK       - bulk transfer sink (copy through IPC buffer, or page mapping)
 *  CRASH_*    - fault on purpose (fault containment workload)
 *  SPIN       - compute without blocking for arg1 timer ticks (preemption
 *               test); progress flags in the page shared via SLOT_ARG
 */
#include "ulib.h"

static inline u64 counter(mk_word_t kind)
{
    if (kind == 1) return rdinstret();
    if (kind == 2) return rdtime();
    return rdcycle();
}

static void __attribute__((noreturn)) ipc_echo(struct mk_startup *su)
{
    mk_word_t kind = su->arg1;
    mk_vspace_map(MK_SLOT_VSPACE, MK_SLOT_ARG, MK_SHM_VA, MK_RIGHT_READ | MK_RIGHT_WRITE);
    volatile u64 *shm = (volatile u64 *)MK_SHM_VA;
    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        u64 t = counter(kind);
        shm[0] = t;
        shm[1] = counter(kind);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}

static void __attribute__((noreturn)) pingpong(void)
{
    for (;;) {
        sys_wait(MK_SLOT_NTFN, NULL);
        sys_signal(MK_SLOT_ARG);
    }
}

static void __attribute__((noreturn)) rpc_server(void)
{
    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        m.mr[0] = m.mr[0] + 1;
        m.info = MK_MSGINFO_MAKE(1, 0, 0);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}

static int rpc_client(struct mk_startup *su)
{
    mk_word_t calls = su->arg1, idx = su->arg2, errors = 0;
    for (mk_word_t i = 0; i < calls; i++) {
        mk_word_t x = (idx << 32) | i, y = 0;
        mk_word_t e = mk_bench_null(MK_SLOT_ARG, x, &y);
        if (e || y != x + 1) errors++;
    }
    mk_cptr_t done = slot_alloc();
    if (ns_lookup("bench.done", done)) return 3;
    mk_bench_done(done, idx, calls, errors);
    return 0;
}

static mk_cptr_t sink_caps[64];

static void __attribute__((noreturn)) sink(void)
{
    static u8 buf[MSG_BYTES_MAX] __attribute__((aligned(8)));
    u64 sum = FNV_INIT;
    mk_cptr_t recv = slot_alloc();
    struct mk_msg m = { 0 };
    set_recv_slot(recv);
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        mk_word_t label = MK_MSGINFO_LABEL(m.info), e = MK_ERR_OK;
        if (label == MK_BENCH_SINK) {
            mk_word_t n = m.mr[0], flags = m.mr[1];
            if (n > sizeof(buf)) n = sizeof(buf);
            if (flags & MK_SINK_FIRST) sum = FNV_INIT;
            msg_get_bytes(&m, 2, buf, n);
            sum = checksum64(buf, n, sum);
        } else if (label == MK_BENCH_GRANT) {
            mk_word_t i = m.mr[0];
            if (i < 64 && MK_MSGINFO_CAPS(m.info)) { sink_caps[i] = recv; recv = slot_alloc(); }
            else e = MK_ERR_INVALID_ARG;
        } else if (label == MK_BENCH_SINK_MAP) {
            mk_word_t len = m.mr[0], np = m.mr[1];
            for (mk_word_t i = 0; i < np && !e; i++)
                e = mk_vspace_map(MK_SLOT_VSPACE, sink_caps[i], MK_SHM_VA + i * MK_PAGE_SIZE, MK_RIGHT_READ);
            if (!e) sum = checksum64((const void *)MK_SHM_VA, len, FNV_INIT);
            for (mk_word_t i = 0; i < np; i++) mk_vspace_unmap(MK_SLOT_VSPACE, MK_SHM_VA + i * MK_PAGE_SIZE);
        } else {
            e = MK_ERR_ILLEGAL_OP;
        }
        m.mr[0] = sum;
        m.info = MK_MSGINFO_MAKE(1, 0, e);
        set_recv_slot(recv);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}

static int spin(struct mk_startup *su)
{
    mk_vspace_map(MK_SLOT_VSPACE, MK_SLOT_ARG, MK_SHM_VA, MK_RIGHT_READ | MK_RIGHT_WRITE);
    volatile u64 *flag = (volatile u64 *)MK_SHM_VA;
    flag[0] = 1;
    u64 end = rdtime() + su->arg1;
    while (rdtime() < end) {}
    flag[0] = 2;
    return 0;
}

int main(struct mk_startup *su)
{
    switch (su->arg0) {
    case MK_ROLE_IPC_ECHO: ipc_echo(su);
    case MK_ROLE_PINGPONG: pingpong();
    case MK_ROLE_RPC_SERVER: rpc_server();
    case MK_ROLE_RPC_CLIENT: return rpc_client(su);
    case MK_ROLE_SINK: sink();
    case MK_ROLE_CRASH_NULL: *(volatile u64 *)8 = 1; return 0;
    case MK_ROLE_CRASH_ILL: __asm__ volatile(".word 0"); return 0;
    case MK_ROLE_SPIN: return spin(su);
    default: return 1;
    }
}
