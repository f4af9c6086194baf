/* Codesign kernel internals: extension instructions, image layout, helpers. */
#ifndef CS_H
#define CS_H
#include "kernel.h"

/* Xctx slots */
#define CS_SLOT_THREAD 0          /* the current thread (loaded from its TCB at every exit) */
#define CS_SLOT_IDLE 1            /* idle context: lets a pending user interrupt be delivered */
#define CS_SLOT_HANDLER0 2        /* first user-interrupt handler context (pinned) */

/* Xctx image words (tcb->regs[] are words 0..31) */
enum {
    W_SATP = 32, W_STATUS, W_TAG, W_LSP, W_LSBASE, W_LSLIMIT, W_GTP, W_GBADGE,
    W_XLGIVE, W_ABADGE, W_ATOKEN, W_CAPSPARE, W_UITIMECMP, W_UISTATUS, W_UIPREV, W_UICAUSE,
    W_WORDS
};
#define IMG(t) ((word_t *)(t))
#define CS_NONE (~0UL)

/* link record (SPEC 2.3) */
enum { LR_CALLER_SATP, LR_RET_PC, LR_CALLER_GTP, LR_CALLEE_SATP, LR_CALLER_BADGE, LR_CALLER_SP, LR_WINDOWS, LR_GATE };
#define CS_LINK_BYTES 1024        /* 16 nested calls per thread */

/* gate descriptor kinds (SPEC 2.2) */
#define GATE_NONE 0
#define GATE_SYNC 1
#define GATE_ENDPOINT 2
#define GATE_DOORBELL 3

/* causes (SPEC 1.5) */
#define CAUSE_CLB_MISS 24
#define CAUSE_LINK_OVERFLOW 25
#define CAUSE_LINK_UNDERFLOW 26
#define CAUSE_LINK_FOREIGN 27
#define CAUSE_GATE_KIND 28
#define CAUSE_CTX_SLOT_MISS 29

/* CSRs */
#define CSR_CTXCUR 0x5d0
#define CSR_SUIPREV 0x5d9
#define CSR_SUICAUSE 0x5da
#define CSR_UIPEND 0xdd8
#define csr_read_n(n) ({ word_t __v; __asm__ volatile("csrr %0, " #n : "=r"(__v)); __v; })
#define csr_write_n(n, v) __asm__ volatile("csrw " #n ", %0" :: "r"((word_t)(v)) : "memory")

/* instructions (custom-0, SPEC 9.1) */
static inline void x_gfill(word_t index, const void *desc)
{
    __asm__ volatile(".insn r 0x0b, 0, 2, x0, %0, %1" :: "r"(index), "r"(desc) : "memory");
}
static inline void x_gflush_index(word_t index)
{
    __asm__ volatile(".insn r 0x0b, 0, 3, x0, %0, x0" :: "r"(index) : "memory");
}
static inline void x_gflush_all(void)
{
    __asm__ volatile(".insn r 0x0b, 0, 3, x0, x0, x0" ::: "memory");
}
static inline void x_xline_set(word_t w, const void *desc)
{
    __asm__ volatile(".insn r 0x0b, 2, 0, x0, %0, %1" :: "r"(w), "r"(desc) : "memory");
}
static inline void x_xline_clear(word_t w)
{
    __asm__ volatile(".insn r 0x0b, 2, 0, x0, %0, x0" :: "r"(w) : "memory");
}
static inline void x_ctx_load(word_t slot, const void *img)
{
    __asm__ volatile(".insn r 0x0b, 3, 4, x0, %0, %1" :: "r"(slot), "r"(img) : "memory");
}
static inline void x_ctx_store(word_t slot, void *img)
{
    __asm__ volatile(".insn r 0x0b, 3, 3, x0, %0, %1" :: "r"(slot), "r"(img) : "memory");
}
static inline void x_uirq_bind(word_t b, const void *desc)
{
    __asm__ volatile(".insn r 0x0b, 4, 0, x0, %0, %1" :: "r"(b), "r"(desc) : "memory");
}
static inline void x_uirq_unbind(word_t b)
{
    __asm__ volatile(".insn r 0x0b, 4, 0, x0, %0, x0" :: "r"(b) : "memory");
}
static inline void x_aqset(word_t q, const void *desc)
{
    __asm__ volatile(".insn r 0x0b, 1, 4, x0, %0, %1" :: "r"(q), "r"(desc) : "memory");
}
static inline NORETURN void cs_resume_slot(word_t slot)
{
    __asm__ volatile(".insn r 0x0b, 3, 2, x0, %0, x0" :: "r"(slot) : "memory"); /* ctx.switch (S) */
    __builtin_unreachable();
}

static inline word_t satp_asid(word_t satp) { return (satp >> 44) & 0xffff; }

extern word_t cs_ext;             /* MK_CS_EXT_* present */
extern word_t cs_cfg[6];          /* xgatecfg, xlinecfg, xctxcfg, xuirqcfg, xamsgcfg, xcapcfg */
extern word_t nslots;             /* Xctx slots */
struct vspace *cs_domain(word_t satp);
void cs_entry_sync(struct tcb *t);
void cs_exception(struct tcb *t, word_t scause, word_t stval);
NORETURN void cs_handler_fault(word_t slot, word_t scause, word_t stval);
word_t cs_probe(word_t cfg[6]);
#endif
