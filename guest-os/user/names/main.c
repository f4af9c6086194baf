/* Name service: maps names (<= 31 chars) to endpoint capabilities. */
#include "ulib.h"

#define MAX_NAMES 128
static struct { mk_word_t w[4]; mk_cptr_t cap; } names[MAX_NAMES];
static int nnames;

static int find(const mk_word_t w[4])
{
    for (int i = 0; i < nnames; i++)
        if (names[i].w[0] == w[0] && names[i].w[1] == w[1] && names[i].w[2] == w[2] && names[i].w[3] == w[3]) return i;
    return -1;
}

int main(struct mk_startup *su)
{
    (void)su;
    mk_cptr_t recv = slot_alloc();
    task_ready();
    struct mk_msg m = { 0 };
    set_recv_slot(recv);
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        mk_word_t label = MK_MSGINFO_LABEL(m.info), e = MK_ERR_OK, caps = 0;
        int i = find(m.mr);
        if (label == MK_NAMES_REGISTER) {
            if (MK_MSGINFO_CAPS(m.info) != 1) e = MK_ERR_INVALID_CAP;
            else if (i >= 0) { slot_free(names[i].cap); names[i].cap = recv; recv = slot_alloc(); }
            else if (nnames == MAX_NAMES || !recv) e = MK_ERR_NO_SPACE;
            else {
                for (int k = 0; k < 4; k++) names[nnames].w[k] = m.mr[k];
                names[nnames++].cap = recv;
                recv = slot_alloc();
            }
        } else if (label == MK_NAMES_LOOKUP) {
            if (i < 0) e = MK_ERR_NOT_FOUND;
            else { set_cap_send(names[i].cap); caps = 1; }
        } else {
            e = MK_ERR_ILLEGAL_OP;
        }
        m.info = MK_MSGINFO_MAKE(0, caps, e);
        set_recv_slot(recv);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
