/*
 * Entry of the console's user-interrupt context (Xuirq). A delivery starts
 * here in U-mode, in this address space, with the registers this context had
 * at its last uiret: set the stack, run the handler, return to the
 * interrupted context with uiret (which saves this context with pc = the
 * j below, so a later delivery - which always starts at this entry - finds
 * a consistent context).
 */
    .section .text
    .align 2
    .globl cs_console_irq_entry
cs_console_irq_entry:
    la sp, cs_irq_stack + 4096
    call console_irq
    .insn r 0x0b, 4, 1, x0, x0, x0      /* uiret */
    j cs_console_irq_entry
