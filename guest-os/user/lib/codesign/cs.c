/* Codesign user library: gate call slow paths, gate serving, windows. */
#include "ulib.h"

mk_word_t cs_nogate[64];
volatile mk_word_t cs_gate_lock;       /* the task's server lock (gate.S takes it too) */
cs_gate_fn cs_gate_handler;
void cs_gate_entry(void);              /* gate.S */

_Static_assert(MK_ERR_GATE_BUSY == 18, "gate.S returns 18 for a busy server");

mk_word_t cs_call_slow(mk_cptr_t cap, struct mk_msg *m, mk_word_t give, mk_word_t e)
{
    for (;;) {
        if (e == MK_ERR_NO_GATE) {
            if (cap < 4096) cs_nogate[cap / 64] |= 1UL << (cap % 64);
            return mk_syscall(MK_SYS_CALL, cap, m);
        }
        /* MK_ERR_GATE_BUSY: a preempted caller occupies the server; let it leave */
        struct mk_msg b = { 0 };
        mk_syscall(MK_SYS_BACKOFF, 0, &b);
        e = cs_gcall(cap, m, give);
        if (e != MK_ERR_NO_GATE && e != MK_ERR_GATE_BUSY) return e;
    }
}

void cs_lock(void)
{
    while (__atomic_exchange_n(&cs_gate_lock, 1, __ATOMIC_ACQUIRE)) {
        struct mk_msg b = { 0 };
        mk_syscall(MK_SYS_BACKOFF, 0, &b);
    }
}

void cs_unlock(void)
{
    __atomic_store_n(&cs_gate_lock, 0, __ATOMIC_RELEASE);
}

mk_word_t cs_gate_serve(mk_cptr_t ep, cs_gate_fn fn)
{
    cs_gate_handler = fn;
    struct mk_msg m = { 0 };
    m.mr[0] = (mk_word_t)cs_gate_entry;
    return mk_sys_gate_set(ep, &m);
}

mk_word_t cs_window(mk_word_t va, mk_word_t bytes, mk_word_t flags)
{
    struct mk_msg m = { 0 };
    m.mr[0] = va;
    m.mr[1] = bytes;
    m.mr[2] = flags;
    return mk_sys_window(0, &m) ? 0 : m.mr[0];
}

mk_word_t cs_ext_present(void)
{
    static mk_word_t ext = ~0UL;
    if (ext == ~0UL) {
        struct mk_msg m = { 0 };
        ext = mk_sys_cs_info(0, &m) ? 0 : m.mr[0];
    }
    return ext;
}

/* ---- notifications in hardware queues ---- */
static mk_word_t queue_of[64];          /* own notification cptr -> queue + 1 */
static u64 cs_line[8] __attribute__((aligned(64)));

mk_word_t cs_queue(mk_cptr_t ntfn, void (*entry)(void), void *stack_top, mk_word_t *binding)
{
    if (ntfn >= 64 || !(cs_ext_present() & MK_CS_EXT_XAMSG)) return ~0UL;
    struct mk_msg m = { 0 };
    m.mr[0] = (mk_word_t)entry;
    m.mr[1] = (mk_word_t)stack_top;
    if (mk_sys_queue(ntfn, &m)) return ~0UL;
    queue_of[ntfn] = m.mr[0] + 1;
    if (binding) *binding = m.mr[1];
    return m.mr[0];
}

mk_word_t cs_signal(mk_cptr_t c)
{
    struct mk_msg m = { 0 };
    if (cs_ext_present() & MK_CS_EXT_XAMSG) {
        for (;;) {
            mk_word_t st = cs_asend(c, cs_line);
            if (st == CS_ST_OK) return MK_ERR_OK;
            if (st != CS_ST_FULL) break;        /* NORIGHT: not a queue - the kernel's notification */
            mk_syscall(MK_SYS_BACKOFF, 0, &m);  /* FULL: let the receiver drain it */
        }
    }
    return mk_syscall(MK_SYS_SIGNAL, c, &m);
}

mk_word_t cs_wait(mk_cptr_t c, mk_word_t *badge, int block)
{
    struct mk_msg m = { 0 };
    mk_word_t q = c < 64 ? queue_of[c] : 0;
    if (!q) {
        mk_word_t e = mk_syscall(block ? MK_SYS_WAIT : MK_SYS_POLL, c, &m);
        if (badge) *badge = m.badge;
        return e;
    }
    for (unsigned spins = 0;; spins++) {
        if (cs_arecv(q - 1, cs_line) == CS_ST_OK) {
            if (badge) *badge = cs_abadge();
            return MK_ERR_OK;
        }
        /* signals sent with the syscall (before the queue existed, or by the kernel) */
        if (mk_syscall(MK_SYS_POLL, c, &m) == MK_ERR_OK) {
            if (badge) *badge = m.badge;
            return MK_ERR_OK;
        }
        if (!block) return MK_ERR_WOULD_BLOCK;
        if (spins >= 16) { mk_syscall(MK_SYS_BACKOFF, 0, &m); spins = 0; }
    }
}

void cs_cap_read(mk_word_t ref, mk_word_t off, void *p, mk_word_t n)
{
    u8 *b = p;
    for (mk_word_t i = 0; i < n; i += 8) {
        mk_word_t w = cs_cap_ld(ref, off + i);
        for (mk_word_t j = 0; j < 8 && i + j < n; j++) b[i + j] = (u8)(w >> (8 * j));
    }
}
