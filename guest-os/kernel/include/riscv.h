#ifndef RISCV_H
#define RISCV_H
#include "types.h"
#define csr_read(csr) ({ word_t __v; __asm__ volatile("csrr %0, " #csr : "=r"(__v)); __v; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "rK"((word_t)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "rK"((word_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "rK"((word_t)(v)) : "memory")

#define SSTATUS_SIE  (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP  (1UL << 8)
#define SSTATUS_SUM  (1UL << 18)
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)
#define SIP_STIP (1UL << 5)
#define SIP_SEIP (1UL << 9)

#define CAUSE_INTR (1UL << 63)
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9
#define EXC_INST_MISALIGNED 0
#define EXC_INST_ACCESS 1
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_INST_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15

static inline void sfence_vma_all(void) { __asm__ volatile("sfence.vma zero, zero" ::: "memory"); }
static inline void sfence_vma(word_t va, word_t asid) { __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory"); }
static inline void sfence_vma_asid(word_t asid) { __asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory"); }
static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }
static inline word_t rdtime(void) { word_t v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
static inline word_t rdcycle(void) { word_t v; __asm__ volatile("rdcycle %0" : "=r"(v)); return v; }

/* "SBI-less" call into the tiny M-mode layer (see mstart.S) */
#define MCALL_SET_TIMER 0
static inline void mcall_set_timer(word_t when)
{
    register word_t a0 __asm__("a0") = when;
    register word_t a7 __asm__("a7") = MCALL_SET_TIMER;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}
#endif
