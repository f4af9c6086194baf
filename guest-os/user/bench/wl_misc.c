/* Context-switch ping-pong, null-RPC throughput, IRQ latency, fault containment. */
#include "bench.h"

/*
 * Ping-pong between the runner and a task in another address space, both at
 * the same priority, through notifications: signal the peer, wait for its
 * signal. Every round trip is two context switches through the scheduler
 * (no IPC fastpath involved).
 */
void wl_pingpong(void)
{
    mk_cptr_t mine = slot_alloc(), peer = 0;
    mk_word_t tid;
#ifdef CODESIGN
    /* our notification in a hardware queue (Xamsg): the peer's signals are asend */
    static bool queued;
    if (!queued) { cs_queue(MK_SLOT_NTFN, NULL, NULL, NULL); queued = true; }
#endif
    bool ok = !mk_cspace_mint(MK_SLOT_CSPACE, mine, MK_SLOT_NTFN, MK_RIGHT_WRITE, 0x5);
    ok = ok && !spawn_task("bclient", MK_PRIO_RUNNER, MK_ROLE_PINGPONG, 0, 0, MK_SPAWNF_NTFN, mine, &peer, &tid);
    check("pingpong.setup", ok);
    if (!ok) return;
    int rt = series_open("pingpong_rtt");
    int sw = series_open("ctxswitch");
    unsigned errors = 0;
    for (u64 i = 0; i < P.warmup + P.iters; i++) {
        mk_word_t badge = 0;
        u64 t0 = counter();
        sys_signal(peer);
        mk_word_t e = sys_wait(MK_SLOT_NTFN, &badge);
        u64 t1 = counter();
        if (e || badge != 0x5) errors++;
        if (i >= P.warmup) {
            series_add(rt, sub_ovh(t1, t0));
            series_add(sw, sub_ovh(t1, t0) / 2);
        }
    }
    check("pingpong.badges", errors == 0);
    series_report(rt, "pingpong", counter_unit());
    series_report(sw, "pingpong", counter_unit());
}

/*
 * Null-RPC throughput: `servers` server tasks and `clients` client tasks
 * (each its own address space), client i calls server i % servers
 * rpc_calls times and reports to the runner. The runner (higher priority)
 * creates everything first, then blocks collecting DONE messages; the
 * elapsed counter covers all calls.
 */
void wl_rpc(void)
{
    static mk_cptr_t srv[256];
    u64 ns = P.servers > 256 ? 256 : P.servers, nc = P.clients;
    bool ok = true;
    for (u64 s = 0; s < ns && ok; s++)
        ok = !spawn_task("bclient", MK_PRIO_CLIENT, MK_ROLE_RPC_SERVER, 0, 0, MK_SPAWNF_EP, 0, &srv[s], NULL);
    for (u64 c = 0; c < nc && ok; c++)
        ok = !spawn_task("bclient", MK_PRIO_CLIENT, MK_ROLE_RPC_CLIENT, P.rpc_calls, c,
                         0, srv[c % ns], NULL, NULL);
    for (u64 s = 0; s < ns; s++) if (srv[s]) slot_free(srv[s]);
    check("rpc.setup", ok);
    if (!ok) return;
    int id = series_open("rpc_total");
    u64 t0 = counter();
    u64 calls = 0, errors = 0, done = 0;
    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        if (MK_MSGINFO_LABEL(m.info) == MK_BENCH_DONE) { calls += m.mr[1]; errors += m.mr[2]; done++; }
        if (done == nc) break;
        m.info = 0;
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
    u64 t1 = counter();
    m.info = 0;
    mk_sys_reply(0, &m);
    series_add(id, t1 - t0);
    check("rpc.all_clients_done", done == nc);
    check("rpc.call_count", calls == nc * P.rpc_calls);
    check("rpc.replies_correct", errors == 0);
    result("rpc", "rpc_tasks", "tasks", ns + nc, "count");
    result("rpc", "rpc_calls", "calls", calls, "count");
    result("rpc", "rpc_total", "elapsed", t1 - t0, counter_unit());
    if (calls) {
        result("rpc", "rpc_total", "per_call", (t1 - t0) / calls, counter_unit());
        result("rpc", "rpc_total", "calls_per_mcounter", calls * 1000000UL / ((t1 - t0) ? (t1 - t0) : 1), "calls");
    }
    series_report(id, "rpc", counter_unit());
}

/*
 * Interrupt latency, device to user-space driver: with the console idle,
 * the runner reads the counter and enables the UART THR-empty interrupt
 * (IER), which the 16550 raises at once because the transmitter is empty.
 * The kernel claims it at the PLIC and signals the console driver's
 * notification; the (higher priority) driver preempts the runner and reads
 * rdcycle first thing after its Recv returns. PROBE fetches that reading.
 * Always in cycles (the driver uses rdcycle).
 */
void wl_irq(void)
{
    volatile u8 *uart = (volatile u8 *)MK_UART_VA;
    out_flush();
    mk_word_t wake = 0, count0 = 0, count = 0;
    bool ok = !mk_console_probe(MK_SLOT_CONSOLE, ~0UL, &wake, &count0);
    check("irq.setup", ok);
    if (!ok) return;
    int id = series_open("irq_uart_to_driver");
    unsigned errors = 0;
    for (u64 i = 0; i < P.warmup + P.irq_iters; i++) {
        u8 ier = uart[1];
        u64 t0 = rdcycle();
        uart[1] = ier | 0x02;
        /* interrupt window: a few branches, where an emulator that checks
         * interrupts at block boundaries can take the interrupt */
        for (volatile int d = 0; d < 8; d++) {}
        mk_word_t e = mk_console_probe(MK_SLOT_CONSOLE, count0, &wake, &count);
        if (e || count != count0 + 1) errors++;
        count0 = count;
        if (i >= P.warmup) series_add(id, wake > t0 ? wake - t0 : 0);
    }
    check("irq.one_interrupt_per_trigger", errors == 0);
    series_report(id, "irq", "cycles");
}

/* Fault containment: tasks that crash are killed by the monitor; the
 * kernel and everything else keep running. */
static void crash_one(const char *what, mk_word_t role, mk_cptr_t mon)
{
    char name[64];
    mk_word_t tid = 0, state = 0, faults = 0, restarts = 0;
    bool ok = !spawn_task("bclient", MK_PRIO_RUNNER, role, 0, 0, 0, 0, NULL, &tid);
    sys_yield(); /* let it run (same priority) and crash */
    ok = ok && !mk_monitor_query(mon, tid, &state, &faults, &restarts);
    snprintf(name, sizeof(name), "fault.%s.killed", what);
    check(name, ok && state == MK_TASK_DEAD && faults == 1);
}

void wl_fault(void)
{
    mk_cptr_t mon = lookup("monitor");
    check("fault.setup", mon != 0);
    if (!mon) return;
    crash_one("null_store", MK_ROLE_CRASH_NULL, mon);
    crash_one("illegal_insn", MK_ROLE_CRASH_ILL, mon);
    /* the system still works: a round trip through names */
    mk_cptr_t again = lookup("monitor");
    check("fault.system_alive", again != 0);
    if (again) slot_free(again);
    slot_free(mon);
}

/*
 * Preemption: a task at the runner's priority computes for 50 ms of timer
 * time without blocking. After yielding to it the runner must get the CPU
 * back (timer tick, timeslice expiry, round robin) while it still spins.
 */
void wl_sched(void)
{
    mk_cptr_t shm = shm_alloc(1);
    bool ok = shm && !mk_vspace_map(MK_SLOT_VSPACE, shm, MK_SHM_VA + 0x100000, MK_RIGHT_READ | MK_RIGHT_WRITE);
    volatile u64 *flag = (volatile u64 *)(MK_SHM_VA + 0x100000);
    ok = ok && !spawn_task("bclient", MK_PRIO_RUNNER, MK_ROLE_SPIN, startup->timebase_hz / 20, 0, 0, shm, NULL, NULL);
    check("sched.setup", ok);
    if (!ok) return;
    u64 t0 = rdtime();
    sys_yield();
    u64 t1 = rdtime();
    check("sched.preempted_spinner", flag[0] == 1);
    while (flag[0] != 2) sys_yield(); /* share the CPU until it is done */
    check("sched.spinner_finished", flag[0] == 2);
    result("sched", "timeslice", "runner_wait", t1 - t0, "ticks");
    mk_vspace_unmap(MK_SLOT_VSPACE, MK_SHM_VA + 0x100000);
}
