/*
 * Fault-injection sites of the fault workload, pinned (user.ld .text.pin at
 * 0x40000080) to the addresses the stock bclient has them at, so that the
 * monitor's lines ("... at pc=400000d8 addr=8", "... at pc=40000122 addr=0")
 * are the same in both builds.
 */
    .option push
    .option norvc
    .section .text.pin, "ax"
    .org 0xd8 - 0x80 - 8
    .globl cs_crash_null
cs_crash_null:                  /* 0x400000d0 */
    li t0, 1
    nop
    sd t0, 8(zero)              /* 0x400000d8: store to address 8 */
    ret
    .org 0x122 - 0x80
    .globl cs_crash_ill
cs_crash_ill:                   /* 0x40000122 */
    .word 0                     /* illegal instruction */
    ret
    .option pop
