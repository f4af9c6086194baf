/*
 * S-mode trap entry/exit. sscratch holds the current thread's TCB (whose
 * register area is at offset 0) while user code runs, and 0 while the kernel
 * runs (the kernel runs with interrupts disabled and never takes traps).
 */
#define REG(n) (8 * (n))

    .section .text
    .align 4
    .globl trap_entry
trap_entry:
    csrrw sp, sscratch, sp
    beqz sp, kernel_trap
    sd x1, REG(1)(sp)
    sd x3, REG(3)(sp)
    sd x4, REG(4)(sp)
    sd x5, REG(5)(sp)
    sd x6, REG(6)(sp)
    sd x7, REG(7)(sp)
    sd x8, REG(8)(sp)
    sd x9, REG(9)(sp)
    sd x10, REG(10)(sp)
    sd x11, REG(11)(sp)
    sd x12, REG(12)(sp)
    sd x13, REG(13)(sp)
    sd x14, REG(14)(sp)
    sd x15, REG(15)(sp)
    sd x16, REG(16)(sp)
    sd x17, REG(17)(sp)
    sd x18, REG(18)(sp)
    sd x19, REG(19)(sp)
    sd x20, REG(20)(sp)
    sd x21, REG(21)(sp)
    sd x22, REG(22)(sp)
    sd x23, REG(23)(sp)
    sd x24, REG(24)(sp)
    sd x25, REG(25)(sp)
    sd x26, REG(26)(sp)
    sd x27, REG(27)(sp)
    sd x28, REG(28)(sp)
    sd x29, REG(29)(sp)
    sd x30, REG(30)(sp)
    sd x31, REG(31)(sp)
    csrr t0, sscratch
    sd t0, REG(2)(sp)
    csrr t1, sepc
    sd t1, REG(0)(sp)
    csrw sscratch, zero
    mv a6, sp
    la sp, kernel_stack_top
    csrr t0, scause
    li t1, 8
    bne t0, t1, 1f
    /* syscall: a0..a5 = user arguments, a6 = current TCB, a7 = number */
    tail c_handle_syscall
1:  mv a0, a6
    mv a1, t0
    tail c_handle_trap

kernel_trap:
    csrrw sp, sscratch, sp
    tail c_kernel_trap

    /* restore_user(struct tcb *t): return to user mode in thread t */
    .globl restore_user
restore_user:
    csrw sscratch, a0
    ld t0, REG(0)(a0)
    csrw sepc, t0
    ld x1, REG(1)(a0)
    ld x2, REG(2)(a0)
    ld x3, REG(3)(a0)
    ld x4, REG(4)(a0)
    ld x5, REG(5)(a0)
    ld x6, REG(6)(a0)
    ld x7, REG(7)(a0)
    ld x8, REG(8)(a0)
    ld x9, REG(9)(a0)
    ld x11, REG(11)(a0)
    ld x12, REG(12)(a0)
    ld x13, REG(13)(a0)
    ld x14, REG(14)(a0)
    ld x15, REG(15)(a0)
    ld x16, REG(16)(a0)
    ld x17, REG(17)(a0)
    ld x18, REG(18)(a0)
    ld x19, REG(19)(a0)
    ld x20, REG(20)(a0)
    ld x21, REG(21)(a0)
    ld x22, REG(22)(a0)
    ld x23, REG(23)(a0)
    ld x24, REG(24)(a0)
    ld x25, REG(25)(a0)
    ld x26, REG(26)(a0)
    ld x27, REG(27)(a0)
    ld x28, REG(28)(a0)
    ld x29, REG(29)(a0)
    ld x30, REG(30)(a0)
    ld x31, REG(31)(a0)
    ld x10, REG(10)(a0)
    sret

    .section .bss
    .align 12
    .globl kernel_stack_top
kernel_stack:
    .space 16384
kernel_stack_top:
