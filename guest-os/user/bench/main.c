/*
 * Benchmark runner. Reads the kernel command line (passed by root in the
 * startup page), runs the selected workloads, prints
 *   CHECK name=<workload>.<check> ok|FAIL         (functional, deterministic)
 *   RESULT workload=<w> series=<s> metric=<m> value=<n> unit=<u>   (timings)
 * and powers off through root: exit code 0 iff every check passed.
 */
#include "bench.h"

struct params P;
u64 counter_overhead;
static unsigned checks, failed;

const char *counter_unit(void)
{
    return P.counter == COUNTER_INSTRET ? "instret" : P.counter == COUNTER_TIME ? "ticks" : "cycles";
}

void check(const char *name, bool ok)
{
    checks++;
    if (!ok) failed++;
    printf("CHECK name=%s %s\n", name, ok ? "ok" : "FAIL");
}

void result(const char *wl, const char *series, const char *metric, u64 value, const char *unit)
{
    printf("RESULT workload=%s series=%s metric=%s value=%lu unit=%s\n", wl, series, metric, value, unit);
}

/* ---- command line ---- */
static const char *arg_str(const char *key, char *out, size_t n, const char *def)
{
    const char *s = startup->bootargs;
    size_t kl = strlen(key);
    while (*s) {
        while (*s == ' ') s++;
        if (!strncmp(s, key, kl) && s[kl] == '=') {
            s += kl + 1;
            size_t i = 0;
            while (s[i] && s[i] != ' ' && i + 1 < n) { out[i] = s[i]; i++; }
            out[i] = 0;
            return out;
        }
        while (*s && *s != ' ') s++;
    }
    strncpy_z(out, def, n);
    return out;
}

static u64 arg_num(const char *key, u64 def)
{
    char buf[32];
    arg_str(key, buf, sizeof(buf), "");
    return buf[0] ? strtoul(buf, NULL, 0) : def;
}

static bool selected(const char *list, const char *name)
{
    if (!strcmp(list, "all")) return true;
    size_t n = strlen(name);
    for (const char *s = list; *s;) {
        if (!strncmp(s, name, n) && (s[n] == ',' || s[n] == 0)) return true;
        while (*s && *s != ',') s++;
        if (*s == ',') s++;
    }
    return false;
}

/* ---- helpers ---- */
mk_word_t spawn_task(const char *prog, mk_word_t prio, mk_word_t role, mk_word_t a1, mk_word_t a2,
                     mk_word_t flags, mk_cptr_t argcap, mk_cptr_t *out_cap, mk_word_t *tid)
{
    mk_word_t w[4];
    name_pack(prog, w);
    struct mk_msg m;
    if (argcap) flags |= MK_SPAWNF_ARGCAP;
    m.info = MK_MSGINFO_MAKE(7, argcap ? 1 : 0, MK_ROOT_SPAWN);
    m.mr[0] = w[0];
    m.mr[1] = w[1];
    m.mr[2] = prio;
    m.mr[3] = role;
    MK_IPCBUF[4] = a1;
    MK_IPCBUF[5] = a2;
    MK_IPCBUF[6] = flags;
    set_cap_send(argcap);
    mk_cptr_t slot = 0;
    if (out_cap) { slot = slot_alloc(); *out_cap = slot; }
    set_recv_slot(slot);
    mk_word_t e = mk_sys_call(MK_SLOT_ROOT, &m);
    set_recv_slot(0);
    if (!e) e = MK_MSGINFO_LABEL(m.info);
    if (!e && out_cap && MK_MSGINFO_CAPS(m.info) != 1) e = MK_ERR_INVALID_CAP;
    if (tid) *tid = m.mr[0];
    return e;
}

mk_cptr_t shm_alloc(unsigned npages)
{
    mk_cptr_t first = slot_alloc_range(npages);
    if (!first || mk_root_alloc_shm(MK_SLOT_ROOT, npages, first)) return 0;
    return first;
}

mk_cptr_t lookup(const char *name)
{
    mk_cptr_t s = slot_alloc();
    if (ns_lookup(name, s)) { slot_free(s); return 0; }
    return s;
}

static void measure_overhead(void)
{
    u64 best = ~0UL;
    for (int i = 0; i < 64; i++) {
        u64 a = counter();
        u64 b = counter();
        if (b - a < best) best = b - a;
    }
    counter_overhead = best;
}

int main(struct mk_startup *su)
{
    char wl[128], cnt[16];
    arg_str("workload", wl, sizeof(wl), "all");
    arg_str("counter", cnt, sizeof(cnt), "cycle");
    P.counter = !strcmp(cnt, "instret") ? COUNTER_INSTRET : !strcmp(cnt, "time") ? COUNTER_TIME : COUNTER_CYCLE;
    P.size = arg_num("size", 1);
    if (!P.size) P.size = 1;
    P.iters = arg_num("iters", 200 * P.size);
    P.warmup = arg_num("warmup", 20);
    P.clients = arg_num("clients", 16);
    P.servers = arg_num("servers", 4);
    P.rpc_calls = arg_num("rpc_calls", 100 * P.size);
    P.bulk_min = arg_num("bulk_min", 64);
    P.bulk_max = arg_num("bulk_max", 65536);
    P.bulk_iters = arg_num("bulk_iters", 8 * P.size);
    P.files = arg_num("files", 4);
    P.filesize = arg_num("filesize", 16384);
    P.chunk = arg_num("chunk", 2048);
    P.kv_ops = arg_num("kv_ops", 1000 * P.size);
    P.kv_keys = arg_num("kv_keys", 64);
    P.get_pct = arg_num("get_pct", 80);
    P.irq_iters = arg_num("irq_iters", 50 * P.size);
    P.crash_after = arg_num("crash_after", 5);
    if (P.servers == 0) P.servers = 1;
    if (P.chunk > MSG_BYTES_MAX - 32) P.chunk = MSG_BYTES_MAX - 32;

    bdev_init();
    ns_register("bench.done", MK_SLOT_ENDPOINT);
    measure_overhead();
    printf("BENCH workloads=%s counter=%s size=%lu iters=%lu warmup=%lu\n", wl, counter_unit(), P.size, P.iters, P.warmup);
    result("setup", "counter", "overhead", counter_overhead, counter_unit());
    result("setup", "bench_device", "present", bdev_present(), "bool");
    (void)su;

    if (selected(wl, "ipc")) wl_ipc();
    if (selected(wl, "pingpong")) wl_pingpong();
    if (selected(wl, "rpc")) wl_rpc();
    if (selected(wl, "bulk")) wl_bulk();
    if (selected(wl, "file")) wl_file();
    if (selected(wl, "kv")) wl_kv();
    if (selected(wl, "irq")) wl_irq();
    if (selected(wl, "sched")) wl_sched();
    if (selected(wl, "fault")) wl_fault();
    if (selected(wl, "restart")) wl_restart();

    if (checks == 0) check("bench.ran_something", false);
    printf("SUMMARY checks=%u passed=%u failed=%u\n", checks, checks - failed, failed);
    printf("%u passed, %u failed\n", checks - failed, failed);
    out_flush();
    mk_root_poweroff(MK_SLOT_ROOT, failed ? 1 : 0);
    return 0;
}
