/* Asynchronous notifications (a word of bits + waiters), bound notifications. */
#include "kernel.h"

static void ntfn_remove(struct notification *n, struct tcb *t)
{
    if (t->ep_prev) t->ep_prev->ep_next = t->ep_next; else n->head = t->ep_next;
    if (t->ep_next) t->ep_next->ep_prev = t->ep_prev; else n->tail = t->ep_prev;
    t->ep_next = t->ep_prev = NULL;
}

void ntfn_cancel(struct tcb *t)
{
    ntfn_remove((struct notification *)t->blocked_on, t);
}

void ntfn_signal(struct notification *n, word_t badge)
{
    if (n->head) {
        struct tcb *t = n->head;
        ntfn_remove(n, t);
        set_ipc_return(t, MK_ERR_OK, 0, n->word | badge);
        n->word = 0;
        n->active = false;
        sched_make_runnable(t);
    } else if (n->bound && n->bound->state == TS_BLOCKED_RECV) {
        struct tcb *t = n->bound;
        ep_dequeue((struct endpoint *)t->blocked_on, t);
        set_ipc_return(t, MK_ERR_OK, MK_MSGINFO_MAKE(0, 0, MK_LABEL_NOTIFY), n->word | badge);
        n->word = 0;
        n->active = false;
        sched_make_runnable(t);
    } else {
        n->word |= badge;
        n->active = true;
    }
}

void ntfn_wait(struct tcb *t, struct notification *n, bool blocking)
{
    if (n->active) {
        set_ipc_return(t, MK_ERR_OK, 0, n->word);
        n->word = 0;
        n->active = false;
    } else if (blocking) {
        sched_block(t, TS_BLOCKED_NTFN);
        t->blocked_on = n;
        t->ep_next = NULL;
        t->ep_prev = n->tail;
        if (n->tail) n->tail->ep_next = t; else n->head = t;
        n->tail = t;
    } else {
        set_ipc_return(t, MK_ERR_WOULD_BLOCK, 0, 0);
    }
}

/* called on receive: deliver a pending bound notification instead of blocking */
bool ntfn_deliver_bound(struct tcb *t)
{
    struct notification *n = t->bound_ntfn;
    if (!n || !n->active) return false;
    set_ipc_return(t, MK_ERR_OK, MK_MSGINFO_MAKE(0, 0, MK_LABEL_NOTIFY), n->word);
    n->word = 0;
    n->active = false;
    return true;
}
