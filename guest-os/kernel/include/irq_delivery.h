/* Internal interface: delivery of a claimed device interrupt to user space. */
#ifndef IRQ_DELIVERY_H
#define IRQ_DELIVERY_H
#include "kernel.h"
void irq_deliver(struct notification *n, word_t badge);
#endif
