/* Codesign: exceptions and interrupts from user mode (see entry.S). */
#include "kernel.h"
#include "cs.h"

extern char trap_entry[];

void trap_init(void)
{
    csr_write(stvec, (word_t)trap_entry);
    csr_write(sscratch, 0);
    csr_clear(sstatus, SSTATUS_SIE | SSTATUS_SPP | SSTATUS_SPIE);
    csr_write(scounteren, 7);
}

static NORETURN void kernel_trap(word_t scause)
{
    kprintf("\n[kernel] trap in kernel: scause=%lx sepc=%lx stval=%lx\n",
            scause, csr_read(sepc), csr_read(stval));
    panic("kernel trap");
}

/* a trap of the current thread (slot 0); its context is in cur's image */
void c_handle_trap(struct tcb *cur, word_t scause) NORETURN;
void c_handle_trap(struct tcb *cur, word_t scause)
{
    if (unlikely(csr_read(sstatus) & SSTATUS_SPP)) kernel_trap(scause);
    cs_entry_sync(cur);             /* its domain; the windows its call chain holds */
    if (scause & CAUSE_INTR) {
        word_t irq = scause & ~CAUSE_INTR;
        if (irq == IRQ_S_TIMER) timer_tick();
        else if (irq == IRQ_S_EXT) irq_handle();
        kernel_exit();
    }
    cs_exception(cur, scause, csr_read(stval));
    kernel_exit();
}

/* a trap in the idle context (slot 1) or a user-interrupt handler context */
void c_special_trap(word_t slot, word_t scause) NORETURN;
void c_special_trap(word_t slot, word_t scause)
{
    if (unlikely(csr_read(sstatus) & SSTATUS_SPP)) kernel_trap(scause);
    if (scause & CAUSE_INTR) {
        word_t irq = scause & ~CAUSE_INTR;
        if (irq == IRQ_S_TIMER) timer_tick();
        else if (irq == IRQ_S_EXT) irq_handle();
        if (slot != CS_SLOT_IDLE) cs_resume_slot(slot); /* a handler runs to its uiret */
        kernel_exit();
    }
    if (slot == CS_SLOT_IDLE) kernel_exit();          /* the idle context's ecall */
    cs_handler_fault(slot, scause, csr_read(stval));
}

void c_kernel_trap(void) NORETURN;
void c_kernel_trap(void)
{
    kernel_trap(csr_read(scause));
}
