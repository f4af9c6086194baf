/*
 * The restart workload's injected driver bug, pinned (user.ld .text.pin at
 * 0x40000080) to the address of the stock blk's faulting store, so that the
 * monitor's line ("... store-fault at pc=40000146 addr=0: restarting") is
 * the same in both builds.
 */
    .option push
    .option norvc
    .section .text.pin, "ax"
    .org 0x146 - 0x80 - 4
    .globl cs_blk_crash
cs_blk_crash:                   /* 0x40000142 */
    li t0, 1
    sd t0, 0(zero)              /* 0x40000146: store to address 0 */
    ret
    .option pop
