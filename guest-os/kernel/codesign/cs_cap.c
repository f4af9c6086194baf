/*
 * Codesign: capabilities embedded in pointers (Xcap). The kernel owns the
 * capability table (kernel memory, never mapped for users) and writes root
 * entries on request: CAP_GRANT from inside a gate call gives the *caller*
 * read (or write) access to an object of the server - a range of the
 * server's address space - without mapping any page; the caller then uses
 * cap.ld / cap.sd (bounds, permission, owner and generation checked by the
 * hardware, translated in the server's page table).
 */
#include "kernel.h"
#include "cs.h"

#define CAP_ENTRIES 256
#define CAP_LOG2 8
static word_t *captbl;
static word_t next_cap = 1;      /* entry 0 unused (a zero reference is "none") */

void cs_cap_init(void)
{
    if (!(cs_ext & MK_CS_EXT_XCAP)) return;
    captbl = kalloc_pages(CAP_ENTRIES * 64 / PAGE_SIZE);   /* zero: every entry INVALID */
    if (!captbl) panic("out of memory for the capability table");
    csr_write_n(0x5f0, (word_t)captbl | CAP_LOG2);          /* captbl */
    __asm__ volatile(".insn r 0x2b, 7, 4, x0, x0, x0" ::: "memory"); /* cap.flush (all) */
}

void sys_cap_grant(struct tcb *cur, word_t nr)
{
    (void)nr;
    word_t va = cur->regs[REG_A2], len = cur->regs[REG_A3], perms = cur->regs[REG_A4] & 7;
    word_t *img = IMG(cur), owner_satp = img[W_SATP];
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(0, 0, 0);
    if (!captbl || next_cap >= CAP_ENTRIES) { cur->regs[REG_A0] = captbl ? MK_ERR_NO_SPACE : MK_ERR_ILLEGAL_OP; return; }
    if (!len || len > (1UL << 20) || !(perms & (MK_CAP_R | MK_CAP_W)) ||
        !vspace_lookup(cur->vspace, va, perms & MK_CAP_W) || !vspace_lookup(cur->vspace, va + len - 1, perms & MK_CAP_W)) {
        cur->regs[REG_A0] = MK_ERR_INVALID_ARG;
        return;
    }
    if (img[W_LSP] > img[W_LSBASE])   /* inside a gate call: for its caller */
        owner_satp = ((const word_t *)(img[W_LSP] - 64))[LR_CALLER_SATP];
    word_t idx = next_cap++, gen = 1;
    word_t *e = captbl + 8 * idx;
    e[0] = va;
    e[1] = len;
    e[2] = img[W_SATP];              /* the object lives in the space the grantor runs in */
    e[4] = idx | (gen << 32);        /* a root entry names itself */
    e[5] = 0xffffffffUL;
    e[6] = e[7] = 0;
    e[3] = gen | (perms << 32) | (1UL << 40) /* VALID */ | (satp_asid(owner_satp) << 48);
    __asm__ volatile(".insn r 0x2b, 7, 4, x0, %0, x0" :: "r"(idx) : "memory"); /* cap.flush idx */
    cur->regs[REG_A0] = MK_ERR_OK;
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(1, 0, 0);
    cur->regs[REG_A2] = (gen << 32) | idx;
}
