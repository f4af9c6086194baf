/* Benchmark runner: shared declarations. */
#ifndef BENCH_H
#define BENCH_H
#include "ulib.h"

struct params {
    u64 iters, warmup, counter, size;
    u64 clients, servers, rpc_calls;
    u64 bulk_min, bulk_max, bulk_iters;
    u64 files, filesize, chunk;
    u64 kv_ops, kv_keys, get_pct;
    u64 irq_iters;
    u64 crash_after;
};
extern struct params P;
extern u64 counter_overhead;

#define COUNTER_CYCLE 0
#define COUNTER_INSTRET 1
#define COUNTER_TIME 2
static inline u64 counter(void)
{
    if (P.counter == COUNTER_INSTRET) return rdinstret();
    if (P.counter == COUNTER_TIME) return rdtime();
    return rdcycle();
}
const char *counter_unit(void);
static inline u64 sub_ovh(u64 a, u64 b) { u64 d = a - b; return d > counter_overhead ? d - counter_overhead : 0; }

/* checks and results */
void check(const char *name, bool ok);
void result(const char *wl, const char *series, const char *metric, u64 value, const char *unit);

/* in-guest sample series (also forwarded to the bench device) */
int series_open(const char *name);
void series_add(int s, u64 v);
void series_report(int s, const char *wl, const char *unit);
u64 series_count(int s);

/* paravirtual bench device (benchdev.c) */
void bdev_init(void);
bool bdev_present(void);
void bdev_name(unsigned id, const char *name);
void bdev_begin(unsigned id);
void bdev_end(unsigned id);
void bdev_sample(unsigned id, u64 v);

/* helpers */
mk_word_t spawn_task(const char *prog, mk_word_t prio, mk_word_t role, mk_word_t a1, mk_word_t a2,
                     mk_word_t flags, mk_cptr_t argcap, mk_cptr_t *out_cap, mk_word_t *tid);
mk_cptr_t shm_alloc(unsigned npages);
mk_cptr_t lookup(const char *name);

/* workloads */
void wl_ipc(void);
void wl_pingpong(void);
void wl_rpc(void);
void wl_bulk(void);
void wl_file(void);
void wl_kv(void);
void wl_irq(void);
void wl_fault(void);
void wl_restart(void);
void wl_sched(void);
#endif
