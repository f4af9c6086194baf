/* Exceptions and interrupts from user mode. */
#include "kernel.h"

extern char trap_entry[];

void trap_init(void)
{
    csr_write(stvec, (word_t)trap_entry);
    csr_write(sscratch, 0);
    csr_clear(sstatus, SSTATUS_SIE | SSTATUS_SPP | SSTATUS_SPIE);
    csr_write(scounteren, 7);
}

void c_handle_trap(struct tcb *cur, word_t scause) NORETURN;
void c_handle_trap(struct tcb *cur, word_t scause)
{
    if (scause & CAUSE_INTR) {
        word_t irq = scause & ~CAUSE_INTR;
        if (irq == IRQ_S_TIMER) timer_tick();
        else if (irq == IRQ_S_EXT) irq_handle();
    } else {
        handle_fault(cur, scause, cur->regs[REG_PC], csr_read(stval), MK_LABEL_FAULT);
    }
    kernel_exit();
}

void c_kernel_trap(void) NORETURN;
void c_kernel_trap(void)
{
    kprintf("\n[kernel] trap in kernel: scause=%lx sepc=%lx stval=%lx\n",
            csr_read(scause), csr_read(sepc), csr_read(stval));
    panic("kernel trap");
}
