/*
 * Sv39 address spaces with ASIDs.
 * The kernel is identity-mapped with global gigapages: VA 0-1 GiB (MMIO) and
 * VA 2-3 GiB (RAM). Every address space shares these two root entries; user
 * mappings live elsewhere in the lower half. Switching address spaces only
 * writes satp (no flush) while ASIDs are unique; when the ASID space wraps a
 * new generation starts with one global flush.
 */
#include "kernel.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_PPN_SHIFT 10
#define SATP_SV39 (8UL << 60)
#define SATP_ASID_SHIFT 44

static word_t kernel_root[512] __attribute__((aligned(4096)));
word_t asid_bits;
static word_t asid_max, asid_next = 1;
word_t asid_gen = 1;
struct vspace *active_vspace;

static inline word_t pte_pa(word_t pte) { return (pte >> PTE_PPN_SHIFT) << PAGE_SHIFT; }
static inline word_t make_pte(word_t pa, word_t flags) { return ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | flags; }

void vm_init(void)
{
    kernel_root[0] = make_pte(0, PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D);
    kernel_root[2] = make_pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D);
    word_t ppn = (word_t)kernel_root >> PAGE_SHIFT;
    /* probe implemented ASID bits (WARL field) */
    csr_write(satp, SATP_SV39 | (0xFFFFUL << SATP_ASID_SHIFT) | ppn);
    word_t probe = (csr_read(satp) >> SATP_ASID_SHIFT) & 0xFFFF;
    asid_bits = 0;
    while (probe & (1UL << asid_bits)) asid_bits++;
    asid_max = asid_bits ? (1UL << asid_bits) - 1 : 0;
    csr_write(satp, SATP_SV39 | ppn);
    sfence_vma_all();
    bootinfo.asid_bits = asid_bits;
}

static void asid_assign(struct vspace *vs)
{
    if (asid_max == 0) {
        vs->asid = 0;
    } else {
        if (asid_next > asid_max) {
#ifdef CODESIGN
            /* gates, link records, windows and queues name address spaces by
             * ASID: the codesign kernel does not recycle them */
            panic("ASID space exhausted");
#endif
            /* wrap: new generation, everyone gets a fresh ASID lazily */
            asid_gen++;
            asid_next = 1;
            sfence_vma_all();
        }
        vs->asid = asid_next++;
    }
    vs->asid_gen = asid_gen;
    vs->satp = SATP_SV39 | (vs->asid << SATP_ASID_SHIFT) | ((word_t)vs->root >> PAGE_SHIFT);
#ifdef CODESIGN
    cs_asid_assigned(vs);
#endif
}

struct vspace *vspace_create(void)
{
    struct vspace *vs = kalloc(sizeof(*vs));
    if (!vs) return NULL;
    vs->root = kalloc_page();
    if (!vs->root) return NULL;
    vs->root[0] = kernel_root[0];
    vs->root[2] = kernel_root[2];
    asid_assign(vs);
    return vs;
}

void vspace_activate(struct vspace *vs)
{
    if (vs == active_vspace && vs->asid_gen == asid_gen) return;
    if (unlikely(vs->asid_gen != asid_gen)) asid_assign(vs);
    csr_write(satp, vs->satp);
    if (asid_max == 0) sfence_vma_all();
    active_vspace = vs;
}

static inline bool user_va_ok(word_t va)
{
    word_t gi = va >> 30;
    return va < (1UL << 38) && gi != 0 && gi != 2;
}

/* walk to the level-0 PTE for va, allocating tables if asked */
static word_t *walk(struct vspace *vs, word_t va, bool alloc)
{
    word_t *pt = vs->root;
    for (int level = 2; level > 0; level--) {
        word_t *pte = &pt[(va >> (12 + 9 * level)) & 511];
        if (!(*pte & PTE_V)) {
            if (!alloc) return NULL;
            word_t *n = kalloc_page();
            if (!n) return NULL;
            *pte = make_pte((word_t)n, PTE_V);
        } else if (*pte & (PTE_R | PTE_W | PTE_X)) {
            return NULL; /* superpage: not used for user memory */
        }
        pt = (word_t *)pte_pa(*pte);
    }
    return &pt[(va >> 12) & 511];
}

static inline void flush_page(struct vspace *vs, word_t va)
{
    if (vs->asid_gen == asid_gen && asid_max) sfence_vma(va, vs->asid);
    else sfence_vma_all();
}

int vspace_map(struct vspace *vs, word_t va, word_t pa, word_t rights, bool device)
{
    (void)device;
    if (!user_va_ok(va) || (va & (PAGE_SIZE - 1))) return MK_ERR_RANGE;
    word_t *pte = walk(vs, va, true);
    if (!pte) return MK_ERR_NO_MEMORY;
    word_t flags = PTE_V | PTE_U | PTE_A | PTE_D;
    if (rights & (MK_RIGHT_READ | MK_RIGHT_WRITE)) flags |= PTE_R;
    if (rights & MK_RIGHT_WRITE) flags |= PTE_W;
    if (rights & MK_RIGHT_EXEC) flags |= PTE_X;
    if (!(flags & (PTE_R | PTE_X))) return MK_ERR_INVALID_ARG;
    bool was_valid = *pte & PTE_V;
    *pte = make_pte(pa, flags);
    if (was_valid) flush_page(vs, va);
    else __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(vs->asid) : "memory");
    return 0;
}

int vspace_unmap(struct vspace *vs, word_t va)
{
    if (!user_va_ok(va)) return MK_ERR_RANGE;
    word_t *pte = walk(vs, va, false);
    if (!pte || !(*pte & PTE_V)) return MK_ERR_NOT_FOUND;
    *pte = 0;
    flush_page(vs, va);
    return 0;
}

word_t vspace_lookup(struct vspace *vs, word_t va, bool need_write)
{
    if (!user_va_ok(va)) return 0;
    word_t *pte = walk(vs, va, false);
    if (!pte || !(*pte & PTE_V) || !(*pte & PTE_U)) return 0;
    if (need_write && !(*pte & PTE_W)) return 0;
    return pte_pa(*pte) | (va & (PAGE_SIZE - 1));
}
