/* User start: a0 = startup page. (Re)initialise .data and .bss, run main. */
    .section .text.start, "ax"
    .globl _start
_start:
    mv s0, a0
    la t0, __data_start
    la t1, __data_end
    la t2, __data_load
1:  bgeu t0, t1, 2f
    ld t3, 0(t2)
    sd t3, 0(t0)
    addi t0, t0, 8
    addi t2, t2, 8
    j 1b
2:  la t0, __bss_start
    la t1, __bss_end
3:  bgeu t0, t1, 4f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 3b
4:  mv a0, s0
    call __ulib_start
5:  li a7, 11
    ecall
    j 5b
