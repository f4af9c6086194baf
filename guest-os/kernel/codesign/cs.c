/*
 * Codesign kernel: the kernel's side of the co-design extensions.
 *
 *  Xctx  - every kernel entry saves the user context with ctx.save (entry.S)
 *          and every exit installs one with ctx.load + ctx.switch
 *          (restore_user below); a thread's context image, including its
 *          Xgate/Xline/Xamsg/Xuirq per-thread CSRs, lives at the start of its
 *          TCB, so a thread switch is two instructions and no CSR juggling.
 *  Xgate - per-thread link stacks (kernel memory); the CLB is refilled here on
 *          a CLB miss from the caller's capability (gate index = slot
 *          number); threads migrate into servers, so the kernel tracks the
 *          domain (address space, CSpace) a thread executes in, attributes
 *          faults to that domain and unwinds the aborted call.
 *  Xline - window 0 maps the running thread's IPC buffer (handed along every
 *          gate call, so servers read long messages in place); WINDOW gives a
 *          task a window of its own (bulk buffers, handed to callees).
 *  Xuirq, Xamsg - see cs_uirq.c.
 */
#include "kernel.h"
#include "cs.h"
#include "syscall_table.h"

word_t cs_ext;
word_t cs_cfg[6];
word_t nslots;
static word_t nwin;

/* ---------------------------------------------------------------- domains */
#define ASID_TABLE 4096
static struct vspace *asid_vs[ASID_TABLE];

void cs_asid_assigned(struct vspace *vs)
{
    if (vs->asid >= ASID_TABLE) panic("codesign: ASID beyond the domain table");
    asid_vs[vs->asid] = vs;
}

struct vspace *cs_domain(word_t satp)
{
    return asid_vs[satp_asid(satp) & (ASID_TABLE - 1)];
}

static void cs_own(struct tcb *t)
{
    struct vspace *vs = t->cs.home_vs;
    if (!vs) return;
    if (!vs->cs_cspace) vs->cs_cspace = t->cs.home_cs;
    if (!vs->cs_owner) vs->cs_owner = t;
}

void cs_tcb_configured(struct tcb *t)
{
    t->cs.home_vs = t->vspace;
    t->cs.home_cs = t->cspace;
    t->cs.ready = 0;
    cs_own(t);
}

/* the domain a thread executes in follows its satp (gcall/gret change it) */
static void cs_domain_update(struct tcb *t, word_t satp)
{
    struct vspace *vs = cs_domain(satp);
    t->cs.seen_satp = satp;
    if (!vs) vs = t->cs.home_vs;
    t->vspace = vs;
    t->cspace = vs->cs_cspace ? vs->cs_cspace : t->cs.home_cs;
}

/* ---------------------------------------------------------------- windows */
/*
 * Window ownership is hardware state that gcall/gret move along a thread's
 * call chain: the owner of window w is its base owner, overridden by the
 * callee of every link record whose window mask has bit w. At a kernel entry
 * the hardware therefore holds chain_owners(current); at an exit to another
 * thread (or after an unwind) the kernel re-sets the windows that differ.
 */
struct win {
    word_t vbase, pbase, lines_perm; /* as in the window descriptor */
    word_t base_asid;                /* owner when not handed over */
    bool valid;
};
static struct win win[16];
static struct tcb *hw_tcb;           /* the thread whose view the windows show */
static bool hw_base = true;          /* ... with no window handed over */
static word_t hw_owner[16];          /* valid when !hw_base */
static word_t wdesc[4] __attribute__((aligned(64)));

#define WIN_LINES_PERM(lines, f) ((lines) | (((f) & 7UL) << 32))
#define WIN0_LINES_PERM WIN_LINES_PERM(PAGE_SIZE / 64, MK_WIN_R | MK_WIN_W | MK_WIN_G)

static void base_owners(struct tcb *t, word_t *own)
{
    own[0] = t ? satp_asid(t->cs.home_vs->satp) : CS_NONE;
    for (word_t w = 1; w < nwin; w++) own[w] = win[w].base_asid;
}

static void chain_owners(struct tcb *t, word_t *own)
{
    base_owners(t, own);
    word_t *img = IMG(t);
    for (word_t r = img[W_LSBASE]; r < img[W_LSP]; r += 64) {
        const word_t *rec = (const word_t *)r;
        word_t mask = rec[LR_WINDOWS] & 0xffff, asid = satp_asid(rec[LR_CALLEE_SATP]);
        for (word_t w = 0; mask; w++, mask >>= 1)
            if ((mask & 1) && w < nwin) own[w] = asid;
    }
}

static bool migrated(struct tcb *t) { return IMG(t)[W_LSP] != IMG(t)[W_LSBASE]; }

/* at a slot-0 kernel entry of t: remember what the hardware holds */
static void capture_windows(struct tcb *t)
{
    if (!migrated(t)) { hw_base = true; return; }
    chain_owners(t, hw_owner);
    hw_base = false;
}

static void set_window(word_t w, word_t vbase, word_t pbase, word_t lines_perm, word_t owner)
{
    wdesc[0] = vbase;
    wdesc[1] = pbase;
    wdesc[2] = lines_perm;
    wdesc[3] = owner;
    x_xline_set(w, wdesc);
}

/* make the windows show t's view */
static void sync_windows(struct tcb *t)
{
    word_t cur[16], want[16];
    if (hw_base) base_owners(hw_tcb, cur);
    else for (word_t w = 0; w < nwin; w++) cur[w] = hw_owner[w];
    chain_owners(t, want);
    if (t != hw_tcb || cur[0] != want[0]) {
        if (t->ipcbuf)
            set_window(MK_WIN_IPCBUF, MK_IPCBUF_VA, (word_t)t->ipcbuf, WIN0_LINES_PERM, want[0]);
        else
            x_xline_clear(MK_WIN_IPCBUF);
    }
    for (word_t w = 1; w < nwin; w++)
        if (win[w].valid && cur[w] != want[w])
            set_window(w, win[w].vbase, win[w].pbase, win[w].lines_perm, want[w]);
    hw_tcb = t;
    hw_base = !migrated(t);
    if (!hw_base) for (word_t w = 0; w < nwin; w++) hw_owner[w] = want[w];
}

/* ---------------------------------------------------------------- threads */
static void cs_thread_first(struct tcb *t)
{
    word_t *img = IMG(t);
    if (!t->cs.home_vs) {           /* the root task is not configured by TCB.CONFIGURE */
        t->cs.home_vs = t->vspace;
        t->cs.home_cs = t->cspace;
        cs_own(t);
    }
    if (!t->cs.link) {
        t->cs.link = (word_t)kalloc(CS_LINK_BYTES);
        if (!t->cs.link) panic("out of memory for a link stack");
    }
    img[W_SATP] = t->cs.home_vs->satp;
    img[W_STATUS] = 0;              /* U-mode, no group */
    img[W_TAG] = (word_t)t;
    img[W_LSP] = img[W_LSBASE] = t->cs.link;
    img[W_LSLIMIT] = t->cs.link + CS_LINK_BYTES;
    img[W_GTP] = img[W_GBADGE] = img[W_XLGIVE] = img[W_ABADGE] = img[W_ATOKEN] = 0;
    img[W_CAPSPARE] = 0xffffffffUL;
    img[W_UITIMECMP] = CS_NONE;
    img[W_UISTATUS] = (cs_ext & MK_CS_EXT_XUIRQ) ? 1 : 0; /* user interrupts may preempt it */
    img[W_UIPREV] = CS_NONE;
    img[W_UICAUSE] = 0;
    t->vspace = t->cs.home_vs;
    t->cspace = t->cs.home_cs;
    t->cs.seen_satp = img[W_SATP];
    t->cs.ready = 1;
}

/* a task whose first thread is suspended (killed) is dead: its gates close */
void cs_thread_suspended(struct tcb *t)
{
    struct vspace *vs = t->cs.home_vs;
    if (vs && vs->cs_owner == t) {
        vs->cs_dead = 1;
        if (vs->cs_gates) x_gflush_all();
    }
}

void cs_thread_reset(struct tcb *t)
{
    if (t->cs.home_vs && t->cs.home_vs->cs_owner == t) t->cs.home_vs->cs_dead = 0;
    /* a restarted thread starts in its own space with an empty link stack */
    if (t->cs.home_vs) {
        t->vspace = t->cs.home_vs;
        t->cspace = t->cs.home_cs;
    }
    t->cs.ready = 0;
}

void cs_entry_sync(struct tcb *t)
{
    word_t *img = IMG(t);
    if (unlikely(img[W_LSP] != img[W_LSBASE] || !hw_base)) capture_windows(t);
    if (unlikely(img[W_SATP] != t->cs.seen_satp)) cs_domain_update(t, img[W_SATP]);
}

NORETURN void restore_user(struct tcb *t)
{
    if (unlikely(!t->cs.ready)) cs_thread_first(t);
    if (likely(hw_base && !migrated(t))) {
        /* common case: no window handed over, before or after: only window 0
         * (the IPC buffer) changes with the thread */
        if (t != hw_tcb) {
            if (likely(t->ipcbuf != NULL))
                set_window(MK_WIN_IPCBUF, MK_IPCBUF_VA, (word_t)t->ipcbuf, WIN0_LINES_PERM,
                           satp_asid(t->cs.home_vs->satp));
            else
                x_xline_clear(MK_WIN_IPCBUF);
            hw_tcb = t;
        }
    } else {
        sync_windows(t);
    }
    __asm__ volatile(".insn r 0x0b, 3, 4, x0, x0, %0\n\t"  /* ctx.load slot 0 <- t's image */
                     ".insn r 0x0b, 3, 2, x0, x0, x0"      /* ctx.switch slot 0 (restore + sret) */
                     :: "r"(t) : "memory");
    __builtin_unreachable();
}

/* ---------------------------------------------------------------- Xgate */
static word_t gdesc[8] __attribute__((aligned(64)));

void cs_cap_slot_changed(word_t slot)
{
    x_gflush_index(slot);           /* entries of any ASID with this gate index */
}

/*
 * CLB miss (entry.S, nothing stored: the slot holds the context; slot 0 =
 * the current thread, or a user-interrupt handler context). The gate
 * index is a slot of the CSpace of the domain the caller executes in. An
 * endpoint capability with send right to an endpoint that has a gate gives a
 * SYNC gate (gcall); a notification backed by an Xamsg queue gives an
 * ENDPOINT gate (asend); anything else a NONE entry (denied without further
 * misses: gcall then raises GATE_KIND, asend returns NORIGHT).
 */
void c_clb_miss(word_t slot) NORETURN;
void c_clb_miss(word_t slot)
{
    word_t index = csr_read(stval), satp = csr_read(satp);
    struct vspace *vs = cs_domain(satp);
    struct cspace *cs = vs ? vs->cs_cspace : NULL;
    struct cap *c = (cs && index < cs->nslots) ? &cs->slots[index] : NULL;
    for (int i = 0; i < 8; i++) gdesc[i] = 0;
    word_t kind = GATE_NONE;
    if (c && c->type == MK_OBJ_ENDPOINT && (c->rights & MK_RIGHT_WRITE)) {
        struct endpoint *ep = (struct endpoint *)c->obj;
        if (ep->gate_vs && !ep->gate_vs->cs_dead) {
            kind = GATE_SYNC;
            gdesc[0] = ep->gate_vs->satp;
            gdesc[1] = ep->gate_pc;
            gdesc[2] = c->badge;
        }
    } else if (c && c->type == MK_OBJ_NOTIFICATION && (c->rights & MK_RIGHT_WRITE)) {
        struct notification *n = (struct notification *)c->obj;
        if (n->cs_queue) {
            kind = GATE_ENDPOINT;
            gdesc[2] = c->badge;
            gdesc[4] = ((n->cs_queue - 1) << 32) | (0xFFUL << 40); /* target queue, no reply queue */
        }
    }
    gdesc[4] |= satp_asid(satp) | (kind << 16);
    x_gfill(index, gdesc);
    cs_resume_slot(slot);             /* retry the instruction */
}

/* abort the innermost gate call of t: back to its caller with error err */
static void cs_unwind(struct tcb *t, word_t err)
{
    word_t *img = IMG(t);
    const word_t *rec = (const word_t *)(img[W_LSP] - 64);
    img[W_SATP] = rec[LR_CALLER_SATP];
    t->regs[REG_PC] = rec[LR_RET_PC];
    img[W_GTP] = rec[LR_CALLER_GTP];
    img[W_GBADGE] = rec[LR_CALLER_BADGE];
    t->regs[REG_SP] = rec[LR_CALLER_SP];
    img[W_LSP] -= 64;
    img[W_XLGIVE] = 0;
    t->regs[REG_A0] = err;
    t->regs[REG_A1] = 0;
    cs_domain_update(t, img[W_SATP]);
}

/*
 * The code of domain vs faulted on a migrated thread. The domain's own first
 * thread (its "main" thread, normally idle in Recv) is made to take the
 * fault as if it had faulted itself: its fault handler (the monitor) sees the
 * task, the faulting pc and address, and may restart it.
 */
static void cs_domain_fault(struct vspace *vs, struct tcb *faulter, word_t cause, word_t pc, word_t tval)
{
    struct tcb *m = vs ? vs->cs_owner : NULL;
    if (!m || m == faulter || m->state == TS_INACTIVE || m->fault_pending) {
        kprintf("[kernel] fault in a gate callee (cause=%lu pc=%lx tval=%lx): call aborted\n", cause, pc, tval);
        return;
    }
    ipc_cancel(m);
    ipc_fail_reply(m, MK_ERR_RESTARTED);
    handle_fault(m, cause, pc, tval, MK_LABEL_FAULT);
}

void cs_exception(struct tcb *t, word_t scause, word_t stval)
{
    switch (scause) {
    case CAUSE_GATE_KIND:           /* gcall through a NONE or non-call gate: no gate */
        t->regs[REG_A0] = MK_ERR_NO_GATE;
        t->regs[REG_PC] += 4;
        return;
    case CAUSE_LINK_OVERFLOW:       /* call chain deeper than the link stack */
        t->regs[REG_A0] = MK_ERR_NO_SPACE;
        t->regs[REG_PC] += 4;
        return;
    default:
        break;
    }
    word_t *img = IMG(t);
    if (img[W_LSP] > img[W_LSBASE]) {
        /* the callee of a gate call faulted: abort the call, report the callee */
        struct vspace *vs = cs_domain(img[W_SATP]);
        word_t pc = t->regs[REG_PC];
        cs_unwind(t, MK_ERR_GATE_ABORTED);
        cs_domain_fault(vs, t, scause, pc, stval);
        return;
    }
    handle_fault(t, scause, t->regs[REG_PC], stval, MK_LABEL_FAULT);
}

void sys_gate_set(struct tcb *cur, word_t nr)
{
    (void)nr;
    struct cap *c = cap_lookup(cur, cur->regs[REG_A0]);
    if (!c || c->type != MK_OBJ_ENDPOINT || !(c->rights & MK_RIGHT_READ)) {
        set_ipc_return(cur, MK_ERR_INVALID_CAP, 0, 0);
        return;
    }
    struct endpoint *ep = (struct endpoint *)c->obj;
    ep->gate_vs = cur->regs[REG_A2] ? cur->vspace : NULL;
    if (ep->gate_vs) ep->gate_vs->cs_gates = 1;
    ep->gate_pc = cur->regs[REG_A2];
    x_gflush_all();                 /* cached gates may name the old entry */
    set_ipc_return(cur, MK_ERR_OK, 0, 0);
}

/* ---------------------------------------------------------------- BACKOFF */
#define TS_BLOCKED_SLEEP 7
#define MAX_SLEEPERS 64
static struct tcb *sleepers[MAX_SLEEPERS];
static word_t nsleepers;

void sys_backoff(struct tcb *cur, word_t nr)
{
    (void)nr;
    set_ipc_return(cur, MK_ERR_OK, 0, 0);
    if (nsleepers == MAX_SLEEPERS) { resched_pending = true; return; }
    sleepers[nsleepers++] = cur;
    sched_block(cur, TS_BLOCKED_SLEEP);
}

void cs_tick(void)
{
    for (word_t i = 0; i < nsleepers; i++)
        if (sleepers[i]->state == TS_BLOCKED_SLEEP) sched_make_runnable(sleepers[i]);
    nsleepers = 0;
}

/* ---------------------------------------------------------------- WINDOW */
void sys_window(struct tcb *cur, word_t nr)
{
    (void)nr;
    word_t va = cur->regs[REG_A2], bytes = cur->regs[REG_A3], flags = cur->regs[REG_A4] & 7, w;
    word_t e = MK_ERR_OK;
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(0, 0, 0);
    if ((va | bytes) & (PAGE_SIZE - 1) || !bytes || bytes > (1UL << 20) || !(flags & 3) ||
        va < MK_USER_IMAGE_VA || va + bytes > (1UL << 38) || (va <= MK_IPCBUF_VA && va + bytes > MK_IPCBUF_VA)) {
        e = MK_ERR_INVALID_ARG;
    } else {
        for (w = 1; w < nwin && win[w].valid; w++) {}
        void *mem = w < nwin ? kalloc_pages(bytes / PAGE_SIZE) : NULL;
        if (w >= nwin) e = MK_ERR_NO_SPACE;
        else if (!mem) e = MK_ERR_NO_MEMORY;
        else {
            win[w] = (struct win){ va, (word_t)mem, WIN_LINES_PERM(bytes / 64, flags), satp_asid(cur->vspace->satp), true };
            set_window(w, va, (word_t)mem, win[w].lines_perm, win[w].base_asid);
            hw_owner[w] = win[w].base_asid;
            cur->regs[REG_A2] = w;
            cur->regs[REG_A1] = MK_MSGINFO_MAKE(1, 0, 0);
        }
    }
    cur->regs[REG_A0] = e;
}

/* ---------------------------------------------------------------- info */
void sys_cs_info(struct tcb *cur, word_t nr)
{
    (void)nr;
    cur->regs[REG_A0] = MK_ERR_OK;
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(4, 0, 0);
    cur->regs[REG_A2] = cs_ext;
    cur->regs[REG_A3] = nslots;
    cur->regs[REG_A4] = cs_cfg[0] & 0xffff;
    cur->regs[REG_A5] = nwin;
}

void cs_uirq_init(void);
void cs_cap_init(void);

void cs_init(void)
{
    cs_ext = cs_probe(cs_cfg);
    /* Xamsg and Xcap are optional (notifications and kv then take the stock path) */
    word_t need = MK_CS_EXT_XGATE | MK_CS_EXT_XCTX | MK_CS_EXT_XLINE | MK_CS_EXT_XUIRQ;
    if ((cs_ext & need) != need) {
        kprintf("[kernel] codesign kernel: extensions present %lx, needs Xgate, Xline, Xctx and Xuirq "
                "(mkjit run --ext xgate,xline,xctx,xuirq,xamsg,xcap)\n", cs_ext);
        panic("missing co-design extensions");
    }
    nslots = cs_cfg[2];
    nwin = cs_cfg[1] > 16 ? 16 : cs_cfg[1];
    if (nslots < 2 || nwin < 1) panic("codesign kernel needs 2 Xctx slots and 1 Xline window");
    x_gflush_all();
    cs_uirq_init();
    cs_cap_init();
    kprintf("codesign: extensions %lx (Xgate CLB %lu%s, Xline %lu windows, Xctx %lu slots)\n",
            cs_ext, cs_cfg[0] & 0xffff, (cs_cfg[0] >> 16) & 1 ? " +walker" : "", nwin, nslots);
}

/*
 * CAP_XFER: capability transfer for gate calls. The thread executes in the
 * server (callee of its top link record); the caller is the domain of that
 * record's caller satp, its message is in the thread's IPC buffer (window 0
 * travelled with the call) and the gate index in the record is the caller's
 * capability it called through.
 */
void sys_cap_xfer(struct tcb *cur, word_t nr)
{
    (void)nr;
    word_t *img = IMG(cur), slot = cur->regs[REG_A0], dir = cur->regs[REG_A2];
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(0, 0, 0);
    if (img[W_LSP] <= img[W_LSBASE] || !cur->ipcbuf) { cur->regs[REG_A0] = MK_ERR_ILLEGAL_OP; return; }
    const word_t *rec = (const word_t *)(img[W_LSP] - 64);
    struct vspace *cvs = cs_domain(rec[LR_CALLER_SATP]);
    struct cspace *ccs = cvs ? cvs->cs_cspace : NULL, *scs = cur->cspace;
    word_t cslot = cur->ipcbuf[dir ? MK_IPCBUF_CAP_SEND : MK_IPCBUF_RECV_SLOT];
    struct cap *gate = (ccs && rec[LR_GATE] < ccs->nslots) ? &ccs->slots[rec[LR_GATE]] : NULL;
    struct cap *c = (ccs && cslot && cslot < ccs->nslots) ? &ccs->slots[cslot] : NULL;
    struct cap *s = (slot && slot < scs->nslots) ? &scs->slots[slot] : NULL;
    word_t e = MK_ERR_OK;
    if (!c || !s) e = MK_ERR_INVALID_CAP;
    else if (dir == 0) {                 /* server -> caller (a reply carrying a capability) */
        if (s->type == MK_OBJ_NULL) e = MK_ERR_INVALID_CAP;
        else { *c = *s; cs_cap_slot_changed(cslot); }
    } else {                             /* caller -> server (a request carrying one) */
        if (!gate || !(gate->rights & MK_RIGHT_GRANT)) e = MK_ERR_NO_RIGHTS;
        else if (c->type == MK_OBJ_NULL) e = MK_ERR_INVALID_CAP;
        else { *s = *c; cs_cap_slot_changed(slot); }
    }
    cur->regs[REG_A0] = e;
}
