/*
 * paging.S - Sv39 address translation.
 *
 * Address space (built at run time by M-mode code):
 *   root[1]  VA 0x4000_0000  1 GiB  U|RWX|A|D -> PA 0x8000_0000: U-mode alias
 *            of the test image (U code runs at PA - 0x4000_0000)
 *   root[2]  VA 0x8000_0000  1 GiB  RWX|A|D (S) -> identity: S code and data
 *   root[3]  VA 0xc000_0000  1 GiB  R|A -> PA 0x8000_0000: read-only alias
 *   root[4]  VA 0x1_0000_0000 -> l1
 *     l1[0]  -> l0: 4 KiB pages at VBASE = 0x1_0000_0000 (see PAGE_* below)
 *     l1[1]  VA VBASE + 2 MiB  2 MiB  R|W|A|D -> PA 0x8000_0000
 *     l1[2]  VA VBASE + 4 MiB  2 MiB  misaligned superpage (PPN[0] != 0)
 *   root[5]  VA 0x1_4000_0000  1 GiB  misaligned superpage (PPN[1] != 0)
 * and a second root (ASID test) mapping PAGE_ASID to another frame.
 *
 * Checked: loads, stores and fetches through 4 KiB, 2 MiB and 1 GiB pages;
 * A and D set by hardware (QEMU, and mkjit, update them instead of faulting);
 * load/store/instruction page faults with mtval = the faulting virtual address
 * for an invalid PTE, a missing R/W/X permission, a U page from S without SUM
 * (and never executable from S), an S page from U, MXR making an X-only page
 * readable, misaligned superpages, non-canonical addresses, the reserved
 * W-without-R encoding and a non-leaf PTE at level 0; sfence.vma (global and
 * by address) making PTE changes visible; MPRV with MPP = S and MPP = U
 * translating M-mode loads and stores; ASIDs in satp; satp WARL behaviour.
 * All traps are taken in M-mode (nothing is delegated).
 */
#include "test.h"

#define VBASE        0x100000000
#define U_ALIAS      0x40000000      /* U VA = PA - U_ALIAS */
#define RO_ALIAS     0xc0000000      /* read-only 1 GiB alias of RAM */
#define SUPER_2M     (VBASE + 0x200000)
#define BAD_2M       (VBASE + 0x400000)
#define BAD_1G       0x140000000
#define NONCANON     0x4000000000    /* bit 38 set, bits 63:39 clear */

/* 4 KiB pages in l0 (index -> VA = VBASE + index * 4096) */
#define PAGE_RW      0   /* R|W|A|D -> page_a */
#define PAGE_INVALID 1   /* R|W|X|A|D without V */
#define PAGE_RO      2   /* R|A -> page_a */
#define PAGE_XO      3   /* X|A -> page_a */
#define PAGE_WO      4   /* W|A|D: reserved encoding */
#define PAGE_USER    5   /* U|R|W|A|D -> page_a */
#define PAGE_AD      6   /* R|W, A = D = 0 -> page_b */
#define PAGE_D       7   /* R|W|A, D = 0 -> page_b */
#define PAGE_CODE    8   /* X|A -> code_page */
#define PAGE_UCODE   9   /* U|X|A -> code_page */
#define PAGE_SWAP    10  /* R|W|A|D -> page_a, later page_b */
#define PAGE_NONLEAF 11  /* V only: a pointer at level 0 */
#define PAGE_ASID    12  /* R|W|A|D -> page_a; page_b in the second root */
#define VA(page)     (VBASE + (page) * 4096)

#define RW_AD   (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

/* table[index] = PTE(address of sym, flags); clobbers t0, t1 */
.macro MAP table, index, sym, flags
  la t0, \sym
  srli t0, t0, 12
  slli t0, t0, 10
  li t1, \flags
  or t0, t0, t1
  la t1, \table
  sd t0, (8 * (\index))(t1)
.endm

/* table[index] = PTE(constant pa, flags); clobbers t0, t1 */
.macro MAP_PA table, index, pa, flags
  li t0, (((\pa) >> 12) << 10) | (\flags)
  la t1, \table
  sd t0, (8 * (\index))(t1)
.endm

/* a0 = table[index] */
.macro READ_PTE table, index
  la t0, \table
  ld a0, (8 * (\index))(t0)
.endm

/* Enters mode prv at the U alias of label target; clobbers t0, t1. */
.macro MRET_TO_ALIAS prv, target
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (\prv) << 11
  csrs mstatus, t0
  la t0, \target
  li t1, U_ALIAS
  sub t0, t0, t1
  csrw mepc, t0
  mret
.endm

/* Check n: `insn` run in S-mode completes. */
.macro S_OK n, insn:vararg
  EXPECT_TRAP 1003f
  MRET_TO PRV_S, 1002f
1002:
  \insn
  ecall
1003:
  CHECK_CSR \n, mcause, CAUSE_SUPERVISOR_ECALL
.endm

/* Checks n..n+2: `insn` run in S-mode faults with mcause = cause, mepc at
 * it, mtval = the value of register addr. */
.macro S_FAULT n, cause, addr, insn:vararg
  EXPECT_TRAP 1003f
  MRET_TO PRV_S, 1002f
1002:
  \insn
  TESTNUM \n
  ecall
1003:
  CHECK_CSR \n, mcause, \cause
  CHECK_CSR_ADDR (\n + 1), mepc, 1002b
  csrr t5, mtval
  CHECK_REG (\n + 2), t5, \addr
.endm

/* Checks n..n+2: jumping to register addr from S-mode raises an instruction
 * page fault with mepc = mtval = addr. */
.macro S_FETCH_FAULT n, addr
  EXPECT_TRAP 1003f
  MRET_TO PRV_S, 1002f
1002:
  jalr ra, 0(\addr)
  TESTNUM \n
  ecall
1003:
  CHECK_CSR \n, mcause, CAUSE_FETCH_PAGE_FAULT
  csrr t5, mepc
  CHECK_REG (\n + 1), t5, \addr
  csrr t5, mtval
  CHECK_REG (\n + 2), t5, \addr
.endm

/* The same from U-mode. */
.macro U_FETCH_FAULT n, addr
  EXPECT_TRAP 1003f
  MRET_TO_ALIAS PRV_U, 1002f
1002:
  jalr ra, 0(\addr)
  TESTNUM \n
  ecall
1003:
  CHECK_CSR \n, mcause, CAUSE_FETCH_PAGE_FAULT
  csrr t5, mepc
  CHECK_REG (\n + 1), t5, \addr
  csrr t5, mtval
  CHECK_REG (\n + 2), t5, \addr
.endm

/* Check n: `insn` run in U-mode (at the U alias) completes. */
.macro U_OK n, insn:vararg
  EXPECT_TRAP 1003f
  MRET_TO_ALIAS PRV_U, 1002f
1002:
  \insn
  ecall
1003:
  CHECK_CSR \n, mcause, CAUSE_USER_ECALL
.endm

/* Checks n..n+2: `insn` run in U-mode faults with mcause = cause, mepc at
 * it (U alias), mtval = the value of register addr. */
.macro U_FAULT n, cause, addr, insn:vararg
  EXPECT_TRAP 1003f
  MRET_TO_ALIAS PRV_U, 1002f
1002:
  \insn
  TESTNUM \n
  ecall
1003:
  CHECK_CSR \n, mcause, \cause
  la t0, 1002b
  li t1, U_ALIAS
  sub t0, t0, t1
  csrr t5, mepc
  CHECK_REG (\n + 1), t5, t0
  csrr t5, mtval
  CHECK_REG (\n + 2), t5, \addr
.endm

  .text
test_main:
  /* ---- satp: Sv39 is supported, a reserved MODE write is ignored ---- */
  la t0, pt_root
  srli t0, t0, 12
  li t1, SATP_MODE_SV39
  or s9, t0, t1                  /* s9 = satp for pt_root, ASID 0 */
  csrw satp, s9
  csrr a0, satp
  CHECK_REG 1, a0, s9
  li t0, (1 << 60) | 0x1234      /* MODE 1 is reserved */
  csrw satp, t0
  csrr a0, satp
  CHECK_REG 2, a0, s9
  csrw satp, zero
  CHECK_CSR 3, satp, 0

  /* ---- build the page tables ---- */
  la t0, page_a
  li t1, 0x1111111111111111
  sd t1, 0(t0)
  li t1, 0xaaaaaaaaaaaaaaaa
  sd t1, 8(t0)
  la t0, page_b
  li t1, 0x2222222222222222
  sd t1, 0(t0)
  li t1, 0xbbbbbbbbbbbbbbbb
  sd t1, 8(t0)

  MAP_PA pt_root, 1, RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D
  MAP_PA pt_root, 2, RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  MAP_PA pt_root, 3, RAM_BASE, PTE_V | PTE_R | PTE_A
  MAP pt_root, 4, pt_l1, PTE_V
  MAP_PA pt_root, 5, RAM_BASE + 0x200000, RW_AD
  MAP pt_l1, 0, pt_l0, PTE_V
  MAP_PA pt_l1, 1, RAM_BASE, RW_AD
  MAP_PA pt_l1, 2, RAM_BASE + 0x1000, RW_AD
  MAP pt_l0, PAGE_RW, page_a, RW_AD
  MAP pt_l0, PAGE_INVALID, page_a, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  MAP pt_l0, PAGE_RO, page_a, PTE_V | PTE_R | PTE_A
  MAP pt_l0, PAGE_XO, page_a, PTE_V | PTE_X | PTE_A
  MAP pt_l0, PAGE_WO, page_a, PTE_V | PTE_W | PTE_A | PTE_D
  MAP pt_l0, PAGE_USER, page_a, RW_AD | PTE_U
  MAP pt_l0, PAGE_AD, page_b, PTE_V | PTE_R | PTE_W
  MAP pt_l0, PAGE_D, page_b, PTE_V | PTE_R | PTE_W | PTE_A
  MAP pt_l0, PAGE_CODE, code_page, PTE_V | PTE_X | PTE_A
  MAP pt_l0, PAGE_UCODE, code_page, PTE_V | PTE_X | PTE_U | PTE_A
  MAP pt_l0, PAGE_SWAP, page_a, RW_AD
  MAP pt_l0, PAGE_NONLEAF, pt_l0, PTE_V
  MAP pt_l0, PAGE_ASID, page_a, RW_AD
  /* the second root: identity for code, PAGE_ASID -> page_b */
  MAP_PA pt_root_b, 2, RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  MAP pt_root_b, 4, pt_l1_b, PTE_V
  MAP pt_l1_b, 0, pt_l0_b, PTE_V
  MAP pt_l0_b, PAGE_ASID, page_b, RW_AD

  csrw satp, s9
  sfence.vma

  /* ================= successful translations ================= */
  /* 4 KiB page: load and store */
  li a1, VA(PAGE_RW)
  li a0, 0
  S_OK 4, ld a0, 0(a1)
  CHECK 5, a0, 0x1111111111111111
  li a2, 0x3333333333333333
  S_OK 6, sd a2, 8(a1)
  la t0, page_a
  ld a0, 8(t0)
  CHECK 7, a0, 0x3333333333333333
  li t1, 0xaaaaaaaaaaaaaaaa
  sd t1, 8(t0)
  /* code and data run through the identity 1 GiB page */
  la a1, page_b
  S_OK 8, ld a0, 0(a1)
  CHECK 9, a0, 0x2222222222222222
  /* the read-only 1 GiB alias */
  la a1, page_b
  li t0, RO_ALIAS - RAM_BASE
  add a1, a1, t0
  S_OK 10, ld a0, 8(a1)
  CHECK 11, a0, 0xbbbbbbbbbbbbbbbb
  S_FAULT 12, CAUSE_STORE_PAGE_FAULT, a1, sd zero, 0(a1)
  /* 2 MiB superpage */
  la a1, page_a
  li t0, SUPER_2M - RAM_BASE
  add a1, a1, t0
  S_OK 15, ld a0, 0(a1)
  CHECK 16, a0, 0x1111111111111111
  li a2, 0x4444
  S_OK 17, sw a2, 12(a1)
  la t0, page_a
  lwu a0, 12(t0)
  CHECK 18, a0, 0x4444
  li t1, 0xaaaaaaaaaaaaaaaa
  sd t1, 8(t0)
  /* read-only page: loads work */
  li a1, VA(PAGE_RO)
  S_OK 19, ld a0, 0(a1)
  CHECK 20, a0, 0x1111111111111111
  /* execute-only page: fetches work (call a function there) */
  li a1, VA(PAGE_CODE)
  li a0, 0
  S_OK 21, jalr ra, 0(a1)
  CHECK 22, a0, 0x5a5a

  /* ================= page faults ================= */
  /* invalid PTE */
  li a1, VA(PAGE_INVALID) + 0x10
  S_FAULT 23, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  S_FAULT 26, CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  S_FETCH_FAULT 29, a1
  /* missing W */
  li a1, VA(PAGE_RO) + 8
  S_FAULT 32, CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  S_FAULT 35, CAUSE_STORE_PAGE_FAULT, a1, amoadd.d a0, a0, (a1)
  /* missing R (execute-only page) */
  li a1, VA(PAGE_XO) + 0x20
  S_FAULT 38, CAUSE_LOAD_PAGE_FAULT, a1, lw a0, 0(a1)
  /* missing X */
  li a1, VA(PAGE_RW)
  S_FETCH_FAULT 41, a1
  /* W without R is reserved: every access faults */
  li a1, VA(PAGE_WO)
  S_FAULT 44, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  S_FAULT 47, CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  /* non-leaf PTE at level 0 */
  li a1, VA(PAGE_NONLEAF) + 4
  S_FAULT 50, CAUSE_LOAD_PAGE_FAULT, a1, lw a0, 0(a1)
  /* misaligned superpages */
  li a1, BAD_2M + 0x100
  S_FAULT 53, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  li a1, BAD_1G + 0x1008
  S_FAULT 56, CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  /* non-canonical addresses (bits 63:39 != bit 38) */
  li a1, NONCANON
  S_FAULT 59, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  S_FAULT 62, CAUSE_STORE_PAGE_FAULT, a1, sb a0, 0(a1)
  S_FETCH_FAULT 65, a1
  li a1, 0xffffff0000000000 | VBASE   /* upper bits set, bit 38 clear */
  S_FAULT 68, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  /* canonical but unmapped (root[511] is empty) */
  li a1, 0xffffffffc0000000
  S_FAULT 71, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)

  /* ---- U pages from S: SUM ---- */
  li t0, MSTATUS_SUM
  csrc mstatus, t0
  li a1, VA(PAGE_USER)
  S_FAULT 74, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  S_FAULT 77, CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  li t0, MSTATUS_SUM
  csrs mstatus, t0
  S_OK 80, ld a0, 0(a1)
  CHECK 81, a0, 0x1111111111111111
  li a2, 0x5555
  S_OK 82, sd a2, 8(a1)
  la t0, page_a
  ld a0, 8(t0)
  CHECK 83, a0, 0x5555
  li t1, 0xaaaaaaaaaaaaaaaa
  sd t1, 8(t0)
  /* S never executes U pages, even with SUM */
  li a1, VA(PAGE_UCODE)
  S_FETCH_FAULT 84, a1
  li t0, MSTATUS_SUM
  csrc mstatus, t0

  /* ---- MXR: execute-only pages become readable ---- */
  li t0, MSTATUS_MXR
  csrs mstatus, t0
  li a1, VA(PAGE_XO)
  S_OK 87, ld a0, 0(a1)
  CHECK 88, a0, 0x1111111111111111
  S_FAULT 89, CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  li t0, MSTATUS_MXR
  csrc mstatus, t0

  /* ---- U mode ---- */
  li a1, VA(PAGE_USER)
  U_OK 92, ld a0, 0(a1)
  CHECK 93, a0, 0x1111111111111111
  li a1, VA(PAGE_UCODE)
  li a0, 0
  U_OK 94, jalr ra, 0(a1)
  CHECK 95, a0, 0x5a5a
  /* S pages from U */
  li a1, VA(PAGE_RW)
  U_FAULT 96, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  U_FAULT 99, CAUSE_STORE_PAGE_FAULT, a1, sd a0, 0(a1)
  li a1, VA(PAGE_CODE)
  U_FETCH_FAULT 102, a1
  la a1, page_a                        /* identity (S) mapping */
  U_FAULT 105, CAUSE_LOAD_PAGE_FAULT, a1, ld a0, 0(a1)
  la a1, 1f                            /* S code from U */
  U_FETCH_FAULT 108, a1
1:

  /* ================= A and D updates ================= */
  READ_PTE pt_l0, PAGE_AD
  andi a0, a0, PTE_A | PTE_D
  CHECK 111, a0, 0
  li a1, VA(PAGE_AD)
  S_OK 112, ld a0, 0(a1)
  CHECK 113, a0, 0x2222222222222222
  READ_PTE pt_l0, PAGE_AD
  andi a0, a0, PTE_A | PTE_D
  CHECK 114, a0, PTE_A                 /* load: A set, D still clear */
  li a2, 0x6666
  S_OK 115, sd a2, 16(a1)
  READ_PTE pt_l0, PAGE_AD
  andi a0, a0, PTE_A | PTE_D
  CHECK 116, a0, PTE_A | PTE_D         /* store: D set */
  READ_PTE pt_l0, PAGE_D
  andi a0, a0, PTE_A | PTE_D
  CHECK 117, a0, PTE_A
  li a1, VA(PAGE_D)
  li a2, 0x7777
  S_OK 118, amoswap.d a0, a2, (a1)
  READ_PTE pt_l0, PAGE_D
  andi a0, a0, PTE_A | PTE_D
  CHECK 119, a0, PTE_A | PTE_D
  la t0, page_b
  ld a0, 0(t0)
  CHECK 120, a0, 0x7777
  ld a0, 16(t0)
  CHECK 121, a0, 0x6666
  li t1, 0x2222222222222222
  sd t1, 0(t0)
  /* a fault does not set A: the reserved W-only PTE had A preset; use
   * the invalid PTE, whose bits must be unchanged */
  READ_PTE pt_l0, PAGE_INVALID
  andi a0, a0, 0xff
  CHECK 122, a0, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D

  /* ================= sfence.vma ================= */
  /* S-mode reads PAGE_SWAP (page_a), remaps it to page_b itself (the page
   * tables are reachable through the identity mapping), fences, reads again */
  li a1, VA(PAGE_SWAP)
  la a3, pt_l0 + 8 * PAGE_SWAP
  la a4, page_b
  srli a4, a4, 12
  slli a4, a4, 10
  ori a4, a4, RW_AD
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  ld s2, 0(a1)
  sd a4, 0(a3)
  sfence.vma
  ld s3, 0(a1)
  ecall
2:
  CHECK_CSR 123, mcause, CAUSE_SUPERVISOR_ECALL
  CHECK 124, s2, 0x1111111111111111
  CHECK 125, s3, 0x2222222222222222
  /* invalidate it and fence just that address: the load faults */
  EXPECT_TRAP 2f
  MRET_TO PRV_S, 1f
1:
  sd zero, 0(a3)
  sfence.vma a1, zero
swap_load:
  ld s3, 0(a1)
  ecall
2:
  CHECK_CSR 126, mcause, CAUSE_LOAD_PAGE_FAULT
  CHECK_CSR_ADDR 127, mepc, swap_load
  csrr t5, mtval
  CHECK_REG 128, t5, a1
  /* remapped from M-mode (with sfence.vma there) */
  MAP pt_l0, PAGE_SWAP, page_a, RW_AD
  sfence.vma
  S_OK 129, ld a0, 0(a1)
  CHECK 130, a0, 0x1111111111111111

  /* ================= MPRV ================= */
  /* MPRV = 1, MPP = S: M-mode loads and stores are translated */
  li a1, VA(PAGE_RW)
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MPP_S | MSTATUS_MPRV
  csrs mstatus, t0
  ld a0, 0(a1)
  li t0, 0x8888
  sd t0, 8(a1)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  CHECK 131, a0, 0x1111111111111111
  la t0, page_a
  ld a0, 8(t0)
  CHECK 132, a0, 0x8888
  li t1, 0xaaaaaaaaaaaaaaaa
  sd t1, 8(t0)
  /* a translated M-mode access can page fault; mtval = VA */
  li a1, VA(PAGE_INVALID)
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  EXPECT_TRAP 1f
mprv_load:
  ld a0, 0(a1)
  TESTNUM 133
  j fail
1:
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  CHECK_CSR 133, mcause, CAUSE_LOAD_PAGE_FAULT
  CHECK_CSR_ADDR 134, mepc, mprv_load
  csrr t5, mtval
  CHECK_REG 135, t5, a1
  /* instruction fetch is not affected by MPRV: this code keeps running
   * from physical addresses while MPRV = 1 with MPP = S (the trap above
   * set MPP to M) */
  TESTNUM 136
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MPP_S | MSTATUS_MPRV
  csrs mstatus, t0
  li a1, VA(PAGE_RO)
  ld a0, 0(a1)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  CHECK 136, a0, 0x1111111111111111
  /* MPP = U: S pages fault, U pages work */
  TESTNUM 137
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li a1, VA(PAGE_USER)
  ld a0, 0(a1)
  li a1, VA(PAGE_RW)
  EXPECT_TRAP 1f
mprv_store:
  sd a0, 0(a1)
  TESTNUM 137
  j fail
1:
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  CHECK 137, a0, 0x1111111111111111
  CHECK_CSR 138, mcause, CAUSE_STORE_PAGE_FAULT
  CHECK_CSR_ADDR 139, mepc, mprv_store
  csrr t5, mtval
  CHECK_REG 140, t5, a1
  /* MPRV = 1 with MPP = M: no translation */
  li t0, MSTATUS_MPP_M | MSTATUS_MPRV
  csrs mstatus, t0
  la a1, page_b
  ld a0, 0(a1)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  CHECK 141, a0, 0x2222222222222222

  /* ================= ASIDs ================= */
  /* ASID bits are WARL: find how many are implemented (QEMU: 16) */
  li t0, 0xffff << SATP_ASID_SHIFT
  or t0, s9, t0
  csrw satp, t0
  csrr s10, satp
  srli s10, s10, SATP_ASID_SHIFT
  li t0, 0xffff
  and s10, s10, t0               /* s10 = implemented ASID mask */
  /* s7 = satp(pt_root, ASID 1), s8 = satp(pt_root_b, ASID 2) */
  li t0, 1 << SATP_ASID_SHIFT
  or s7, s9, t0
  la t0, pt_root_b
  srli t0, t0, 12
  li t1, SATP_MODE_SV39 | (2 << SATP_ASID_SHIFT)
  or s8, t0, t1
  csrw satp, s7
  sfence.vma
  li a1, VA(PAGE_ASID)
  S_OK 142, ld a0, 0(a1)
  CHECK 143, a0, 0x1111111111111111
  /* switching to another ASID needs no fence (unless ASIDs are not
   * implemented) */
  csrw satp, s8
  bnez s10, 1f
  sfence.vma
1:
  S_OK 144, ld a0, 0(a1)
  CHECK 145, a0, 0x2222222222222222
  csrw satp, s7
  bnez s10, 1f
  sfence.vma
1:
  S_OK 146, ld a0, 0(a1)
  CHECK 147, a0, 0x1111111111111111
  /* sfence.vma for one ASID, and for one address in one ASID */
  li a2, 1
  S_OK 148, sfence.vma zero, a2
  S_OK 149, sfence.vma a1, a2
  /* the satp ASID read back */
  csrr a0, satp
  srli a0, a0, SATP_ASID_SHIFT
  li t0, 0xffff
  and a0, a0, t0
  and t1, s10, 1
  CHECK_REG 150, a0, t1

  csrw satp, zero
  sfence.vma
  TEST_PASS

  /* a function reached through PAGE_CODE / PAGE_UCODE */
  .balign 4096
code_page:
  li a0, 0x5a5a
  ret
  .balign 4096

  .bss
  .balign 4096
pt_root:   .skip 4096
pt_l1:     .skip 4096
pt_l0:     .skip 4096
pt_root_b: .skip 4096
pt_l1_b:   .skip 4096
pt_l0_b:   .skip 4096
page_a:    .skip 4096
page_b:    .skip 4096
