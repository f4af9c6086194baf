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
