/*
 * Syscall entry and the IPC fastpath (seL4 style): Call and ReplyRecv with a
 * register-only message take a straight-line path guarded by a chain of
 * unlikely() checks; any check that fails falls through to the slow path,
 * which handles every case in full generality. What differs per variant
 * (how the saved context is completed at entry, how the message is
 * delivered, how the partner is switched to) is behind ctx_switch.h and
 * ipc_transport.h; restore_user() is the variant's kernel exit.
 */
#include "kernel.h"
#include "ipc_transport.h"
#include "ctx_switch.h"
#include "syscall_table.h"

/* low 12 bits of msginfo = caps:len; <= 4 means no caps and <= 4 words */
#define FAST_INFO_MASK ((1UL << (MK_MSGINFO_LEN_WIDTH + MK_MSGINFO_CAPS_WIDTH)) - 1)

void c_handle_syscall(word_t a0, word_t a1, word_t a2, word_t a3, word_t a4, word_t a5,
                      struct tcb *cur, word_t nr) NORETURN;

void c_handle_syscall(word_t a0, word_t a1, word_t a2, word_t a3, word_t a4, word_t a5,
                      struct tcb *cur, word_t nr)
{
    ctx_syscall_entry(cur);

    if (likely(nr == MK_SYS_CALL)) {
        if (unlikely((a1 & FAST_INFO_MASK) > MK_MSG_REG_WORDS)) goto slow;
        struct cspace *cs = cur->cspace;
        if (unlikely(a0 >= cs->nslots)) goto slow;
        struct cap *cap = &cs->slots[a0];
        if (unlikely(cap->type != MK_OBJ_ENDPOINT)) goto slow;
        if (unlikely(!(cap->rights & MK_RIGHT_WRITE))) goto slow;
        struct endpoint *ep = (struct endpoint *)cap->obj;
        if (unlikely(ep->state != EP_RECV)) goto slow;
        struct tcb *dest = ep->head;
        if (unlikely(higher_prio_ready(dest->prio))) goto slow;
        if (unlikely(dest->reply_to != NULL)) goto slow;

        /* commit: dequeue receiver, block caller on reply, switch */
        struct tcb *nxt = dest->ep_next;
        ep->head = nxt;
        if (nxt) nxt->ep_prev = NULL;
        else { ep->tail = NULL; ep->state = EP_IDLE; }
        dest->ep_next = NULL;
        dest->blocked_on = NULL;
        dest->state = TS_RUNNING;
        dest->reply_to = cur;
        cur->waiting_on = dest;
        cur->state = TS_BLOCKED_REPLY;
        transport_regs(dest, a1, cap->badge, a2, a3, a4, a5);
        ctx_switch_to(dest);
        restore_user(dest);
    }

    if (likely(nr == MK_SYS_REPLY_RECV)) {
        if (unlikely((a1 & FAST_INFO_MASK) > MK_MSG_REG_WORDS)) goto slow;
        struct tcb *caller = cur->reply_to;
        if (unlikely(caller == NULL)) goto slow;
        if (unlikely(caller->state != TS_BLOCKED_REPLY)) goto slow;
        if (unlikely(caller->waiting_on != cur)) goto slow;
        if (unlikely(caller->fault_pending)) goto slow;
        struct cspace *cs = cur->cspace;
        if (unlikely(a0 >= cs->nslots)) goto slow;
        struct cap *cap = &cs->slots[a0];
        if (unlikely(cap->type != MK_OBJ_ENDPOINT)) goto slow;
        if (unlikely(!(cap->rights & MK_RIGHT_READ))) goto slow;
        struct endpoint *ep = (struct endpoint *)cap->obj;
        if (unlikely(ep->state == EP_SEND)) goto slow;
        if (unlikely(cur->bound_ntfn != NULL && cur->bound_ntfn->active)) goto slow;
        if (unlikely(higher_prio_ready(caller->prio))) goto slow;

        /* commit: complete the reply, queue ourselves as receiver, switch */
        cur->reply_to = NULL;
        caller->waiting_on = NULL;
        caller->state = TS_RUNNING;
        cur->state = TS_BLOCKED_RECV;
        cur->blocked_on = ep;
        cur->ep_next = NULL;
        cur->ep_prev = ep->tail;
        if (ep->tail) ep->tail->ep_next = cur;
        else ep->head = cur;
        ep->tail = cur;
        ep->state = EP_RECV;
        transport_regs(caller, a1, 0, a2, a3, a4, a5);
        ctx_switch_to(caller);
        restore_user(caller);
    }

slow:
    if (unlikely(nr > MK_SYS_MAX || !ksyscall_table[nr])) {
        cur->regs[REG_A0] = MK_ERR_BAD_SYSCALL;
        kernel_exit();
    }
    ksyscall_table[nr](cur, nr);
    kernel_exit();
}
