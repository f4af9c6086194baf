/*
 * Task monitor: fault handler (kernel fault endpoint) of every task started
 * after it. Drivers registered with TASKF_RESTART are restarted in place
 * (registers reset, crt0 re-initialises .data/.bss; device memory such as
 * the RAM disk and the driver's endpoint survive). Requests queued on the
 * driver's endpoint stay queued; the one request in flight is failed by the
 * kernel with ERR_RESTARTED, which tells the client to replay it.
 * Other faulting tasks are killed (suspended). Exits are recorded.
 */
#include "ulib.h"

#define MAX_TASKS 600
struct task {
    mk_word_t flags, entry, sp, state, faults, restarts;
    char name[17];
    mk_cptr_t tcb;
};
static struct task tasks[MAX_TASKS];

static const char *cause_name(mk_word_t c)
{
    switch (c) {
    case 2: return "illegal-instruction";
    case 3: return "breakpoint";
    case 5: case 13: return "load-fault";
    case 7: case 15: return "store-fault";
    case 1: case 12: return "fetch-fault";
    default: return "fault";
    }
}

int main(struct mk_startup *su)
{
    (void)su;
    mk_cptr_t recv = slot_alloc();
    ns_register("monitor", MK_SLOT_ENDPOINT);
    task_ready();
    struct mk_msg m = { 0 };
    set_recv_slot(recv);
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        mk_word_t label = MK_MSGINFO_LABEL(m.info), id = m.badge, e = MK_ERR_OK, nout = 0;
        bool reply = true;
        if (label == MK_MONITOR_REGISTER && id == 0) {
            mk_word_t t = m.mr[0];
            if (t >= MAX_TASKS || MK_MSGINFO_CAPS(m.info) != 1) e = MK_ERR_INVALID_ARG;
            else {
                struct task *k = &tasks[t];
                mk_word_t w[4] = { MK_IPCBUF[4], MK_IPCBUF[5], 0, 0 };
                char name[32];
                name_unpack(w, name);
                strncpy_z(k->name, name, sizeof(k->name));
                k->flags = m.mr[1];
                k->entry = m.mr[2];
                k->sp = m.mr[3];
                k->state = MK_TASK_RUNNING;
                if (k->tcb) slot_free(k->tcb);
                k->tcb = recv;
                recv = slot_alloc();
            }
        } else if (label == MK_MONITOR_QUERY) {
            mk_word_t t = m.mr[0];
            if (t >= MAX_TASKS || !tasks[t].state) e = MK_ERR_NOT_FOUND;
            else { m.mr[0] = tasks[t].state; m.mr[1] = tasks[t].faults; m.mr[2] = tasks[t].restarts; nout = 3; }
        } else if (label == MK_MONITOR_WATCH) {
            char name[32];
            mk_word_t w[4] = { m.mr[0], m.mr[1], 0, 0 };
            name_unpack(w, name);
            e = MK_ERR_NOT_FOUND;
            for (mk_word_t t = 1; t < MAX_TASKS; t++)
                if (tasks[t].state && !strcmp(tasks[t].name, name)) { m.mr[0] = t; nout = 1; e = MK_ERR_OK; break; }
        } else if (label == MK_LABEL_FAULT && id < MAX_TASKS && tasks[id].state) {
            struct task *k = &tasks[id];
            k->faults++;
            reply = false;
            if (k->flags & MK_TASKF_RESTART) {
                printf("monitor: task %s (%lu) %s at pc=%lx addr=%lx: restarting\n",
                       k->name, id, cause_name(m.mr[0]), m.mr[1], m.mr[2]);
                mk_tcb_restart(k->tcb, k->entry, k->sp, MK_STARTUP_VA, 0);
                k->restarts++;
            } else {
                printf("monitor: task %s (%lu) %s at pc=%lx addr=%lx: killed\n",
                       k->name, id, cause_name(m.mr[0]), m.mr[1], m.mr[2]);
                mk_tcb_suspend(k->tcb);
                k->state = MK_TASK_DEAD;
                if (k->flags & MK_TASKF_CRITICAL) {
                    printf("monitor: critical task died, powering off\n");
                    out_flush();
                    mk_root_poweroff(MK_SLOT_ROOT, 4);
                }
            }
        } else if (label == MK_LABEL_EXIT && id < MAX_TASKS && tasks[id].state) {
            struct task *k = &tasks[id];
            reply = false;
            if (m.mr[2] != 0 && !(k->flags & MK_TASKF_QUIET))
                printf("monitor: task %s (%lu) exited with code %lu\n", k->name, id, m.mr[2]);
            mk_tcb_suspend(k->tcb);
            k->state = MK_TASK_EXITED;
        } else {
            e = MK_ERR_ILLEGAL_OP;
        }
        set_recv_slot(recv);
        if (reply) {
            m.info = MK_MSGINFO_MAKE(nout, 0, e);
            mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
        } else {
            mk_sys_recv(MK_SLOT_ENDPOINT, &m);
        }
    }
}
