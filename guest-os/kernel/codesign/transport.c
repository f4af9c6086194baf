/*
 * Codesign: kernel-path message transfer, bulk copies, capability transfer
 * and IRQ delivery. These remain the slow paths: gate calls (Xgate) move
 * message registers without the kernel, long messages through the caller's
 * IPC buffer window (Xline window 0, handed to the callee with the call),
 * and drivers bound with UIRQ_BIND get their interrupts without the kernel
 * (Xuirq). Capability transfer is the kernel's, as in stock; a slot that
 * changes drops its CLB entries (the gate index is the slot number).
 */
#include "ipc_transport.h"
#include "bulk_transfer.h"
#include "cap_transfer.h"
#include "irq_delivery.h"

void bulk_copy_words(word_t *dst, const word_t *src, word_t n)
{
    while (n >= 4) {
        word_t a = src[0], b = src[1], c = src[2], d = src[3];
        dst[0] = a; dst[1] = b; dst[2] = c; dst[3] = d;
        dst += 4; src += 4; n -= 4;
    }
    while (n--) *dst++ = *src++;
}

void bulk_zero_page(void *page)
{
    word_t *p = page;
    for (word_t i = 0; i < PAGE_SIZE / 8; i += 4) { p[i] = 0; p[i + 1] = 0; p[i + 2] = 0; p[i + 3] = 0; }
}

word_t cap_transfer(struct tcb *src, struct tcb *dst)
{
    if (!src->ipcbuf || !dst->ipcbuf) return 0;
    struct cap *c = cap_lookup(src, src->ipcbuf[MK_IPCBUF_CAP_SEND]);
    word_t slot = dst->ipcbuf[MK_IPCBUF_RECV_SLOT];
    struct cap *d = cap_lookup(dst, slot);
    if (!c || !d || c->type == MK_OBJ_NULL || d == &dst->cspace->slots[0]) return 0;
    *d = *c;
    cs_cap_slot_changed(slot);
    return 1;
}

word_t transport_msg(struct tcb *src, struct tcb *dst, word_t info, word_t badge, bool grant)
{
    word_t len = MK_MSGINFO_LEN(info), caps = 0;
    const word_t *mrs = src->fault_pending ? src->fault_mr : &src->regs[REG_A2];
    if (len > MK_MSG_MAX_WORDS) len = MK_MSG_MAX_WORDS;
    if (len > MK_MSG_REG_WORDS) {
        if (src->ipcbuf && dst->ipcbuf && !src->fault_pending)
            bulk_copy_words(dst->ipcbuf + MK_MSG_REG_WORDS, src->ipcbuf + MK_MSG_REG_WORDS, len - MK_MSG_REG_WORDS);
        else
            len = MK_MSG_REG_WORDS;
    }
    if (MK_MSGINFO_CAPS(info) && grant && !src->fault_pending) caps = cap_transfer(src, dst);
    word_t out = MK_MSGINFO_MAKE(len, caps, MK_MSGINFO_LABEL(info));
    transport_regs(dst, out, badge, mrs[0], mrs[1], mrs[2], mrs[3]);
    return out;
}

void irq_deliver(struct notification *n, word_t badge)
{
    ntfn_signal(n, badge);
}
