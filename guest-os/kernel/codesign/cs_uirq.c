/*
 * Codesign: user-space interrupt delivery (Xuirq) and the idle context.
 *
 * UIRQ_BIND turns a driver's IRQ_HANDLER capability into a hardware binding:
 * the kernel builds a context image for the driver's interrupt context
 * (its address space, entry pc, stack), pins it in an Xctx slot and binds
 * the PLIC source to that slot. From then on the kernel is not involved:
 * the hart claims the source and switches to the handler at an instruction
 * boundary in user mode, the handler acknowledges with uiack (PLIC
 * completion) and returns with uiret. The kernel keeps the source disabled
 * in its own PLIC context.
 *
 * The kernel enters only where the hardware traps:
 *  - a kernel interrupt (timer, other PLIC sources) while a handler runs:
 *    handled, then the handler resumes (no thread switch until it returns);
 *  - a fault (or any ecall) in a handler: the binding is removed and the
 *    interrupted context resumes;
 *  - an idle hart with a pending binding: no user context runs to take the
 *    delivery, so the kernel resumes the idle context (slot 1: a one-page
 *    address space whose code is "ecall; j .-4"); the delivery happens at
 *    its first instruction and its ecall brings the hart back to the kernel.
 */
#include "kernel.h"
#include "cs.h"

static word_t nbind, next_slot = CS_SLOT_HANDLER0, next_binding;
static word_t himg[16][W_WORDS] __attribute__((aligned(64)));
static word_t idle_img[W_WORDS] __attribute__((aligned(64)));
static word_t bdesc[4] __attribute__((aligned(64)));
#define IDLE_VA 0x40000000UL

static void image_init(word_t *img, word_t pc, word_t sp, word_t satp, word_t uie)
{
    for (int i = 0; i < W_WORDS; i++) img[i] = 0;
    img[0] = pc;
    img[REG_SP] = sp;
    img[W_SATP] = satp;
    img[W_CAPSPARE] = 0xffffffffUL;
    img[W_UITIMECMP] = CS_NONE;
    img[W_UISTATUS] = uie;
    img[W_UIPREV] = CS_NONE;
}

void cs_uirq_init(void)
{
    if (!(cs_ext & MK_CS_EXT_XUIRQ)) return;
    nbind = cs_cfg[3];
    struct vspace *vs = vspace_create();
    u32 *code = kalloc_page();
    if (!vs || !code) panic("out of memory for the idle context");
    code[0] = 0x00000073;            /* ecall */
    code[1] = 0xffdff06f;            /* j .-4 */
    fence_i();
    if (vspace_map(vs, IDLE_VA, (word_t)code, MK_RIGHT_READ | MK_RIGHT_EXEC, false)) panic("idle map");
    image_init(idle_img, IDLE_VA, 0, vs->satp, 1);
}

void cs_idle_poll(void)
{
    if (!(cs_ext & MK_CS_EXT_XUIRQ) || !csr_read_n(0xdd8)) return; /* uipend */
    x_ctx_load(CS_SLOT_IDLE, idle_img);
    cs_resume_slot(CS_SLOT_IDLE);
}

void sys_uirq_bind(struct tcb *cur, word_t nr)
{
    (void)nr;
    word_t pc = cur->regs[REG_A2], sp = cur->regs[REG_A3], e = MK_ERR_OK;
    struct cap *c = cap_lookup(cur, cur->regs[REG_A0]);
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(0, 0, 0);
    if (!(cs_ext & MK_CS_EXT_XUIRQ)) e = MK_ERR_ILLEGAL_OP;
    else if (!c || c->type != MK_OBJ_IRQ_HANDLER || !c->aux) e = MK_ERR_INVALID_CAP;
    else if (next_slot >= nslots || next_slot >= CS_SLOT_HANDLER0 + 16 || next_binding >= nbind) e = MK_ERR_NO_SPACE;
    if (e) { cur->regs[REG_A0] = e; return; }
    word_t irq = c->aux, s = next_slot++, b = next_binding++;
    irq_set_ntfn(irq, NULL, 0);      /* not in the kernel's PLIC context */
    word_t *img = himg[s - CS_SLOT_HANDLER0];
    image_init(img, pc, sp, cur->vspace->satp, 0);
    img[W_TAG] = (word_t)cur;
    x_ctx_load(s, img);
    bdesc[0] = 1 /* PLIC */ | (irq << 16);
    bdesc[1] = s;
    bdesc[2] = pc;
    bdesc[3] = 0;
    x_uirq_bind(b, bdesc);
    cur->regs[REG_A0] = MK_ERR_OK;
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(1, 0, 0);
    cur->regs[REG_A2] = b;
}

NORETURN void cs_handler_fault(word_t slot, word_t scause, word_t stval)
{
    word_t b = csr_read_n(0x5da), prev = csr_read_n(0x5d9); /* suicause, suiprev */
    kprintf("[kernel] user interrupt handler (slot %lu, binding %lu) trapped: cause=%lu pc=%lx tval=%lx: unbound\n",
            slot, b, scause, csr_read(sepc), stval);
    x_uirq_unbind(b);
    if (prev < nslots) cs_resume_slot(prev);
    kernel_exit();
}

/*
 * QUEUE: back a notification by an Xamsg hardware queue owned by the caller
 * (signals through capabilities to it become asend, which the kernel turns
 * into ENDPOINT gates on CLB misses; the owner takes messages with arecv),
 * optionally with a handler context bound to "queue non-empty" (Xuirq
 * QUEUE binding): a message then switches the hart straight to the owner's
 * handler - an event-triggered switch without the kernel.
 */
static word_t next_queue;
static word_t qdesc[4] __attribute__((aligned(64)));

void sys_queue(struct tcb *cur, word_t nr)
{
    (void)nr;
    word_t pc = cur->regs[REG_A2], sp = cur->regs[REG_A3], e = MK_ERR_OK;
    struct cap *c = cap_lookup(cur, cur->regs[REG_A0]);
    word_t nq = cs_cfg[4] & 0xff;
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(0, 0, 0);
    if (!(cs_ext & MK_CS_EXT_XAMSG) || (pc && !(cs_ext & MK_CS_EXT_XUIRQ))) e = MK_ERR_ILLEGAL_OP;
    else if (!c || c->type != MK_OBJ_NOTIFICATION || !(c->rights & MK_RIGHT_READ)) e = MK_ERR_INVALID_CAP;
    else if (((struct notification *)c->obj)->cs_queue) e = MK_ERR_BUSY;
    else if (next_queue >= nq || (pc && (next_slot >= nslots || next_slot >= CS_SLOT_HANDLER0 + 16 || next_binding >= nbind)))
        e = MK_ERR_NO_SPACE;
    if (e) { cur->regs[REG_A0] = e; return; }
    struct notification *n = (struct notification *)c->obj;
    word_t q = next_queue++, asid = satp_asid(cur->vspace->satp), b = 0;
    qdesc[0] = 0;                    /* no ring: the message cache only */
    qdesc[1] = 0;
    qdesc[2] = asid | (1UL << 63);
    qdesc[3] = 0;
    x_aqset(q, qdesc);
    n->cs_queue = q + 1;
    if (pc) {
        word_t s = next_slot++;
        b = next_binding++;
        word_t *img = himg[s - CS_SLOT_HANDLER0];
        image_init(img, pc, sp, cur->vspace->satp, 0);
        img[W_TAG] = (word_t)cur;
        x_ctx_load(s, img);
        bdesc[0] = 4 /* QUEUE */ | (q << 16);
        bdesc[1] = s;
        bdesc[2] = pc;
        bdesc[3] = 0;
        x_uirq_bind(b, bdesc);
    }
    x_gflush_all();                  /* denials cached for capabilities to it */
    cur->regs[REG_A0] = MK_ERR_OK;
    cur->regs[REG_A1] = MK_MSGINFO_MAKE(2, 0, 0);
    cur->regs[REG_A2] = q;
    cur->regs[REG_A3] = b;
}
