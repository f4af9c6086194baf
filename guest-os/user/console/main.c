/*
 * Console driver (user space, interrupt driven) for the NS16550A UART.
 * Clients send WRITE requests; bytes go to a ring buffer drained into the
 * UART FIFO whenever the transmitter is empty. When the ring is full or a
 * FLUSH is pending the driver sleeps on its IRQ notification (THR-empty
 * interrupt) - it never spins. The IRQ notification is bound to the driver
 * thread so a Recv on the endpoint also returns interrupts.
 * PROBE(seen) returns the cycle counter read right after the last interrupt
 * wake-up, once more than `seen` interrupts were handled (seen = ~0: at
 * once) (used by the
 * interrupt latency workload).
 */
#include "ulib.h"

#define UART ((volatile u8 *)MK_UART_VA)
#define RBR 0
#define THR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LSR 5
#define IER_RDA 0x01
#define IER_THRE 0x02
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define FIFO_SIZE 16

#define RING 16384
static char ring[RING];
static unsigned long head, tail; /* head: next to send, tail: next free */
static u64 last_wake, irq_count;

static unsigned long ring_used(void) { return tail - head; }

/* move bytes from the ring into the FIFO while the transmitter is empty */
static void kick(void)
{
    while (ring_used() && (UART[LSR] & LSR_THRE)) {
        for (int i = 0; i < FIFO_SIZE && ring_used(); i++) UART[THR] = (u8)ring[head++ % RING];
    }
    UART[IER] = ring_used() ? (IER_RDA | IER_THRE) : IER_RDA;
}

static void handle_irq(u64 t)
{
    last_wake = t;
    irq_count++;
    (void)UART[IIR];
    while (UART[LSR] & LSR_DR) (void)UART[RBR]; /* input is discarded */
    kick();
    mk_irq_handler_ack(MK_SLOT_ARG);
}

static void wait_irq(void)
{
    sys_wait(MK_SLOT_NTFN, NULL);
    handle_irq(rdcycle());
}

static void put(const char *s, unsigned long n)
{
    while (n) {
        while (ring_used() == RING) { kick(); if (ring_used() == RING) wait_irq(); }
        unsigned long k = RING - ring_used();
        if (k > n) k = n;
        for (unsigned long i = 0; i < k; i++) ring[tail++ % RING] = s[i];
        s += k;
        n -= k;
    }
    kick();
}

int main(struct mk_startup *su)
{
    (void)su;
    UART[FCR] = 0x07;
    UART[IER] = IER_RDA;
    mk_irq_handler_set_ntfn(MK_SLOT_ARG, MK_SLOT_NTFN, 1);
    mk_tcb_bind_ntfn(MK_SLOT_TCB, MK_SLOT_NTFN);
    ns_register("console", MK_SLOT_ENDPOINT);
    task_ready();

    static char buf[MSG_BYTES_MAX];
    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        u64 now = rdcycle();
        mk_word_t label = MK_MSGINFO_LABEL(m.info);
        if (label == MK_LABEL_NOTIFY) {
            handle_irq(now);
            mk_sys_recv(MK_SLOT_ENDPOINT, &m);
            continue;
        }
        mk_word_t e = MK_ERR_OK, nout = 0;
        if (label == MK_CONSOLE_WRITE) {
            unsigned long n = m.mr[0];
            if (n > sizeof(buf) || (n + 7) / 8 + 1 > MK_MSGINFO_LEN(m.info)) e = MK_ERR_INVALID_ARG;
            else { msg_get_bytes(&m, 1, buf, n); put(buf, n); }
        } else if (label == MK_CONSOLE_FLUSH) {
            kick();
            while (ring_used()) wait_irq();
        } else if (label == MK_CONSOLE_PROBE) {
            /* wait (sleeping) until an interrupt newer than `seen` arrived */
            while (m.mr[0] != ~0UL && irq_count <= m.mr[0]) wait_irq();
            m.mr[0] = last_wake;
            m.mr[1] = irq_count;
            nout = 2;
        } else {
            e = MK_ERR_ILLEGAL_OP;
        }
        m.info = MK_MSGINFO_MAKE(nout, 0, e);
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
