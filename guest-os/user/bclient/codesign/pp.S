/* Entry of the PINGPONG handler context (Xuirq QUEUE binding, see main.c). */
    .section .text
    .align 2
    .globl cs_pingpong_entry
cs_pingpong_entry:
    la sp, cs_pp_stack + 2048
    call pingpong_irq
    .insn r 0x0b, 4, 1, x0, x0, x0      /* uiret */
    j cs_pingpong_entry
