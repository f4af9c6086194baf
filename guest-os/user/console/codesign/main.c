/*
 * Console driver for the NS16550A UART, codesign build (see ../main.c).
 *
 *  - The UART interrupt goes straight to this task's interrupt context
 *    (Xuirq, bound with UIRQ_BIND to PLIC source 10): the hart switches from
 *    whatever user context runs to console_irq() below, without the kernel,
 *    and back with uiret. The handler reads the counter first (the irq
 *    workload's "driver running" time), drains input, moves bytes from the
 *    ring into the FIFO and acknowledges the source (uiack: PLIC completion).
 *  - Writers (WRITE, FLUSH, PROBE; through a call gate, or the task's own
 *    thread for callers without one) append to the ring and move bytes into
 *    the FIFO while the transmitter is empty, as in stock; the handler can
 *    interrupt a writer anywhere (it runs atomically with respect to writers
 *    on this single hart), so while a writer is moving bytes the handler
 *    leaves the ring alone and only notes that it came (the writer then
 *    kicks again). Waiting (ring full, FLUSH, PROBE) spins in user mode,
 *    where a pending user interrupt is delivered at the next instruction,
 *    and backs off to the kernel for a tick if the device stays quiet.
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
static volatile unsigned long head, tail; /* head: next to send (handler), tail: next free (writers) */
static volatile u64 last_wake, irq_count;
static mk_word_t binding;                  /* Xuirq binding index (for uiack) */
u8 cs_irq_stack[4096] __attribute__((aligned(16))); /* the interrupt context's stack */
void cs_console_irq_entry(void);           /* irq.S */

static volatile bool kicking, kick_missed;  /* a writer is in kick(); the handler came meanwhile */

static unsigned long ring_used(void) { return tail - head; }

/* move bytes from the ring into the FIFO while the transmitter is empty */
static void kick_bytes(void)
{
    while (ring_used() && (UART[LSR] & LSR_THRE)) {
        for (int i = 0; i < FIFO_SIZE && ring_used(); i++) UART[THR] = (u8)ring[head++ % RING];
    }
    UART[IER] = ring_used() ? (IER_RDA | IER_THRE) : IER_RDA;
}

/* writers' kick: the handler does not touch the ring meanwhile */
static void kick(void)
{
    do {
        kicking = true;
        kick_missed = false;
        __asm__ volatile("" ::: "memory");
        kick_bytes();
        __asm__ volatile("" ::: "memory");
        kicking = false;
    } while (kick_missed);
}

/* the interrupt context: runs with user interrupts off until uiret */
void console_irq(void);
void console_irq(void)
{
    last_wake = rdcycle();
    irq_count++;
    (void)UART[IIR];
    while (UART[LSR] & LSR_DR) (void)UART[RBR]; /* input is discarded */
    if (kicking) kick_missed = true;
    else kick_bytes();
    __asm__ volatile(".insn r 0x0b, 4, 2, x0, %0, x0" :: "r"(binding) : "memory"); /* uiack */
}

/* wait (in user mode: interrupts get delivered) until cond() holds */
static void wait_until(bool (*cond)(mk_word_t), mk_word_t arg)
{
    for (unsigned spins = 0; !cond(arg); spins++) {
        if (spins >= 256) {
            struct mk_msg b = { 0 };
            mk_sys_backoff(0, &b);
            spins = 0;
        }
    }
}
static bool ring_has_room(mk_word_t n) { return RING - ring_used() >= n; }
static bool ring_empty(mk_word_t unused) { (void)unused; return ring_used() == 0; }
static bool irq_newer(mk_word_t seen) { return irq_count > seen; }

static void put(const char *s, unsigned long n)
{
    while (n) {
        unsigned long k = RING - ring_used();
        if (!k) { kick(); if (RING == ring_used()) wait_until(ring_has_room, 1); continue; }
        if (k > n) k = n;
        unsigned long t = tail;
        for (unsigned long i = 0; i < k; i++) ring[(t + i) % RING] = s[i];
        __asm__ volatile("" ::: "memory");     /* bytes before the index that publishes them */
        tail = t + k;
        s += k;
        n -= k;
    }
    kick();
}

static mk_word_t console_handle(struct mk_msg *m)
{
    static char buf[MSG_BYTES_MAX];
    mk_word_t label = MK_MSGINFO_LABEL(m->info), e = MK_ERR_OK, nout = 0;
    if (label == MK_CONSOLE_WRITE) {
        unsigned long n = m->mr[0];
        if (n > sizeof(buf) || (n + 7) / 8 + 1 > MK_MSGINFO_LEN(m->info)) e = MK_ERR_INVALID_ARG;
        else { msg_get_bytes(m, 1, buf, n); put(buf, n); }
    } else if (label == MK_CONSOLE_FLUSH) {
        kick();
        wait_until(ring_empty, 0);
    } else if (label == MK_CONSOLE_PROBE) {
        /* wait until an interrupt newer than `seen` was handled */
        if (m->mr[0] != ~0UL) wait_until(irq_newer, m->mr[0]);
        m->mr[0] = last_wake;
        m->mr[1] = irq_count;
        nout = 2;
    } else {
        e = MK_ERR_ILLEGAL_OP;
    }
    m->info = MK_MSGINFO_MAKE(nout, 0, e);
    return MK_ERR_OK;
}

int main(struct mk_startup *su)
{
    (void)su;
    UART[FCR] = 0x07;
    UART[IER] = IER_RDA;
    struct mk_msg b = { 0 };
    b.mr[0] = (mk_word_t)cs_console_irq_entry;
    b.mr[1] = (mk_word_t)(cs_irq_stack + sizeof(cs_irq_stack));
    b.mr[2] = 0;                               /* PLIC source of the IRQ_HANDLER capability */
    if (mk_sys_uirq_bind(MK_SLOT_ARG, &b) == MK_ERR_OK) {
        binding = b.mr[0];
    } else {
        printf("console: no user interrupts\n");
        return 1;
    }
    cs_gate_serve(MK_SLOT_ENDPOINT, console_handle);
    ns_register("console", MK_SLOT_ENDPOINT);
    task_ready();

    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        cs_lock();
        console_handle(&m);
        cs_unlock();
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
