/*
 * Name service, codesign build (see ../main.c): the same table, served
 * through a call gate. Registering and looking up pass a capability, which
 * only the kernel can move: inside the gate call the server asks for that
 * one step with CAP_XFER (the caller's capability into our receive slot, or
 * ours into the caller's receive slot) - the rest of the call, there and
 * back, does not enter the kernel. Callers without a gate are served by the
 * task's thread with the kernel's ordinary transfer.
 */
#include "ulib.h"

#define MAX_NAMES 128
static struct { mk_word_t w[4]; mk_cptr_t cap; } names[MAX_NAMES];
static int nnames;
static mk_cptr_t recv;

static int find(const mk_word_t w[4])
{
    for (int i = 0; i < nnames; i++)
        if (names[i].w[0] == w[0] && names[i].w[1] == w[1] && names[i].w[2] == w[2] && names[i].w[3] == w[3]) return i;
    return -1;
}

static mk_word_t cap_xfer(mk_cptr_t slot, mk_word_t from_caller)
{
    struct mk_msg m = { 0 };
    m.mr[0] = from_caller;
    return mk_sys_cap_xfer(slot, &m);
}

static mk_word_t names_handle(struct mk_msg *m, bool gate)
{
    mk_word_t label = MK_MSGINFO_LABEL(m->info), e = MK_ERR_OK, caps = 0;
    int i = find(m->mr);
    if (label == MK_NAMES_REGISTER) {
        if (MK_MSGINFO_CAPS(m->info) != 1 || !recv) e = MK_ERR_INVALID_CAP;
        else if (gate && cap_xfer(recv, 1)) e = MK_ERR_INVALID_CAP;
        if (e) { /* nothing registered */ }
        else if (i >= 0) { slot_free(names[i].cap); names[i].cap = recv; recv = slot_alloc(); }
        else if (nnames == MAX_NAMES) e = MK_ERR_NO_SPACE;
        else {
            for (int k = 0; k < 4; k++) names[nnames].w[k] = m->mr[k];
            names[nnames++].cap = recv;
            recv = slot_alloc();
        }
    } else if (label == MK_NAMES_LOOKUP) {
        if (i < 0) e = MK_ERR_NOT_FOUND;
        else if (!gate) { set_cap_send(names[i].cap); caps = 1; }
        else if (!cap_xfer(names[i].cap, 0)) caps = 1;
        else e = MK_ERR_INVALID_CAP;
    } else {
        e = MK_ERR_ILLEGAL_OP;
    }
    m->info = MK_MSGINFO_MAKE(0, caps, e);
    return MK_ERR_OK;
}

static mk_word_t names_gate(struct mk_msg *m) { return names_handle(m, true); }

int main(struct mk_startup *su)
{
    (void)su;
    recv = slot_alloc();
    cs_gate_serve(MK_SLOT_ENDPOINT, names_gate);
    task_ready();
    struct mk_msg m = { 0 };
    set_recv_slot(recv);
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        cs_lock();
        names_handle(&m, false);
        mk_cptr_t r = recv;
        cs_unlock();
        set_recv_slot(r);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
