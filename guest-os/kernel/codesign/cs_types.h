/*
 * Codesign build: per-thread state and the hooks the shared kernel sources
 * call under #ifdef CODESIGN (included by kernel.h in the codesign build only).
 */
#ifndef CS_TYPES_H
#define CS_TYPES_H
#include "types.h"

struct vspace;
struct cspace;
struct tcb;

struct cs_thread {
    struct vspace *home_vs;       /* the task's own address space; tcb->vspace/cspace */
    struct cspace *home_cs;       /* follow the domain the thread executes in (Xgate) */
    word_t seen_satp;             /* satp at the last kernel entry (domain cache key) */
    word_t link;                  /* link stack (kernel memory, physical = virtual), 0: none yet */
    u8 ready;                     /* context image words 32..47 initialised */
    u8 sleeping;                  /* in the BACKOFF list */
    u8 pad[6];
};

/* hooks called from shared kernel code */
void cs_init(void);                         /* boot: probe extensions, set up slots */
void cs_asid_assigned(struct vspace *vs);   /* vm.c: ASID -> address space table */
void cs_tcb_configured(struct tcb *t);      /* TCB.CONFIGURE */
void cs_thread_reset(struct tcb *t);        /* TCB.RESTART: empty link stack, home space */
void cs_thread_suspended(struct tcb *t);    /* TCB.SUSPEND: a dead task's gates close */
void cs_cap_slot_changed(word_t slot);      /* a CSpace slot was written: drop CLB entries */
void cs_idle_poll(void);                    /* idle loop: deliver pending user interrupts */
void cs_tick(void);                         /* timer tick: wake BACKOFF sleepers */
#endif
