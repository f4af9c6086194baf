/*
 * Codesign user-side IPC: call gates (Xgate) with the IPC buffer handed
 * along as Xline window 0. Included by the generated mkjit_stubs.h of the
 * codesign build (after mk_syscall), so every Call on an endpoint - the
 * mk_sys_call() stub and every protocol stub - tries the gate first:
 *
 *   a0 = gate index (= the endpoint's cptr), a1 = msginfo, a2..a5 = MR0..3,
 *   MR4.. in the caller's IPC buffer, which the callee sees at the same
 *   address (window 0 changes owner for the duration of the call);
 *   xline.give 0 ; gcall a0   ->  a0 = error, a1 = reply info, a2..a5 = MRs.
 *
 * No kernel entry on the fast path. The kernel fills the CLB on the first
 * use of a (task, cptr); a cptr whose capability has no gate returns
 * MK_ERR_NO_GATE once and is remembered, and the stub uses the syscall (the
 * stock path) for it from then on. MK_ERR_GATE_BUSY (the server is occupied
 * by a preempted caller) backs off for one timer tick and retries.
 *
 * The callee may change every register except sp (SPEC 2.4: gret restores
 * only sp), so the stub declares all others clobbered; the compiler keeps
 * live values in callee-saved registers on the caller's stack.
 */
#ifndef CS_GATE_H
#define CS_GATE_H

#define CS_GCALL_A0 ".insn r 0x0b, 0, 0, x0, a0, x0"   /* gcall a0 */
#define CS_GRET ".insn r 0x0b, 0, 1, x0, x0, x0"       /* gret */
#define CS_GIVE_IPCBUF ".insn r 0x0b, 2, 1, x0, x0, x0" /* xline.give 0 (window 0 = IPC buffer) */
#define CS_CLOBBER_ALL "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s0", "s1", "s2", "s3", "s4", "s5", \
                       "s6", "s7", "s8", "s9", "s10", "s11", "a6", "a7", "memory"

extern mk_word_t cs_nogate[64];   /* cptrs (< 4096) known to have no gate */
mk_word_t cs_call_slow(mk_cptr_t cap, struct mk_msg *m, mk_word_t give, mk_word_t e);

static inline __attribute__((always_inline)) int cs_known_nogate(mk_cptr_t cap)
{
    return cap >= 4096 || ((cs_nogate[cap / 64] >> (cap % 64)) & 1);
}
static inline void cs_gate_forget(mk_cptr_t cap)  /* the slot's capability changed */
{
    if (cap < 4096) cs_nogate[cap / 64] &= ~(1UL << (cap % 64));
}

/* one gate call; give = an extra window (besides the IPC buffer) to hand over, 0 = none */
static inline __attribute__((always_inline)) mk_word_t cs_gcall(mk_cptr_t cap, struct mk_msg *m, mk_word_t give)
{
    register mk_word_t a0 __asm__("a0") = cap;
    register mk_word_t a1 __asm__("a1") = m->info;
    register mk_word_t a2 __asm__("a2") = m->mr[0];
    register mk_word_t a3 __asm__("a3") = m->mr[1];
    register mk_word_t a4 __asm__("a4") = m->mr[2];
    register mk_word_t a5 __asm__("a5") = m->mr[3];
    if (__builtin_constant_p(give) && give == 0) {
        __asm__ volatile(CS_GIVE_IPCBUF "\n\t" CS_GCALL_A0
                         : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5)
                         :
                         : CS_CLOBBER_ALL);
    } else {
        register mk_word_t a6 __asm__("a6") = give;
        __asm__ volatile(CS_GIVE_IPCBUF "\n\t"
                         "beqz a6, 1f\n\t"
                         ".insn r 0x0b, 2, 1, x0, a6, x0\n" /* xline.give a6 */
                         "1:\t" CS_GCALL_A0
                         : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6)
                         :
                         : "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s0", "s1", "s2", "s3", "s4",
                           "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a7", "memory");
    }
    if (__builtin_expect(a0 == MK_ERR_NO_GATE || a0 == MK_ERR_GATE_BUSY, 0)) return a0;
    m->info = a1;
    m->mr[0] = a2;
    m->mr[1] = a3;
    m->mr[2] = a4;
    m->mr[3] = a5;
    m->badge = 0;
    return a0;
}

/* Call: through the gate when the capability has one, else the syscall */
static inline __attribute__((always_inline)) mk_word_t mk_gate_call_give(mk_cptr_t cap, struct mk_msg *m, mk_word_t give)
{
    if (__builtin_expect(!cs_known_nogate(cap), 1)) {
        mk_word_t e = cs_gcall(cap, m, give);
        if (__builtin_expect(e != MK_ERR_NO_GATE && e != MK_ERR_GATE_BUSY, 1)) return e;
        return cs_call_slow(cap, m, give, e);
    }
    return mk_syscall(MK_SYS_CALL, cap, m);
}

static inline __attribute__((always_inline)) mk_word_t mk_gate_call(mk_cptr_t cap, struct mk_msg *m)
{
    return mk_gate_call_give(cap, m, 0);
}

/* ---- server side ---- */
/* A gate handler runs on the caller's thread in the server's address space,
 * on the task's gate stack, under the task's server lock; it reads the
 * request from m (and MK_IPCBUF[4..], the caller's IPC buffer), writes the
 * reply into m (and MK_IPCBUF) and returns the error for a0 (normally
 * MK_ERR_OK; protocol errors go in the reply label, as with ReplyRecv). */
typedef mk_word_t (*cs_gate_fn)(struct mk_msg *m);
mk_word_t cs_gate_serve(mk_cptr_t ep, cs_gate_fn fn);   /* enable the gate of endpoint ep */
void cs_lock(void);                                     /* the task's server lock (also */
void cs_unlock(void);                                   /* taken by the gate entry) */
static inline mk_word_t cs_gate_badge(void)             /* badge of the caller's capability */
{
    mk_word_t v;
    __asm__ volatile("csrr %0, 0xcc0" : "=r"(v));
    return v;
}
/* WINDOW: a window of this task at va (bytes, MK_WIN_* flags); returns its index or 0 */
mk_word_t cs_window(mk_word_t va, mk_word_t bytes, mk_word_t flags);
mk_word_t cs_ext_present(void);                         /* MK_CS_EXT_* (CS_INFO) */

/* ---- notifications in hardware queues (Xamsg) ---- */
#define CS_ST_OK 0
#define CS_ST_FULL 1
#define CS_ST_EMPTY 2
#define CS_ST_NORIGHT 3
static inline mk_word_t cs_asend(mk_word_t gate, const void *line)   /* line: 64-byte aligned */
{
    mk_word_t st;
    __asm__ volatile(".insn r 0x0b, 1, 0, %0, %1, %2" : "=r"(st) : "r"(gate), "r"(line) : "memory");
    return st;
}
static inline mk_word_t cs_arecv(mk_word_t queue, void *line)
{
    mk_word_t st;
    __asm__ volatile(".insn r 0x0b, 1, 1, %0, %1, %2" : "=r"(st) : "r"(queue), "r"(line) : "memory");
    return st;
}
static inline mk_word_t cs_abadge(void)
{
    mk_word_t v;
    __asm__ volatile("csrr %0, 0xce0" : "=r"(v));
    return v;
}
static inline void cs_uiack(mk_word_t binding)
{
    __asm__ volatile(".insn r 0x0b, 4, 2, x0, %0, x0" :: "r"(binding) : "memory");
}
/* QUEUE: back notification ntfn (own, READ right) by a hardware queue; with
 * an entry, messages switch to a handler context (entry, stack top) there.
 * Returns the queue number, or ~0 (no Xamsg/Xuirq: the stock path stays). */
mk_word_t cs_queue(mk_cptr_t ntfn, void (*entry)(void), void *stack_top, mk_word_t *binding);
/* Signal / Wait / Poll: through the hardware queue when there is one */
mk_word_t cs_signal(mk_cptr_t c);
mk_word_t cs_wait(mk_cptr_t c, mk_word_t *badge, int block);

/* ---- capabilities (Xcap) ---- */
static inline mk_word_t cs_cap_ld(mk_word_t ref, mk_word_t off)   /* off 8-byte aligned */
{
    mk_word_t v;
    __asm__ volatile(".insn r 0x2b, 3, 0, %0, %1, %2" : "=r"(v) : "r"(ref), "r"(off) : "memory");
    return v;
}
/* copy n bytes at offset off (8-byte aligned) of capability ref to p */
void cs_cap_read(mk_word_t ref, mk_word_t off, void *p, mk_word_t n);
#endif
