/*
 * Server side of a call gate: the entry pc registered with GATE_SET.
 * gcall arrives here on the caller's thread, in this address space, with
 * a1 = msginfo, a2..a5 = MR0..3 (a0 = gate index) and the caller's sp.
 * Take the task's server lock (busy: return MK_ERR_GATE_BUSY at once), switch
 * to the task's gate stack, run the C handler on a struct mk_msg, reply with
 * a0 = its result and a1..a5 = the message, scrub the temporaries and gret
 * (which restores the caller's sp; the handler preserved s0..s11 by the C
 * calling convention).
 */
#define GATE_STACK 16384

    .section .text
    .align 2
    .globl cs_gate_entry
cs_gate_entry:
    la t0, cs_gate_lock
    li t1, 1
    amoswap.d.aq t1, t1, (t0)
    bnez t1, 2f
    la sp, cs_gate_stack + GATE_STACK
    addi sp, sp, -48
    sd a1, 0(sp)
    sd a2, 8(sp)
    sd a3, 16(sp)
    sd a4, 24(sp)
    sd a5, 32(sp)
    sd zero, 40(sp)
    mv a0, sp
    la t0, cs_gate_handler
    ld t0, 0(t0)
    jalr t0
    ld a1, 0(sp)
    ld a2, 8(sp)
    ld a3, 16(sp)
    ld a4, 24(sp)
    ld a5, 32(sp)
    la t0, cs_gate_lock
    amoswap.d.rl zero, zero, (t0)
1:  li ra, 0
    li t0, 0
    li t1, 0
    li t2, 0
    li t3, 0
    li t4, 0
    li t5, 0
    li t6, 0
    li a6, 0
    li a7, 0
    .insn r 0x0b, 0, 1, x0, x0, x0          /* gret */
2:  li a0, 18                               /* MK_ERR_GATE_BUSY */
    j 1b

    .section .bss
    .align 4
    .globl cs_gate_stack
cs_gate_stack:
    .space GATE_STACK
