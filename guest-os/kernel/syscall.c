/*
 * Syscall handlers (slow path) and object invocations.
 * Every invocation is split into decode_*(), which validates the message and
 * resolves capabilities without side effects, and invoke_*(), which performs
 * the operation and cannot fail for reasons decode could have checked.
 */
#include "kernel.h"
#include "syscall_table.h"
#include "bulk_transfer.h"

static word_t next_thread_id = 1;

/* ---------- helpers ---------- */
static void inv_return(struct tcb *t, word_t err, word_t nout, word_t o0, word_t o1)
{
    t->regs[REG_A0] = err;
    t->regs[REG_A1] = MK_MSGINFO_MAKE(nout, 0, 0);
    t->regs[REG_A2] = o0;
    t->regs[REG_A3] = o1;
    t->regs[REG_A6] = 0;
}
#define INV_ERR(t, e) do { inv_return((t), (e), 0, 0, 0); return; } while (0)

static struct cap *lookup_type(struct tcb *t, word_t cptr, word_t type)
{
    struct cap *c = cap_lookup(t, cptr);
    return (c && c->type == type) ? c : NULL;
}

struct tcb *tcb_create(void)
{
    struct tcb *t = kalloc(sizeof(*t));
    if (!t) return NULL;
    t->id = next_thread_id++;
    t->timeslice = TIMESLICE_TICKS;
    t->state = TS_INACTIVE;
    return t;
}

void tcb_restart(struct tcb *t, word_t pc, word_t sp, word_t a0, word_t a1)
{
    ipc_cancel(t);
    ipc_fail_reply(t, MK_ERR_RESTARTED);
    t->fault_pending = 0;
#ifdef CODESIGN
    cs_thread_reset(t);
#endif
    memset(t->regs, 0, sizeof(t->regs));
    t->regs[REG_PC] = pc;
    t->regs[REG_SP] = sp;
    t->regs[REG_A0] = a0;
    t->regs[REG_A1] = a1;
    sched_make_runnable(t);
}

static void tcb_suspend(struct tcb *t)
{
    ipc_cancel(t);
    ipc_fail_reply(t, MK_ERR_RESTARTED);
    t->state = TS_INACTIVE;
#ifdef CODESIGN
    cs_thread_suspended(t);
#endif
}

/*
 * A decoded invocation: everything the invoke step needs, already validated.
 * decode_*() may only read; invoke_*() performs the operation.
 */
struct inv {
    word_t label;
    struct cap *cap;      /* the invoked capability */
    struct cap *dest;     /* destination slot, if any */
    struct cap *src;      /* argument capability, if any */
    struct cap *src2;
    struct cap *src3;
    word_t a[4];          /* message registers 0..3 */
};

/* ---------- CONTROL ---------- */
static word_t decode_control(struct tcb *cur, struct inv *iv)
{
    switch (iv->label) {
    case MK_INV_CONTROL_CREATE: {
        word_t type = iv->a[0], bits = iv->a[2], pages = 1;
        iv->dest = cap_lookup(cur, iv->a[1]);
        if (!iv->dest || iv->a[1] == 0) return MK_ERR_INVALID_CAP;
        if (iv->dest->type != MK_OBJ_NULL) return MK_ERR_SLOT_IN_USE;
        switch (type) {
        case MK_OBJ_CSPACE:
            if (bits < 1 || bits > 12) return MK_ERR_INVALID_ARG;
            pages = ((1UL << bits) * sizeof(struct cap) + sizeof(struct cspace) + PAGE_SIZE - 1) / PAGE_SIZE;
            break;
        case MK_OBJ_VSPACE: case MK_OBJ_FRAME: case MK_OBJ_TCB:
        case MK_OBJ_ENDPOINT: case MK_OBJ_NOTIFICATION:
            break;
        default:
            return MK_ERR_INVALID_ARG;
        }
        if (kmem_free_pages() < pages + 1) return MK_ERR_NO_MEMORY;
        return MK_ERR_OK;
    }
    case MK_INV_CONTROL_DEVICE_FRAME:
    case MK_INV_CONTROL_IRQ_HANDLER:
        iv->dest = cap_lookup(cur, iv->a[1]);
        if (!iv->dest || iv->a[1] == 0) return MK_ERR_INVALID_CAP;
        if (iv->dest->type != MK_OBJ_NULL) return MK_ERR_SLOT_IN_USE;
        if (iv->label == MK_INV_CONTROL_DEVICE_FRAME) {
            if (iv->a[0] != MK_UART_PADDR && !(bootinfo.bench_paddr && iv->a[0] == bootinfo.bench_paddr))
                return MK_ERR_RANGE;
        } else if (iv->a[0] == 0 || iv->a[0] >= MK_MAX_IRQ) {
            return MK_ERR_RANGE;
        }
        return MK_ERR_OK;
    case MK_INV_CONTROL_POWEROFF:
    case MK_INV_CONTROL_MEMINFO:
        return MK_ERR_OK;
    default:
        return MK_ERR_ILLEGAL_OP;
    }
}

static void invoke_control(struct tcb *cur, struct inv *iv)
{
    struct cap *dest = iv->dest;
    switch (iv->label) {
    case MK_INV_CONTROL_CREATE: {
        word_t type = iv->a[0], obj;
        switch (type) {
        case MK_OBJ_CSPACE: obj = (word_t)cspace_create(iv->a[2]); break;
        case MK_OBJ_VSPACE: obj = (word_t)vspace_create(); break;
        case MK_OBJ_FRAME: obj = (word_t)kalloc_page(); break;
        case MK_OBJ_TCB: obj = (word_t)tcb_create(); break;
        case MK_OBJ_ENDPOINT: obj = (word_t)kalloc(sizeof(struct endpoint)); break;
        default: obj = (word_t)kalloc(sizeof(struct notification)); break;
        }
        if (!obj) INV_ERR(cur, MK_ERR_NO_MEMORY); /* slab page boundary; decode checked pages */
        *dest = (struct cap){ .type = (u8)type, .rights = MK_RIGHTS_ALL, .obj = obj };
        break;
    }
    case MK_INV_CONTROL_DEVICE_FRAME:
        *dest = (struct cap){ .type = MK_OBJ_FRAME, .rights = MK_RIGHT_READ | MK_RIGHT_WRITE | MK_RIGHT_GRANT,
                              .obj = iv->a[0] };
        break;
    case MK_INV_CONTROL_IRQ_HANDLER:
        *dest = (struct cap){ .type = MK_OBJ_IRQ_HANDLER, .rights = MK_RIGHTS_ALL, .aux = (u32)iv->a[0] };
        break;
    case MK_INV_CONTROL_POWEROFF:
        poweroff(iv->a[0]);
    case MK_INV_CONTROL_MEMINFO:
        inv_return(cur, MK_ERR_OK, 2, kmem_total_pages(), kmem_free_pages());
        return;
    }
    inv_return(cur, MK_ERR_OK, 0, 0, 0);
}

/* ---------- CSPACE ---------- */
static word_t decode_cspace(struct tcb *cur, struct inv *iv)
{
    struct cspace *cs = (struct cspace *)iv->cap->obj;
    word_t slot = iv->a[0];
    if (slot == 0 || slot >= cs->nslots) return MK_ERR_RANGE;
    iv->dest = &cs->slots[slot];
    switch (iv->label) {
    case MK_INV_CSPACE_MINT: {
        iv->src = cap_lookup(cur, iv->a[1]);
        if (!iv->src || iv->src->type == MK_OBJ_NULL) return MK_ERR_INVALID_CAP;
        bool badgeable = iv->src->type == MK_OBJ_ENDPOINT || iv->src->type == MK_OBJ_NOTIFICATION;
        if (iv->a[3] && (!badgeable || iv->src->badge)) return MK_ERR_ILLEGAL_OP;
        return MK_ERR_OK;
    }
    case MK_INV_CSPACE_DELETE:
        return MK_ERR_OK;
    default:
        return MK_ERR_ILLEGAL_OP;
    }
}

static void invoke_cspace(struct tcb *cur, struct inv *iv)
{
    if (iv->label == MK_INV_CSPACE_MINT) {
        struct cap n = *iv->src;
        n.rights &= (u8)iv->a[2];
        if (iv->a[3]) n.badge = iv->a[3];
        *iv->dest = n;
    } else {
        memset(iv->dest, 0, sizeof(*iv->dest));
    }
#ifdef CODESIGN
    cs_cap_slot_changed(iv->a[0]);
#endif
    inv_return(cur, MK_ERR_OK, 0, 0, 0);
}

/* ---------- VSPACE ---------- */
static inline bool user_page_va(word_t va)
{
    word_t gi = va >> 30;
    return !(va & (PAGE_SIZE - 1)) && va < (1UL << 38) && gi != 0 && gi != 2;
}

static word_t decode_vspace(struct tcb *cur, struct inv *iv)
{
    switch (iv->label) {
    case MK_INV_VSPACE_MAP:
        iv->src = lookup_type(cur, iv->a[0], MK_OBJ_FRAME);
        if (!iv->src) return MK_ERR_INVALID_CAP;
        if (!user_page_va(iv->a[1])) return MK_ERR_RANGE;
        iv->a[2] &= iv->src->rights;
        if (!(iv->a[2] & (MK_RIGHT_READ | MK_RIGHT_WRITE | MK_RIGHT_EXEC))) return MK_ERR_NO_RIGHTS;
        if (kmem_free_pages() < 2) return MK_ERR_NO_MEMORY; /* up to two page tables */
        return MK_ERR_OK;
    case MK_INV_VSPACE_UNMAP:
        if (!user_page_va(iv->a[0])) return MK_ERR_RANGE;
        if (!vspace_lookup((struct vspace *)iv->cap->obj, iv->a[0], false)) return MK_ERR_NOT_FOUND;
        return MK_ERR_OK;
    default:
        return MK_ERR_ILLEGAL_OP;
    }
}

static void invoke_vspace(struct tcb *cur, struct inv *iv)
{
    struct vspace *vs = (struct vspace *)iv->cap->obj;
    word_t e = iv->label == MK_INV_VSPACE_MAP ? (word_t)vspace_map(vs, iv->a[1], iv->src->obj, iv->a[2], false)
                                              : (word_t)vspace_unmap(vs, iv->a[0]);
    inv_return(cur, e, 0, 0, 0);
}

/* ---------- FRAME ---------- */
static word_t decode_frame(struct tcb *cur, struct inv *iv)
{
    (void)cur;
    return iv->label == MK_INV_FRAME_PADDR ? MK_ERR_OK : MK_ERR_ILLEGAL_OP;
}

static void invoke_frame(struct tcb *cur, struct inv *iv)
{
    inv_return(cur, MK_ERR_OK, 1, iv->cap->obj, 0);
}

/* ---------- TCB ---------- */
static word_t decode_tcb(struct tcb *cur, struct inv *iv)
{
    struct tcb *t = (struct tcb *)iv->cap->obj;
    word_t *a = iv->a;
    switch (iv->label) {
    case MK_INV_TCB_CONFIGURE:
        iv->src = lookup_type(cur, a[0], MK_OBJ_CSPACE);
        iv->src2 = lookup_type(cur, a[1], MK_OBJ_VSPACE);
        iv->src3 = a[2] ? lookup_type(cur, a[2], MK_OBJ_FRAME) : NULL;
        if (!iv->src || !iv->src2 || (a[2] && !iv->src3)) return MK_ERR_INVALID_CAP;
        if (t->state != TS_INACTIVE) return MK_ERR_BUSY;
        return MK_ERR_OK;
    case MK_INV_TCB_SET_FAULT_EP:
        iv->src = a[0] ? lookup_type(cur, a[0], MK_OBJ_ENDPOINT) : NULL;
        return (a[0] && !iv->src) ? MK_ERR_INVALID_CAP : MK_ERR_OK;
    case MK_INV_TCB_SET_PRIORITY:
        return (a[0] > MK_PRIO_MAX || a[0] > cur->prio) ? MK_ERR_RANGE : MK_ERR_OK;
    case MK_INV_TCB_WRITE_REGS:
        return (t == cur || t->state != TS_INACTIVE) ? MK_ERR_BUSY : MK_ERR_OK;
    case MK_INV_TCB_RESUME:
        return (!t->cspace || !t->vspace) ? MK_ERR_ILLEGAL_OP : MK_ERR_OK;
    case MK_INV_TCB_SUSPEND:
    case MK_INV_TCB_INFO:
        return MK_ERR_OK;
    case MK_INV_TCB_RESTART:
        return (t == cur || !t->cspace || !t->vspace) ? MK_ERR_ILLEGAL_OP : MK_ERR_OK;
    case MK_INV_TCB_BIND_NTFN:
        iv->src = a[0] ? lookup_type(cur, a[0], MK_OBJ_NOTIFICATION) : NULL;
        if (a[0] && !iv->src) return MK_ERR_INVALID_CAP;
        if (iv->src && ((struct notification *)iv->src->obj)->bound) return MK_ERR_BUSY;
        return MK_ERR_OK;
    default:
        return MK_ERR_ILLEGAL_OP;
    }
}

static void invoke_tcb(struct tcb *cur, struct inv *iv)
{
    struct tcb *t = (struct tcb *)iv->cap->obj;
    word_t *a = iv->a;
    inv_return(cur, MK_ERR_OK, 0, 0, 0);
    switch (iv->label) {
    case MK_INV_TCB_CONFIGURE:
        t->cspace = (struct cspace *)iv->src->obj;
        t->vspace = (struct vspace *)iv->src2->obj;
        t->ipcbuf = iv->src3 ? (word_t *)iv->src3->obj : NULL;
#ifdef CODESIGN
        cs_tcb_configured(t);
#endif
        break;
    case MK_INV_TCB_SET_FAULT_EP:
        if (iv->src) t->fault_ep = *iv->src;
        else memset(&t->fault_ep, 0, sizeof(t->fault_ep));
        break;
    case MK_INV_TCB_SET_PRIORITY:
        if (t->in_rq) { sched_dequeue(t); t->prio = (u8)a[0]; sched_enqueue(t); }
        else t->prio = (u8)a[0];
        break;
    case MK_INV_TCB_WRITE_REGS:
        t->regs[REG_PC] = a[0];
        t->regs[REG_SP] = a[1];
        t->regs[REG_A0] = a[2];
        t->regs[REG_A1] = a[3];
        break;
    case MK_INV_TCB_RESUME:
        if (t->state == TS_INACTIVE) sched_make_runnable(t);
        break;
    case MK_INV_TCB_SUSPEND:
        tcb_suspend(t);
        break;
    case MK_INV_TCB_RESTART:
        tcb_restart(t, a[0], a[1], a[2], a[3]);
        break;
    case MK_INV_TCB_BIND_NTFN:
        if (t->bound_ntfn) t->bound_ntfn->bound = NULL;
        t->bound_ntfn = iv->src ? (struct notification *)iv->src->obj : NULL;
        if (t->bound_ntfn) t->bound_ntfn->bound = t;
        break;
    case MK_INV_TCB_INFO:
        inv_return(cur, MK_ERR_OK, 2, t->state, t->prio);
        break;
    }
}

/* ---------- IRQ handler ---------- */
static word_t decode_irq(struct tcb *cur, struct inv *iv)
{
    switch (iv->label) {
    case MK_INV_IRQ_HANDLER_SET_NTFN:
        iv->src = iv->a[0] ? lookup_type(cur, iv->a[0], MK_OBJ_NOTIFICATION) : NULL;
        return (iv->a[0] && !iv->src) ? MK_ERR_INVALID_CAP : MK_ERR_OK;
    case MK_INV_IRQ_HANDLER_ACK:
        return MK_ERR_OK;
    default:
        return MK_ERR_ILLEGAL_OP;
    }
}

static void invoke_irq(struct tcb *cur, struct inv *iv)
{
    word_t irq = iv->cap->aux, e;
    if (iv->label == MK_INV_IRQ_HANDLER_SET_NTFN)
        e = (word_t)irq_set_ntfn(irq, iv->src ? (struct notification *)iv->src->obj : NULL, iv->a[1]);
    else
        e = (word_t)irq_ack(irq);
    inv_return(cur, e, 0, 0, 0);
}

static const struct {
    word_t (*decode)(struct tcb *, struct inv *);
    void (*invoke)(struct tcb *, struct inv *);
} inv_ops[] = {
    [MK_OBJ_CONTROL] = { decode_control, invoke_control },
    [MK_OBJ_CSPACE] = { decode_cspace, invoke_cspace },
    [MK_OBJ_VSPACE] = { decode_vspace, invoke_vspace },
    [MK_OBJ_FRAME] = { decode_frame, invoke_frame },
    [MK_OBJ_TCB] = { decode_tcb, invoke_tcb },
    [MK_OBJ_IRQ_HANDLER] = { decode_irq, invoke_irq },
};

void decode_invocation(struct tcb *cur, struct cap *cap, word_t info)
{
    struct inv iv = { .label = MK_MSGINFO_LABEL(info), .cap = cap };
    if (cap->type >= sizeof(inv_ops) / sizeof(inv_ops[0]) || !inv_ops[cap->type].decode)
        INV_ERR(cur, MK_ERR_INVALID_CAP);
    for (int i = 0; i < 4; i++) iv.a[i] = cur->regs[REG_A2 + i];
    word_t err = inv_ops[cap->type].decode(cur, &iv);
    if (err) INV_ERR(cur, err);
    inv_ops[cap->type].invoke(cur, &iv);
}

/* ---------- syscall handlers (slow path) ---------- */
void sys_call(struct tcb *cur, word_t nr)
{
    (void)nr;
    struct cap *cap = cap_lookup(cur, cur->regs[REG_A0]);
    if (!cap || cap->type == MK_OBJ_NULL) INV_ERR(cur, MK_ERR_INVALID_CAP);
    if (cap->type == MK_OBJ_ENDPOINT) ipc_send(cur, cap, cur->regs[REG_A1], true, true);
    else if (cap->type == MK_OBJ_NOTIFICATION) INV_ERR(cur, MK_ERR_ILLEGAL_OP);
    else decode_invocation(cur, cap, cur->regs[REG_A1]);
}

static void do_send(struct tcb *cur, bool blocking)
{
    struct cap *cap = cap_lookup(cur, cur->regs[REG_A0]);
    if (!cap) INV_ERR(cur, MK_ERR_INVALID_CAP);
    if (cap->type == MK_OBJ_ENDPOINT) {
        ipc_send(cur, cap, cur->regs[REG_A1], blocking, false);
    } else if (cap->type == MK_OBJ_NOTIFICATION) {
        if (!(cap->rights & MK_RIGHT_WRITE)) INV_ERR(cur, MK_ERR_NO_RIGHTS);
        set_ipc_return(cur, MK_ERR_OK, 0, 0);
        ntfn_signal((struct notification *)cap->obj, cap->badge);
    } else {
        INV_ERR(cur, MK_ERR_INVALID_CAP);
    }
}

void sys_send(struct tcb *cur, word_t nr) { (void)nr; do_send(cur, true); }
void sys_nbsend(struct tcb *cur, word_t nr) { (void)nr; do_send(cur, false); }

static void do_recv(struct tcb *cur, bool blocking)
{
    struct cap *cap = cap_lookup(cur, cur->regs[REG_A0]);
    if (!cap) INV_ERR(cur, MK_ERR_INVALID_CAP);
    if (cap->type == MK_OBJ_ENDPOINT) {
        ipc_recv(cur, cap, blocking);
    } else if (cap->type == MK_OBJ_NOTIFICATION) {
        if (!(cap->rights & MK_RIGHT_READ)) INV_ERR(cur, MK_ERR_NO_RIGHTS);
        ntfn_wait(cur, (struct notification *)cap->obj, blocking);
    } else {
        INV_ERR(cur, MK_ERR_INVALID_CAP);
    }
}

void sys_recv(struct tcb *cur, word_t nr) { (void)nr; do_recv(cur, true); }
void sys_nbrecv(struct tcb *cur, word_t nr) { (void)nr; do_recv(cur, false); }

void sys_reply(struct tcb *cur, word_t nr)
{
    (void)nr;
    ipc_reply(cur);
    set_ipc_return(cur, MK_ERR_OK, 0, 0);
}

void sys_reply_recv(struct tcb *cur, word_t nr)
{
    (void)nr;
    ipc_reply(cur);
    do_recv(cur, true);
}

void sys_yield(struct tcb *cur, word_t nr)
{
    (void)nr;
    cur->regs[REG_A0] = MK_ERR_OK;
    resched_pending = true;
}

void sys_debug_putc(struct tcb *cur, word_t nr)
{
    (void)nr;
    kputc((int)cur->regs[REG_A0]);
    cur->regs[REG_A0] = MK_ERR_OK;
}

void sys_debug_puts(struct tcb *cur, word_t nr)
{
    (void)nr;
    word_t va = cur->regs[REG_A0], len = cur->regs[REG_A1];
    if (len > 4096) len = 4096;
    for (word_t i = 0; i < len; i++) {
        word_t pa = vspace_lookup(cur->vspace, va + i, false);
        if (!pa) INV_ERR(cur, MK_ERR_RANGE);
        kputc(*(const char *)pa);
    }
    cur->regs[REG_A0] = MK_ERR_OK;
}

void sys_exit(struct tcb *cur, word_t nr)
{
    (void)nr;
    handle_fault(cur, 0, cur->regs[REG_PC], cur->regs[REG_A0], MK_LABEL_EXIT);
}
