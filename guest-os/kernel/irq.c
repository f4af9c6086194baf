/* PLIC interrupts forwarded to user-space drivers through notifications. */
#include "kernel.h"
#include "irq_delivery.h"

#define PLIC_BASE 0x0c000000UL
#define PLIC_PRIO(i) ((volatile u32 *)(PLIC_BASE + 4 * (i)))
#define PLIC_CTX 1 /* hart 0, S-mode */
#define PLIC_ENABLE(i) ((volatile u32 *)(PLIC_BASE + 0x2000 + 0x80 * PLIC_CTX + 4 * ((i) / 32)))
#define PLIC_THRESHOLD ((volatile u32 *)(PLIC_BASE + 0x200000 + 0x1000 * PLIC_CTX))
#define PLIC_CLAIM ((volatile u32 *)(PLIC_BASE + 0x200004 + 0x1000 * PLIC_CTX))

static struct {
    struct notification *ntfn;
    word_t badge;
    bool in_service;  /* claimed, not yet acknowledged by the driver */
} irqs[MK_MAX_IRQ];

void irq_init(void)
{
    for (int i = 1; i < (int)MK_MAX_IRQ; i++) *PLIC_PRIO(i) = 0;
    *PLIC_THRESHOLD = 0;
}

int irq_set_ntfn(word_t irq, struct notification *n, word_t badge)
{
    if (irq == 0 || irq >= MK_MAX_IRQ) return MK_ERR_RANGE;
    irqs[irq].ntfn = n;
    irqs[irq].badge = badge;
    *PLIC_PRIO(irq) = n ? 1 : 0;
    if (n) *PLIC_ENABLE(irq) |= 1U << (irq % 32);
    else *PLIC_ENABLE(irq) &= ~(1U << (irq % 32));
    return 0;
}

void irq_handle(void)
{
    u32 id;
    while ((id = *PLIC_CLAIM) != 0) {
        if (id < MK_MAX_IRQ && irqs[id].ntfn) {
            irqs[id].in_service = true;   /* completed when the driver acks */
            irq_deliver(irqs[id].ntfn, irqs[id].badge);
        } else {
            *PLIC_CLAIM = id;             /* spurious / unowned */
        }
    }
}

int irq_ack(word_t irq)
{
    if (irq == 0 || irq >= MK_MAX_IRQ) return MK_ERR_RANGE;
    if (irqs[irq].in_service) {
        irqs[irq].in_service = false;
        *PLIC_CLAIM = (u32)irq;
    }
    return 0;
}
