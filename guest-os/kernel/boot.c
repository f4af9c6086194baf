/*
 * Kernel start in S-mode: memory, paging, interrupts, and the root task,
 * loaded from the boot image archive linked into the kernel image.
 */
#include "kernel.h"
#include "bulk_transfer.h"
#include "../common/elfar.h"

struct bootinfo bootinfo;
extern char __kernel_end[], __archive_start[], __archive_end[];
extern word_t fdt_size;

/* ---------- physical memory: page bump allocator + small-object slab ---------- */
static word_t kmem_next, kmem_end, kmem_total;
static u8 *slab_ptr;
static word_t slab_left;

static void kmem_init(void)
{
    word_t start = ROUND_UP((word_t)__kernel_end, PAGE_SIZE);
    word_t end = bootinfo.mem_base + bootinfo.mem_size;
    if (end > 0xC0000000UL) end = 0xC0000000UL; /* identity gigapage covers 2-3 GiB */
    if (bootinfo.dtb >= start && bootinfo.dtb < end) end = ROUND_DOWN(bootinfo.dtb, PAGE_SIZE);
    kmem_next = start;
    kmem_end = end;
    kmem_total = (end - start) / PAGE_SIZE;
}

void *kalloc_pages(word_t n)
{
    if (kmem_next + n * PAGE_SIZE > kmem_end) return NULL;
    void *p = (void *)kmem_next;
    kmem_next += n * PAGE_SIZE;
    for (word_t i = 0; i < n; i++) bulk_zero_page((u8 *)p + i * PAGE_SIZE);
    return p;
}

void *kalloc_page(void) { return kalloc_pages(1); }

void *kalloc(word_t size)
{
#ifdef CODESIGN
    size = ROUND_UP(size, 64); /* Xctx images in TCBs and link stacks are 64-byte aligned */
#else
    size = ROUND_UP(size, 16);
#endif
    if (size > slab_left) {
        slab_ptr = kalloc_page();
        if (!slab_ptr) return NULL;
        slab_left = PAGE_SIZE;
    }
    void *p = slab_ptr;
    slab_ptr += size;
    slab_left -= size;
    return p;
}

word_t kmem_total_pages(void) { return kmem_total; }
word_t kmem_free_pages(void) { return (kmem_end - kmem_next) / PAGE_SIZE; }

/* ---------- root task ---------- */
static void map_new_page(struct vspace *vs, word_t va, word_t rights, const u8 *src, word_t n)
{
    u8 *pg = kalloc_page();
    if (!pg) panic("out of memory loading root task");
    if (n) memcpy(pg, src, n);
    if (vspace_map(vs, va, (word_t)pg, rights, false)) panic("root map failed");
}

/* copy the bytes of [file, file+filesz) placed at virtual `base` into fresh pages covering [base, base+memsz) */
static void load_range(struct vspace *vs, word_t base, word_t memsz, const u8 *file, word_t filesz, word_t rights)
{
    for (word_t va = ROUND_DOWN(base, PAGE_SIZE); va < base + memsz; va += PAGE_SIZE) {
        u8 *pg = kalloc_page();
        if (!pg) panic("out of memory loading root task");
        for (word_t off = 0; off < PAGE_SIZE; off++) {
            word_t a = va + off;
            if (a >= base && a < base + filesz) pg[off] = file[a - base];
        }
        if (vspace_map(vs, va, (word_t)pg, rights, false)) panic("root map failed");
    }
}

static void create_root_task(void)
{
    word_t arsize = (word_t)(__archive_end - __archive_start), esize, entry;
    const u8 *elf = ar_find((const u8 *)__archive_start, arsize, "root", &esize);
    if (!elf) panic("no root task in boot archive");
    int nph = elf_check(elf, esize, &entry);
    if (nph < 0) panic("root task: bad ELF");

    struct vspace *vs = vspace_create();
    struct cspace *cs = cspace_create(MK_ROOT_CSPACE_BITS);
    struct tcb *t = tcb_create();
    if (!vs || !cs || !t) panic("out of memory creating root task");

    for (int i = 0; i < nph; i++) {
        struct ea_phdr ph;
        if (elf_phdr(elf, esize, i, &ph)) panic("root task: bad program header");
        if (ph.type != PT_LOAD || !ph.memsz) continue;
        word_t rights = ((ph.flags & PF_R) ? MK_RIGHT_READ : 0) | ((ph.flags & PF_W) ? MK_RIGHT_WRITE : 0) |
                        ((ph.flags & PF_X) ? MK_RIGHT_EXEC : 0);
        load_range(vs, ph.vaddr, ph.memsz, elf + ph.offset, ph.filesz, rights);
        if (ph.paddr != ph.vaddr && ph.filesz) /* pristine copy of .data for restarts */
            load_range(vs, ph.paddr, ph.filesz, elf + ph.offset, ph.filesz, MK_RIGHT_READ);
    }
    for (word_t i = 1; i <= MK_STACK_PAGES; i++)
        map_new_page(vs, MK_STACK_TOP - i * PAGE_SIZE, MK_RIGHT_READ | MK_RIGHT_WRITE, NULL, 0);
    u8 *ipcbuf = kalloc_page();
    u8 *startup = kalloc_page();
    if (!ipcbuf || !startup) panic("oom");
    vspace_map(vs, MK_IPCBUF_VA, (word_t)ipcbuf, MK_RIGHT_READ | MK_RIGHT_WRITE, false);
    vspace_map(vs, MK_STARTUP_VA, (word_t)startup, MK_RIGHT_READ | MK_RIGHT_WRITE, false);
    for (word_t off = 0; off < ROUND_UP(arsize, PAGE_SIZE); off += PAGE_SIZE)
        vspace_map(vs, MK_ARCHIVE_VA + off, (word_t)__archive_start + off, MK_RIGHT_READ, false);

    struct mk_startup *su = (struct mk_startup *)startup;
    su->magic = MK_STARTUP_MAGIC;
    su->task_id = 0;
    su->bench_present = bootinfo.bench_paddr != 0;
    su->bench_paddr = bootinfo.bench_paddr;
    su->archive_size = arsize;
    su->mem_total = kmem_total_pages();
    su->timebase_hz = bootinfo.timebase_hz;
    su->asid_bits = bootinfo.asid_bits;
    su->cspace_slots = 1UL << MK_ROOT_CSPACE_BITS;
    memcpy(su->name, "root", 5);
    memcpy(su->bootargs, bootinfo.bootargs, sizeof(su->bootargs));

    struct cap *s = cs->slots;
    s[MK_SLOT_CSPACE] = (struct cap){ .type = MK_OBJ_CSPACE, .rights = MK_RIGHTS_ALL, .obj = (word_t)cs };
    s[MK_SLOT_VSPACE] = (struct cap){ .type = MK_OBJ_VSPACE, .rights = MK_RIGHTS_ALL, .obj = (word_t)vs };
    s[MK_SLOT_TCB] = (struct cap){ .type = MK_OBJ_TCB, .rights = MK_RIGHTS_ALL, .obj = (word_t)t };
    s[MK_SLOT_CONTROL] = (struct cap){ .type = MK_OBJ_CONTROL, .rights = MK_RIGHTS_ALL };

    t->cspace = cs;
    t->vspace = vs;
    t->ipcbuf = (word_t *)ipcbuf;
    t->prio = MK_PRIO_ROOT;
    t->regs[REG_PC] = entry;
    t->regs[REG_SP] = MK_STACK_TOP;
    t->regs[REG_A0] = MK_STARTUP_VA;
    su->mem_free = kmem_free_pages();
    fence_i();
    sched_make_runnable(t);
}

void kernel_main(word_t hartid, word_t dtb) NORETURN;
void kernel_main(word_t hartid, word_t dtb)
{
    (void)hartid;
    trap_init();
    bootinfo.dtb = dtb;
    fdt_parse(dtb);
    kmem_init();
    vm_init();
    irq_init();
#ifdef CODESIGN
    cs_init();
    kprintf("mkjit kernel (codesign): %lu MiB RAM"
#else
    kprintf("mkjit kernel (stock): %lu MiB RAM"
#endif
            ", %lu free pages, asid bits %lu, bench device %s\n",
            bootinfo.mem_size >> 20, kmem_free_pages(), asid_bits, bootinfo.bench_paddr ? "present" : "absent");
    create_root_task();
    timer_init();
    kernel_exit();
}
