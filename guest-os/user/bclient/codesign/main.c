/*
 * Benchmark helper task, codesign build (see ../main.c for the roles).
 * The servers (IPC_ECHO, RPC_SERVER, SINK) serve their endpoint through a
 * call gate: clients' threads enter the handler directly (gcall, no kernel),
 * with the caller's IPC buffer visible at MK_IPCBUF (Xline window 0); the
 * task's own thread keeps serving the endpoint the stock way for callers
 * without a gate, with the same handler under the task's server lock.
 * SINK_MAP reads the runner's bulk window, handed over with the call.
 */
#include "ulib.h"

void cs_crash_null(void);        /* pin.S */
void cs_crash_ill(void);

static mk_word_t counter_kind;

static inline u64 counter(mk_word_t kind)
{
    if (kind == 1) return rdinstret();
    if (kind == 2) return rdtime();
    return rdcycle();
}

/* serve the endpoint the stock way with the gate's handler (callers without a gate) */
static void __attribute__((noreturn)) serve_stock(cs_gate_fn fn, const mk_cptr_t *recv)
{
    struct mk_msg m = { 0 };
    if (recv) set_recv_slot(*recv);
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        cs_lock();
        mk_word_t e = fn(&m);
        cs_unlock();
        if (e) m.info = MK_MSGINFO_MAKE(0, 0, e);
        if (recv) set_recv_slot(*recv);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}

/* IPC_ECHO: counter right after entry (shm[0]) and right before the return (shm[1]) */
static volatile u64 *const echo_shm = (volatile u64 *)MK_SHM_VA;
static mk_word_t echo(struct mk_msg *m)
{
    (void)m;
    u64 t = counter(counter_kind);
    echo_shm[0] = t;
    echo_shm[1] = counter(counter_kind);
    return MK_ERR_OK;
}

static mk_word_t rpc(struct mk_msg *m)
{
    m->mr[0] = m->mr[0] + 1;
    m->info = MK_MSGINFO_MAKE(1, 0, 0);
    return MK_ERR_OK;
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

static u64 sink_sum = FNV_INIT;
static mk_cptr_t sink_recv;
static mk_cptr_t sink_caps[64];
static mk_word_t sink(struct mk_msg *m)
{
    static u8 buf[MSG_BYTES_MAX] __attribute__((aligned(8)));
    mk_word_t label = MK_MSGINFO_LABEL(m->info), e = MK_ERR_OK;
    if (label == MK_BENCH_SINK) {
        mk_word_t n = m->mr[0], flags = m->mr[1];
        if (n > sizeof(buf)) n = sizeof(buf);
        if (flags & MK_SINK_FIRST) sink_sum = FNV_INIT;
        msg_get_bytes(m, 2, buf, n);
        sink_sum = checksum64(buf, n, sink_sum);
    } else if (label == MK_BENCH_SINK_MAP) {
        /* the caller handed its bulk window (at SHM_VA) over with the call */
        mk_word_t len = m->mr[0];
        if (len > 64 * MK_PAGE_SIZE) e = MK_ERR_INVALID_ARG;
        else sink_sum = checksum64((const void *)MK_SHM_VA, len, FNV_INIT);
    } else if (label == MK_BENCH_GRANT) {
        /* stock protocol (frames passed with the kernel's capability transfer) */
        mk_word_t i = m->mr[0];
        if (i < 64 && MK_MSGINFO_CAPS(m->info) && sink_recv) { sink_caps[i] = sink_recv; sink_recv = slot_alloc(); }
        else e = MK_ERR_INVALID_ARG;
    } else {
        e = MK_ERR_ILLEGAL_OP;
    }
    m->mr[0] = sink_sum;
    m->info = MK_MSGINFO_MAKE(1, 0, e);
    return MK_ERR_OK;
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

/*
 * PINGPONG: the notification is backed by a hardware queue whose "non-empty"
 * event is bound to this task's handler context (QUEUE): a signal (asend)
 * switches the hart here at once, the handler answers (asend to the
 * runner's queue) and returns to the interrupted context with uiret - two
 * hardware context switches per round trip, no kernel, no scheduler. The
 * task's thread answers signals that came through the kernel instead
 * (before the queue existed) and otherwise sleeps.
 */
static u64 pp_line[8] __attribute__((aligned(64)));
static mk_word_t pp_queue, pp_binding;
u8 cs_pp_stack[2048] __attribute__((aligned(16)));
void cs_pingpong_entry(void);    /* pp.S */
void pingpong_irq(void);
void pingpong_irq(void)
{
    while (cs_arecv(pp_queue, pp_line) == CS_ST_OK)
        while (cs_asend(MK_SLOT_ARG, pp_line) == CS_ST_FULL) {}
    cs_uiack(pp_binding);
}

static void __attribute__((noreturn)) pingpong(void)
{
    pp_queue = cs_queue(MK_SLOT_NTFN, cs_pingpong_entry, cs_pp_stack + sizeof(cs_pp_stack), &pp_binding);
    for (;;) {
        struct mk_msg m = { 0 };
        mk_sys_wait(MK_SLOT_NTFN, &m);   /* the kernel's notification */
        sys_signal(MK_SLOT_ARG);
    }
}

int main(struct mk_startup *su)
{
    switch (su->arg0) {
    case MK_ROLE_IPC_ECHO:
        counter_kind = su->arg1;
        mk_vspace_map(MK_SLOT_VSPACE, MK_SLOT_ARG, MK_SHM_VA, MK_RIGHT_READ | MK_RIGHT_WRITE);
        cs_gate_serve(MK_SLOT_ENDPOINT, echo);
        serve_stock(echo, 0);
    case MK_ROLE_PINGPONG: pingpong();
    case MK_ROLE_RPC_SERVER:
        cs_gate_serve(MK_SLOT_ENDPOINT, rpc);
        serve_stock(rpc, 0);
    case MK_ROLE_RPC_CLIENT: return rpc_client(su);
    case MK_ROLE_SINK:
        sink_recv = slot_alloc();
        cs_gate_serve(MK_SLOT_ENDPOINT, sink);
        serve_stock(sink, &sink_recv);
    case MK_ROLE_CRASH_NULL: cs_crash_null(); return 0;
    case MK_ROLE_CRASH_ILL: cs_crash_ill(); return 0;
    case MK_ROLE_SPIN: return spin(su);
    default: return 1;
    }
}
