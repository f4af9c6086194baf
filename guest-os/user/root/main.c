/*
 * Root task: the first user task, created by the kernel with the CONTROL
 * capability. It starts every other task from the boot image archive, acts
 * as process manager (SPAWN, shared memory, power off) and then just serves.
 *
 * Start order: names, monitor, console, blk (RAM disk), fs, kv, bench runner.
 * Each service tells root READY after it registered its name, so later
 * services and clients can look it up without waiting.
 */
#include "ulib.h"
#include "../../common/elfar.h"

#define ARCHIVE ((const u8 *)MK_ARCHIVE_VA)
#define MAX_CHILDREN 600
#define MAX_PROGS 12
#define MAX_SHARED 96

struct prog {
    char name[17];
    const u8 *elf;
    unsigned long size, entry;
    int nshared;
    mk_word_t shared_va[MAX_SHARED];
    mk_cptr_t shared_cap[MAX_SHARED];
};

struct child {
    mk_word_t id, flags, entry;
    char name[17];
    mk_cptr_t tcb, cspace, vspace;
};

static struct prog progs[MAX_PROGS];
static int nprogs;
static struct child children[MAX_CHILDREN];
static mk_word_t nchildren = 1; /* task 0 is root itself */
static mk_cptr_t root_ep, names_ep, monitor_ep, console_ep, bench_frame, uart_frame;
static unsigned long bootarg_ramdisk_kib = 1024;

static void __attribute__((noreturn)) fatal(const char *what, mk_word_t e)
{
    printf("root: FATAL %s: %s\n", what, err_name(e));
    out_flush();
    mk_control_poweroff(MK_SLOT_CONTROL, 2);
    for (;;) {}
}

#define CHECK(what, expr) do { mk_word_t __e = (expr); if (__e) fatal(what, __e); } while (0)

static mk_cptr_t create(mk_word_t type, mk_word_t bits)
{
    mk_cptr_t s = slot_alloc();
    if (!s) fatal("out of root slots", MK_ERR_NO_SPACE);
    CHECK("create", mk_control_create(MK_SLOT_CONTROL, type, s, bits));
    return s;
}

static unsigned long bootarg(const char *key, unsigned long def)
{
    const char *s = startup->bootargs;
    size_t kl = strlen(key);
    while (*s) {
        while (*s == ' ') s++;
        if (!strncmp(s, key, kl) && s[kl] == '=') return strtoul(s + kl + 1, NULL, 0);
        while (*s && *s != ' ') s++;
    }
    return def;
}

/* ---- program loading ---- */
static struct prog *find_prog(const char *name)
{
    for (int i = 0; i < nprogs; i++) if (!strcmp(progs[i].name, name)) return &progs[i];
    return NULL;
}

static void scan_archive(void)
{
    unsigned long off = 0, size;
    const u8 *data;
    char name[17];
    while ((off = ar_next(ARCHIVE, startup->archive_size, off, name, &data, &size)) != 0) {
        if (nprogs == MAX_PROGS) break;
        struct prog *p = &progs[nprogs];
        if (elf_check(data, size, &p->entry) < 0) continue;
        strncpy_z(p->name, name, sizeof(p->name));
        p->elf = data;
        p->size = size;
        nprogs++;
    }
}

/* fill a fresh frame with the bytes of [file, file+filesz) placed at `base`, page at va */
static mk_cptr_t make_page(mk_word_t va, mk_word_t base, const u8 *file, mk_word_t filesz)
{
    mk_cptr_t f = create(MK_OBJ_FRAME, 0);
    if (filesz && va < base + filesz && va + MK_PAGE_SIZE > base) {
        CHECK("tmp map", mk_vspace_map(MK_SLOT_VSPACE, f, MK_TMP_VA, MK_RIGHT_READ | MK_RIGHT_WRITE));
        u8 *dst = (u8 *)MK_TMP_VA;
        for (mk_word_t off = 0; off < MK_PAGE_SIZE; off++) {
            mk_word_t a = va + off;
            if (a >= base && a < base + filesz) dst[off] = file[a - base];
        }
        CHECK("tmp unmap", mk_vspace_unmap(MK_SLOT_VSPACE, MK_TMP_VA));
    }
    return f;
}

static void load_segment(struct prog *p, mk_cptr_t vs, mk_word_t base, mk_word_t memsz,
                         const u8 *file, mk_word_t filesz, mk_word_t rights, bool shared)
{
    for (mk_word_t va = base & ~(MK_PAGE_SIZE - 1); va < base + memsz; va += MK_PAGE_SIZE) {
        mk_cptr_t f = 0;
        if (shared)
            for (int i = 0; i < p->nshared; i++) if (p->shared_va[i] == va) f = p->shared_cap[i];
        bool fresh = !f;
        if (fresh) f = make_page(va, base, file, filesz);
        CHECK("map segment", mk_vspace_map(vs, f, va, rights));
        if (fresh && shared && p->nshared < MAX_SHARED) {
            p->shared_va[p->nshared] = va;
            p->shared_cap[p->nshared++] = f;
        } else if (fresh) {
            slot_free(f); /* the mapping keeps the frame */
        }
    }
}

static mk_cptr_t map_new(mk_cptr_t vs, mk_word_t va, bool keep)
{
    mk_cptr_t f = create(MK_OBJ_FRAME, 0);
    CHECK("map", mk_vspace_map(vs, f, va, MK_RIGHT_READ | MK_RIGHT_WRITE));
    if (!keep) { slot_free(f); return 0; }
    return f;
}

struct spawn_req {
    const char *prog;
    mk_word_t prio, arg0, arg1, arg2, flags;
    mk_cptr_t ep, ntfn, argcap;     /* caps (in root) for the child's SLOT_ENDPOINT/NTFN/ARG */
};

static void monitor_register(struct child *c)
{
    mk_word_t w[4];
    name_pack(c->name, w);
    struct mk_msg m;
    m.info = MK_MSGINFO_MAKE(6, 1, MK_MONITOR_REGISTER);
    m.mr[0] = c->id;
    m.mr[1] = c->flags;
    m.mr[2] = c->entry;
    m.mr[3] = MK_STACK_TOP;
    MK_IPCBUF[4] = w[0];
    MK_IPCBUF[5] = w[1];
    set_cap_send(c->tcb);
    mk_word_t e = mk_sys_call(monitor_ep, &m);
    if (!e) e = MK_MSGINFO_LABEL(m.info);
    CHECK("monitor register", e);
}

static struct child *spawn(const struct spawn_req *r)
{
    struct prog *p = find_prog(r->prog);
    if (!p) { printf("root: no program '%s'\n", r->prog); return NULL; }
    if (nchildren == MAX_CHILDREN) return NULL;
    struct child *c = &children[nchildren];
    c->id = nchildren;
    c->flags = r->flags;
    c->entry = p->entry;
    strncpy_z(c->name, r->prog, sizeof(c->name));

    mk_word_t cbits = (r->flags & MK_SPAWNF_BIGCSPACE) ? 10 : MK_TASK_CSPACE_BITS;
    c->cspace = create(MK_OBJ_CSPACE, cbits);
    c->vspace = create(MK_OBJ_VSPACE, 0);
    c->tcb = create(MK_OBJ_TCB, 0);

    int nph = elf_check(p->elf, p->size, &p->entry);
    for (int i = 0; i < nph; i++) {
        struct ea_phdr ph;
        if (elf_phdr(p->elf, p->size, i, &ph) || ph.type != PT_LOAD || !ph.memsz) continue;
        mk_word_t rights = ((ph.flags & PF_R) ? MK_RIGHT_READ : 0) | ((ph.flags & PF_W) ? MK_RIGHT_WRITE : 0) |
                           ((ph.flags & PF_X) ? MK_RIGHT_EXEC : 0);
        bool writable = ph.flags & PF_W;
        load_segment(p, c->vspace, ph.vaddr, ph.memsz, p->elf + ph.offset, ph.filesz, rights, !writable);
        if (ph.paddr != ph.vaddr && ph.filesz) /* pristine .data for restarts, shared */
            load_segment(p, c->vspace, ph.paddr, ph.filesz, p->elf + ph.offset, ph.filesz, MK_RIGHT_READ, true);
    }
    __asm__ volatile("fence.i" ::: "memory");

    for (mk_word_t i = 1; i <= MK_STACK_PAGES; i++) map_new(c->vspace, MK_STACK_TOP - i * MK_PAGE_SIZE, false);
    mk_cptr_t ipcbuf = map_new(c->vspace, MK_IPCBUF_VA, true);

    /* startup page */
    mk_cptr_t su = create(MK_OBJ_FRAME, 0);
    CHECK("tmp map", mk_vspace_map(MK_SLOT_VSPACE, su, MK_TMP_VA, MK_RIGHT_READ | MK_RIGHT_WRITE));
    struct mk_startup *s = (struct mk_startup *)MK_TMP_VA;
    s->magic = MK_STARTUP_MAGIC;
    s->task_id = c->id;
    s->arg0 = r->arg0;
    s->arg1 = r->arg1;
    s->arg2 = r->arg2;
    s->flags = r->flags;
    s->bench_present = startup->bench_present;
    s->bench_paddr = startup->bench_paddr;
    s->mem_total = startup->mem_total;
    s->timebase_hz = startup->timebase_hz;
    s->asid_bits = startup->asid_bits;
    s->cspace_slots = 1UL << cbits;
    strncpy_z(s->name, r->prog, sizeof(s->name));
    memcpy(s->bootargs, startup->bootargs, sizeof(s->bootargs));
    if (r->flags & MK_SPAWNF_BENCH) {
        mk_cptr_t np = map_new(c->vspace, MK_BENCH_NAME_VA, true);
        mk_frame_paddr(np, &s->bench_name_paddr);
        slot_free(np);
        CHECK("map bench", mk_vspace_map(c->vspace, bench_frame, MK_BENCH_VA, MK_RIGHT_READ | MK_RIGHT_WRITE));
    }
    CHECK("tmp unmap", mk_vspace_unmap(MK_SLOT_VSPACE, MK_TMP_VA));
    CHECK("map startup", mk_vspace_map(c->vspace, su, MK_STARTUP_VA, MK_RIGHT_READ | MK_RIGHT_WRITE));
    slot_free(su);
    if (r->flags & MK_SPAWNF_UART)
        CHECK("map uart", mk_vspace_map(c->vspace, uart_frame, MK_UART_VA, MK_RIGHT_READ | MK_RIGHT_WRITE));

    /* capabilities */
    mk_word_t rw = MK_RIGHT_READ | MK_RIGHT_WRITE | MK_RIGHT_GRANT;
    mk_word_t send = MK_RIGHT_WRITE | MK_RIGHT_GRANT;
    CHECK("mint cspace", mk_cspace_mint(c->cspace, MK_SLOT_CSPACE, c->cspace, MK_RIGHTS_ALL, 0));
    CHECK("mint vspace", mk_cspace_mint(c->cspace, MK_SLOT_VSPACE, c->vspace, MK_RIGHTS_ALL, 0));
    CHECK("mint tcb", mk_cspace_mint(c->cspace, MK_SLOT_TCB, c->tcb, MK_RIGHTS_ALL, 0));
    if (names_ep) CHECK("mint names", mk_cspace_mint(c->cspace, MK_SLOT_NAMES, names_ep, send, 0));
    if (console_ep) CHECK("mint console", mk_cspace_mint(c->cspace, MK_SLOT_CONSOLE, console_ep, send, 0));
    CHECK("mint root", mk_cspace_mint(c->cspace, MK_SLOT_ROOT, root_ep, send, c->id));
    if (r->ep) CHECK("mint ep", mk_cspace_mint(c->cspace, MK_SLOT_ENDPOINT, r->ep, rw, 0));
    if (r->ntfn) CHECK("mint ntfn", mk_cspace_mint(c->cspace, MK_SLOT_NTFN, r->ntfn, rw, 0));
    if (r->argcap) CHECK("mint arg", mk_cspace_mint(c->cspace, MK_SLOT_ARG, r->argcap, MK_RIGHTS_ALL, 0));

    CHECK("configure", mk_tcb_configure(c->tcb, c->cspace, c->vspace, ipcbuf, MK_IPCBUF_VA));
    slot_free(ipcbuf);
    CHECK("priority", mk_tcb_set_priority(c->tcb, r->prio));
    if (monitor_ep) {
        mk_cptr_t fep = slot_alloc();
        CHECK("mint fault ep", mk_cspace_mint(MK_SLOT_CSPACE, fep, monitor_ep, send, c->id));
        CHECK("fault ep", mk_tcb_set_fault_ep(c->tcb, fep));
        slot_free(fep);
    }
    CHECK("regs", mk_tcb_write_regs(c->tcb, p->entry, MK_STACK_TOP, MK_STARTUP_VA, 0));
    nchildren++;
    if (monitor_ep) monitor_register(c);
    CHECK("resume", mk_tcb_resume(c->tcb));
    return c;
}

/* ---- serving ---- */
static mk_cptr_t pending_free[2];

static mk_word_t handle_spawn(struct mk_msg *m, mk_word_t badge, struct mk_msg *reply)
{
    mk_word_t w[4] = { m->mr[0], m->mr[1], 0, 0 };
    char name[32];
    name_unpack(w, name);
    struct spawn_req r = { 0 };
    r.prog = name;
    r.prio = m->mr[2];
    r.arg0 = m->mr[3];
    r.arg1 = MK_IPCBUF[4];
    r.arg2 = MK_IPCBUF[5];
    r.flags = MK_IPCBUF[6] & (MK_SPAWNF_EP | MK_SPAWNF_NTFN | MK_SPAWNF_BIGCSPACE | MK_SPAWNF_BENCH |
                              MK_SPAWNF_ARGCAP | MK_TASKF_QUIET);
    mk_word_t received_cap = MK_MSGINFO_CAPS(m->info);
    struct child *parent = badge < nchildren ? &children[badge] : NULL;
    if (r.prio > MK_PRIO_RUNNER) return MK_ERR_RANGE;
    if (parent && !(parent->flags & MK_SPAWNF_BENCH)) r.flags &= ~(mk_word_t)MK_SPAWNF_BENCH;
    mk_cptr_t ep = 0, ntfn = 0, argcap = 0;
    if (r.flags & MK_SPAWNF_EP) ep = r.ep = create(MK_OBJ_ENDPOINT, 0);
    if (r.flags & MK_SPAWNF_NTFN) ntfn = r.ntfn = create(MK_OBJ_NOTIFICATION, 0);
    if (received_cap) argcap = r.argcap = (mk_cptr_t)MK_IPCBUF[MK_IPCBUF_RECV_SLOT];
    struct child *c = spawn(&r);
    reply->mr[0] = c ? c->id : 0;
    /* hand one cap back: the new endpoint, else the new notification */
    mk_cptr_t back = ep ? ep : ntfn;
    if (back && c) {
        reply->info = MK_MSGINFO_MAKE(1, 1, MK_ERR_OK);
        set_cap_send(back);
    }
    if (argcap) mk_cspace_delete(MK_SLOT_CSPACE, argcap);
    /* the child's cspace and the reply keep the objects: free our slots after replying */
    pending_free[0] = ep;
    pending_free[1] = ntfn;
    return c ? MK_ERR_OK : MK_ERR_NO_MEMORY;
}

static mk_word_t handle_alloc_shm(struct mk_msg *m, mk_word_t badge)
{
    mk_word_t n = m->mr[0], first = m->mr[1];
    if (badge == 0 || badge >= nchildren || n > 64) return MK_ERR_INVALID_ARG;
    struct child *c = &children[badge];
    for (mk_word_t i = 0; i < n; i++) {
        mk_cptr_t f = create(MK_OBJ_FRAME, 0);
        mk_word_t e = mk_cspace_mint(c->cspace, first + i, f, MK_RIGHTS_ALL, 0);
        slot_free(f);
        if (e) return e;
    }
    return MK_ERR_OK;
}

static mk_cptr_t recv_slot;

static void serve_one(struct mk_msg *m)
{
    mk_word_t label = MK_MSGINFO_LABEL(m->info), badge = m->badge, e;
    struct mk_msg reply = { 0 };
    reply.info = 0;
    switch (label) {
    case MK_ROOT_SPAWN:
        e = handle_spawn(m, badge, &reply);
        break;
    case MK_ROOT_ALLOC_SHM:
        e = handle_alloc_shm(m, badge);
        break;
    case MK_ROOT_POWEROFF:
        mk_control_poweroff(MK_SLOT_CONTROL, m->mr[0]);
        e = MK_ERR_OK;
        break;
    case MK_ROOT_READY:
        e = MK_ERR_OK;
        break;
    case MK_LABEL_FAULT:
        e = MK_ERR_ILLEGAL_OP;
        break;
    default:
        e = MK_ERR_ILLEGAL_OP;
        break;
    }
    if (!MK_MSGINFO_CAPS(reply.info)) reply.info = MK_MSGINFO_MAKE(1, 0, e);
    else reply.info = MK_MSGINFO_MAKE(1, 1, e);
    mk_sys_reply(0, &reply);
    for (int i = 0; i < 2; i++) if (pending_free[i]) { slot_free(pending_free[i]); pending_free[i] = 0; }
}

static mk_word_t wait_ready(mk_word_t id)
{
    for (;;) {
        struct mk_msg m = { 0 };
        set_recv_slot(recv_slot);
        mk_sys_recv(root_ep, &m);
        bool ready = MK_MSGINFO_LABEL(m.info) == MK_ROOT_READY && m.badge == id;
        serve_one(&m);
        if (ready) return 0;
    }
}

static struct child *start_service(const char *prog, mk_word_t prio, mk_word_t flags, mk_word_t arg0,
                                   mk_cptr_t ep, mk_cptr_t ntfn, mk_cptr_t argcap)
{
    struct spawn_req r = { prog, prio, arg0, 0, 0, flags, ep, ntfn, argcap };
    struct child *c = spawn(&r);
    if (!c) fatal("start service", MK_ERR_NO_MEMORY);
    wait_ready(c->id);
    return c;
}

int main(struct mk_startup *su)
{
    printf("root: started, %lu pages total, %lu free, archive %lu bytes\n", su->mem_total, su->mem_free, su->archive_size);
    scan_archive();
    bootarg_ramdisk_kib = bootarg("ramdisk", 1024);
    root_ep = create(MK_OBJ_ENDPOINT, 0);
    recv_slot = slot_alloc();
    uart_frame = slot_alloc();
    CHECK("uart frame", mk_control_device_frame(MK_SLOT_CONTROL, MK_UART_PADDR, uart_frame));
    if (su->bench_present) {
        bench_frame = slot_alloc();
        CHECK("bench frame", mk_control_device_frame(MK_SLOT_CONTROL, su->bench_paddr, bench_frame));
    } else {
        bench_frame = create(MK_OBJ_FRAME, 0); /* same code path without the device */
    }

    /* names first: everyone else registers with it */
    mk_cptr_t ep = create(MK_OBJ_ENDPOINT, 0);
    start_service("names", MK_PRIO_NAMES, MK_SPAWNF_BIGCSPACE, 0, ep, 0, 0);
    names_ep = ep;
    CHECK("mint names", mk_cspace_mint(MK_SLOT_CSPACE, MK_SLOT_NAMES, names_ep, MK_RIGHT_WRITE | MK_RIGHT_GRANT, 0));

    /* monitor: fault handler of everything started after it */
    ep = create(MK_OBJ_ENDPOINT, 0);
    start_service("monitor", MK_PRIO_MONITOR, MK_SPAWNF_BIGCSPACE, 0, ep, 0, 0);
    monitor_ep = ep;

    /* console: UART, its IRQ and a notification */
    ep = create(MK_OBJ_ENDPOINT, 0);
    mk_cptr_t ntfn = create(MK_OBJ_NOTIFICATION, 0);
    mk_cptr_t irq = slot_alloc();
    CHECK("irq handler", mk_control_irq_handler(MK_SLOT_CONTROL, MK_UART_IRQ, irq));
    start_service("console", MK_PRIO_CONSOLE, MK_SPAWNF_UART, 0, ep, ntfn, irq);
    console_ep = ep;
    CHECK("mint console", mk_cspace_mint(MK_SLOT_CSPACE, MK_SLOT_CONSOLE, console_ep, MK_RIGHT_WRITE | MK_RIGHT_GRANT, 0));

    /* block driver on a RAM disk mapped at RAMDISK_VA */
    mk_word_t rd_pages = bootarg_ramdisk_kib / 4;
    ep = create(MK_OBJ_ENDPOINT, 0);
    {
        struct spawn_req r = { "blk", MK_PRIO_BLK, rd_pages * 8, 0, 0, MK_TASKF_RESTART, ep, 0, 0 };
        struct child *c = spawn(&r);
        if (!c) fatal("blk", MK_ERR_NO_MEMORY);
        /* the RAM disk is device memory: it survives driver restarts */
        for (mk_word_t i = 0; i < rd_pages; i++) map_new(c->vspace, MK_RAMDISK_VA + i * MK_PAGE_SIZE, false);
        wait_ready(c->id);
    }
    start_service("fs", MK_PRIO_FS, 0, 0, create(MK_OBJ_ENDPOINT, 0), 0, 0);
    start_service("kv", MK_PRIO_KV, 0, 0, create(MK_OBJ_ENDPOINT, 0), 0, 0);
    mk_word_t total, free;
    mk_control_meminfo(MK_SLOT_CONTROL, &total, &free);
    printf("root: services up, %lu pages free\n", free);

    /* the benchmark runner gets the bench device, UART (interrupt trigger) */
    {
        struct spawn_req r = { "bench", MK_PRIO_RUNNER, 0, 0, 0,
                               MK_SPAWNF_BIGCSPACE | MK_SPAWNF_BENCH | MK_SPAWNF_UART | MK_TASKF_CRITICAL,
                               create(MK_OBJ_ENDPOINT, 0), create(MK_OBJ_NOTIFICATION, 0), 0 };
        if (!spawn(&r)) fatal("bench", MK_ERR_NO_MEMORY);
    }
    for (;;) {
        struct mk_msg m = { 0 };
        set_recv_slot(recv_slot);
        mk_sys_recv(root_ep, &m);
        serve_one(&m);
    }
}
