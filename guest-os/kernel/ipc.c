/*
 * Synchronous IPC, slow path (the fast path is in fastpath.c).
 * Endpoints hold a queue of either senders or receivers. A Call leaves the
 * caller BLOCKED_REPLY with the server's reply_to pointing at it (classic
 * seL4 reply capability kept in the TCB). Faults are delivered as a Call
 * made by the kernel on behalf of the faulting thread.
 */
#include "kernel.h"
#include "ipc_transport.h"

void ntfn_cancel(struct tcb *t);

void set_ipc_return(struct tcb *t, word_t err, word_t info, word_t badge)
{
    t->regs[REG_A0] = err;
    t->regs[REG_A1] = info;
    t->regs[REG_A6] = badge;
}

static void ep_enqueue(struct endpoint *ep, struct tcb *t)
{
    t->ep_next = NULL;
    t->ep_prev = ep->tail;
    if (ep->tail) ep->tail->ep_next = t; else ep->head = t;
    ep->tail = t;
    t->blocked_on = ep;
}

void ep_dequeue(struct endpoint *ep, struct tcb *t)
{
    if (t->ep_prev) t->ep_prev->ep_next = t->ep_next; else ep->head = t->ep_next;
    if (t->ep_next) t->ep_next->ep_prev = t->ep_prev; else ep->tail = t->ep_prev;
    t->ep_next = t->ep_prev = NULL;
    if (!ep->head) ep->state = EP_IDLE;
}

/* a server receives a call: remember whom to reply to */
static void link_reply(struct tcb *server, struct tcb *caller)
{
    struct tcb *old = server->reply_to;
    if (old && old->state == TS_BLOCKED_REPLY && old->waiting_on == server) {
        /* the server dropped an unanswered call: fail it rather than leak it */
        old->waiting_on = NULL;
        if (!old->fault_pending) {
            set_ipc_return(old, MK_ERR_IO, 0, 0);
            sched_make_runnable(old);
        }
    }
    server->reply_to = caller;
    caller->waiting_on = server;
    sched_block(caller, TS_BLOCKED_REPLY);
}

void ipc_send(struct tcb *sender, struct cap *cap, word_t info, bool blocking, bool is_call)
{
    struct endpoint *ep = (struct endpoint *)cap->obj;
    if (!(cap->rights & MK_RIGHT_WRITE)) {
        set_ipc_return(sender, MK_ERR_NO_RIGHTS, 0, 0);
        return;
    }
    if (ep->state == EP_RECV) {
        struct tcb *r = ep->head;
        ep_dequeue(ep, r);
        transport_msg(sender, r, info, cap->badge, cap->rights & MK_RIGHT_GRANT);
        if (is_call) link_reply(r, sender);
        else if (!sender->fault_pending) set_ipc_return(sender, MK_ERR_OK, 0, 0);
        sched_make_runnable(r);
    } else if (blocking) {
        sender->send_badge = cap->badge;
        sender->send_is_call = is_call;
        sender->send_can_grant = (cap->rights & MK_RIGHT_GRANT) != 0;
        if (sender->fault_pending) sender->fault_info = info;
        else sender->regs[REG_A1] = info;
        sched_block(sender, TS_BLOCKED_SEND);
        ep_enqueue(ep, sender);
        ep->state = EP_SEND;
    } else {
        set_ipc_return(sender, MK_ERR_OK, 0, 0); /* NBSend: dropped silently */
    }
}

void ipc_recv(struct tcb *receiver, struct cap *cap, bool blocking)
{
    struct endpoint *ep = (struct endpoint *)cap->obj;
    if (!(cap->rights & MK_RIGHT_READ)) {
        set_ipc_return(receiver, MK_ERR_NO_RIGHTS, 0, 0);
        return;
    }
    if (ntfn_deliver_bound(receiver)) return;
    if (ep->state == EP_SEND) {
        struct tcb *s = ep->head;
        ep_dequeue(ep, s);
        word_t info = s->fault_pending ? s->fault_info : s->regs[REG_A1];
        transport_msg(s, receiver, info, s->send_badge, s->send_can_grant);
        if (s->send_is_call) {
            link_reply(receiver, s);
        } else {
            set_ipc_return(s, MK_ERR_OK, 0, 0);
            sched_make_runnable(s);
        }
    } else if (blocking) {
        sched_block(receiver, TS_BLOCKED_RECV);
        ep_enqueue(ep, receiver);
        ep->state = EP_RECV;
    } else {
        set_ipc_return(receiver, MK_ERR_WOULD_BLOCK, 0, 0);
    }
}

void ipc_reply(struct tcb *server)
{
    struct tcb *c = server->reply_to;
    server->reply_to = NULL;
    if (!c || c->state != TS_BLOCKED_REPLY || c->waiting_on != server) return;
    c->waiting_on = NULL;
    if (c->fault_pending) {
        /* reply to a fault message: resume the thread where it faulted */
        c->fault_pending = 0;
        sched_make_runnable(c);
        return;
    }
    transport_msg(server, c, server->regs[REG_A1], 0, true);
    sched_make_runnable(c);
}

/* the server can no longer answer (restarted/suspended): fail its caller */
void ipc_fail_reply(struct tcb *server, word_t err)
{
    struct tcb *c = server->reply_to;
    server->reply_to = NULL;
    if (!c || c->state != TS_BLOCKED_REPLY || c->waiting_on != server) return;
    c->waiting_on = NULL;
    if (c->fault_pending) return; /* a faulted thread stays stopped */
    set_ipc_return(c, err, 0, 0);
    sched_make_runnable(c);
}

/* take t out of whatever IPC wait it is in */
void ipc_cancel(struct tcb *t)
{
    switch (t->state) {
    case TS_BLOCKED_SEND:
    case TS_BLOCKED_RECV:
        ep_dequeue((struct endpoint *)t->blocked_on, t);
        break;
    case TS_BLOCKED_NTFN:
        ntfn_cancel(t);
        break;
    case TS_BLOCKED_REPLY:
        t->waiting_on = NULL;
        break;
    default:
        break;
    }
    t->blocked_on = NULL;
    sched_dequeue(t);
}

void handle_fault(struct tcb *t, word_t cause, word_t epc, word_t tval, word_t label)
{
    if (t->fault_ep.type != MK_OBJ_ENDPOINT || !(t->fault_ep.rights & MK_RIGHT_WRITE)) {
        if (label == MK_LABEL_EXIT)
            kprintf("[kernel] thread %lu exited (code %lu), no handler\n", t->id, tval);
        else
            kprintf("[kernel] thread %lu fault cause=%lu pc=%lx tval=%lx, no handler: suspended\n",
                    t->id, cause, epc, tval);
        ipc_cancel(t);
        ipc_fail_reply(t, MK_ERR_RESTARTED);
        t->state = TS_INACTIVE;
        return;
    }
    t->fault_mr[0] = cause;
    t->fault_mr[1] = epc;
    t->fault_mr[2] = tval;
    t->fault_mr[3] = t->id;
    t->fault_pending = 1;
    ipc_send(t, &t->fault_ep, MK_MSGINFO_MAKE(4, 0, label), true, true);
}
