/*
 * Scheduler: 64 priorities, round robin within a priority, preemptive
 * (timer tick + timeslice). The running thread is not in a ready queue
 * ("lazy" queueing as in seL4); a bitmap tracks non-empty queues.
 */
#include "kernel.h"
#include "ctx_switch.h"

struct tcb *current;
word_t ready_bitmap;
bool resched_pending;
static struct { struct tcb *head, *tail; } rq[64];
static word_t tick_period, next_deadline;
word_t ticks;

void sched_enqueue(struct tcb *t)
{
    if (t->in_rq) return;
    t->in_rq = 1;
    t->sched_next = NULL;
    t->sched_prev = rq[t->prio].tail;
    if (rq[t->prio].tail) rq[t->prio].tail->sched_next = t;
    else rq[t->prio].head = t;
    rq[t->prio].tail = t;
    ready_bitmap |= 1UL << t->prio;
}

void sched_enqueue_head(struct tcb *t)
{
    if (t->in_rq) return;
    t->in_rq = 1;
    t->sched_prev = NULL;
    t->sched_next = rq[t->prio].head;
    if (rq[t->prio].head) rq[t->prio].head->sched_prev = t;
    else rq[t->prio].tail = t;
    rq[t->prio].head = t;
    ready_bitmap |= 1UL << t->prio;
}

void sched_dequeue(struct tcb *t)
{
    if (!t->in_rq) return;
    t->in_rq = 0;
    if (t->sched_prev) t->sched_prev->sched_next = t->sched_next;
    else rq[t->prio].head = t->sched_next;
    if (t->sched_next) t->sched_next->sched_prev = t->sched_prev;
    else rq[t->prio].tail = t->sched_prev;
    if (!rq[t->prio].head) ready_bitmap &= ~(1UL << t->prio);
}

void sched_make_runnable(struct tcb *t)
{
    t->state = TS_RUNNING;
    t->blocked_on = NULL;
    if (t != current) sched_enqueue(t);
}

void sched_block(struct tcb *t, u8 state)
{
    t->state = state;
    sched_dequeue(t);
}

static int highest_prio(word_t bm)
{
    int p = 0;
    if (bm >> 32) { p += 32; bm >>= 32; }
    if (bm >> 16) { p += 16; bm >>= 16; }
    if (bm >> 8) { p += 8; bm >>= 8; }
    if (bm >> 4) { p += 4; bm >>= 4; }
    if (bm >> 2) { p += 2; bm >>= 2; }
    if (bm >> 1) { p += 1; }
    return p;
}

/* idle: wait for interrupts without taking traps (SIE stays 0; WFI wakes on
 * pending-and-enabled interrupts regardless), then poll and handle them. */
static void idle_until_runnable(void)
{
    current = NULL;
    while (!ready_bitmap) {
        __asm__ volatile("wfi");
        word_t sip = csr_read(sip);
        if (sip & SIP_STIP) timer_tick();
        if (sip & SIP_SEIP) irq_handle();
#ifdef CODESIGN
        cs_idle_poll(); /* a user interrupt is pending: let the hardware deliver it */
#endif
    }
}

void schedule(void)
{
    struct tcb *cur = current;
    if (cur && cur->state == TS_RUNNING) {
        if (resched_pending) sched_enqueue(cur);               /* yield / timeslice end: go to tail */
        else if (higher_prio_ready(cur->prio)) sched_enqueue_head(cur);
        else return;
    }
    resched_pending = false;
    if (!ready_bitmap) idle_until_runnable();
    struct tcb *next = rq[highest_prio(ready_bitmap)].head;
    sched_dequeue(next);
    ctx_switch_to(next);
}

NORETURN void kernel_exit(void)
{
    schedule();
    restore_user(current);
}

void timer_init(void)
{
    tick_period = bootinfo.timebase_hz / 500; /* 2 ms */
    next_deadline = rdtime() + tick_period;
    mcall_set_timer(next_deadline);
    csr_set(sie, SIE_STIE | SIE_SEIE);
}

void timer_tick(void)
{
    word_t now = rdtime();
    next_deadline += tick_period;
    if ((sword_t)(next_deadline - now) <= 0) next_deadline = now + tick_period;
    mcall_set_timer(next_deadline);
    ticks++;
#ifdef CODESIGN
    cs_tick();
#endif
    if (current && current->state == TS_RUNNING && --current->timeslice <= 0) {
        current->timeslice = TIMESLICE_TICKS;
        resched_pending = true;
    }
}
