/* Core kernel object definitions. */
#ifndef KERNEL_H
#define KERNEL_H
#include "types.h"
#include "riscv.h"
#include "mkjit_abi.h"
#ifdef CODESIGN
#include "cs_types.h"
#endif

/* ---- capabilities ---- */
struct cap {
    u8 type;        /* MK_OBJ_* */
    u8 rights;      /* MK_RIGHT_* */
    u16 pad;
    u32 aux;        /* irq number for IRQ handlers */
    word_t badge;   /* endpoints / notifications */
    word_t obj;     /* kernel pointer, or physical address for frames */
    word_t pad2;
};
#define CAP_SHIFT 5 /* sizeof(struct cap) == 32 */

struct cspace {
    word_t nslots;
    word_t pad[3];
    struct cap slots[];
};

/* ---- address spaces ---- */
struct vspace {
    word_t *root;    /* root page table (physical == kernel virtual) */
    word_t satp;     /* cached satp value including ASID */
    word_t asid;
    word_t asid_gen;
#ifdef CODESIGN
    struct cspace *cs_cspace;     /* the task's CSpace (caps used by code running here) */
    struct tcb *cs_owner;         /* the task's first thread: takes the task's faults */
    u32 cs_dead;                  /* its first thread was suspended: no gate enters it */
    u32 cs_gates;                 /* some endpoint's gate enters it */
#endif
};

/* ---- threads ---- */
enum thread_state {
    TS_INACTIVE = 0,
    TS_RUNNING,          /* runnable (in a ready queue or current) */
    TS_BLOCKED_SEND,
    TS_BLOCKED_RECV,
    TS_BLOCKED_REPLY,
    TS_BLOCKED_NTFN,
    TS_DEAD,
};

/* register save area: regs[0] = pc, regs[i] = xi */
#define REG_PC 0
#define REG_RA 1
#define REG_SP 2
#define REG_A0 10
#define REG_A1 11
#define REG_A2 12
#define REG_A3 13
#define REG_A4 14
#define REG_A5 15
#define REG_A6 16
#define REG_A7 17

struct endpoint;
struct notification;

struct tcb {
    word_t regs[32];              /* must stay first: used by entry.S */
#ifdef CODESIGN
    word_t ximg[16];              /* Xctx context image words 32..47 (regs[] are words 0..31) */
#endif
    u8 state;
    u8 prio;
    u8 send_is_call;              /* valid in TS_BLOCKED_SEND */
    u8 send_can_grant;
    u8 fault_pending;             /* the queued send is a kernel fault message */
    u8 in_rq;                     /* linked in a ready queue */
    u8 pad[2];
    int timeslice;
    word_t id;
    struct tcb *sched_next, *sched_prev;
    struct tcb *ep_next, *ep_prev;
    void *blocked_on;             /* endpoint or notification */
    struct tcb *reply_to;         /* caller waiting for our reply */
    struct tcb *waiting_on;       /* thread that owes us a reply */
    struct cspace *cspace;
    struct vspace *vspace;
    word_t *ipcbuf;               /* kernel address of IPC buffer, or NULL */
    struct cap fault_ep;          /* copy of the fault endpoint cap */
    struct notification *bound_ntfn;
    word_t send_badge;
    word_t fault_mr[4];
    word_t fault_info;
#ifdef CODESIGN
    struct cs_thread cs;          /* codesign per-thread state (cs_types.h) */
#endif
};

enum ep_state { EP_IDLE = 0, EP_SEND, EP_RECV };
struct endpoint {
    word_t state;
    struct tcb *head, *tail;
#ifdef CODESIGN
    struct vspace *gate_vs;       /* Xgate: address space and entry pc of the receiver's gate */
    word_t gate_pc;
#endif
};

struct notification {
    word_t word;
    /* signalled since the last wait, even through a badge-0 capability
     * (seL4's Active state): a signal is never lost because its badge is 0 */
    bool active;
    struct tcb *head, *tail;      /* waiters */
    struct tcb *bound;
#ifdef CODESIGN
    word_t cs_queue;              /* Xamsg queue number + 1 backing it, 0 = none */
#endif
};

/* ---- globals ---- */
extern struct tcb *current;
extern word_t ready_bitmap;
extern word_t kernel_stack_top[];

/* boot.c / kmem */
void *kalloc_page(void);           /* zeroed page, NULL on exhaustion */
void *kalloc(word_t size);         /* zeroed small object, 16-byte aligned */
word_t kmem_total_pages(void);
word_t kmem_free_pages(void);
struct bootinfo {
    word_t mem_base, mem_size;
    word_t dtb;
    word_t bench_paddr;           /* 0 if absent */
    word_t asid_bits;
    word_t timebase_hz;
    char bootargs[512];
};
extern struct bootinfo bootinfo;

/* console (kernel debug output, polled UART) */
void kputc(int c);
void kputs(const char *s);
void kprintf(const char *fmt, ...);
NORETURN void panic(const char *msg);
NORETURN void poweroff(word_t code);

/* lib */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* fdt.c */
void fdt_parse(word_t dtb);

/* vm.c */
void vm_init(void);
struct vspace *vspace_create(void);
int vspace_map(struct vspace *vs, word_t va, word_t pa, word_t rights, bool device);
int vspace_unmap(struct vspace *vs, word_t va);
word_t vspace_lookup(struct vspace *vs, word_t va, bool need_write); /* pa or 0 */
void vspace_activate(struct vspace *vs);
extern word_t asid_bits, asid_gen;
extern struct vspace *active_vspace;

/* sched.c */
void sched_init(void);
void sched_enqueue(struct tcb *t);
void sched_enqueue_head(struct tcb *t);
void sched_dequeue(struct tcb *t);
void sched_make_runnable(struct tcb *t);  /* wake a blocked thread */
void sched_block(struct tcb *t, u8 state);
void schedule(void);
NORETURN void kernel_exit(void);
void timer_init(void);
void timer_tick(void);
extern bool resched_pending;
#define TIMESLICE_TICKS 5
static inline bool higher_prio_ready(word_t prio) { return (ready_bitmap >> prio) >> 1; }

/* cap.c */
struct cap *cap_lookup(struct tcb *t, word_t cptr);
struct cspace *cspace_create(word_t bits);

/* ipc.c */
void ipc_send(struct tcb *sender, struct cap *cap, word_t info, bool blocking, bool is_call);
void ipc_recv(struct tcb *receiver, struct cap *cap, bool blocking);
void ipc_reply(struct tcb *server);
void ipc_cancel(struct tcb *t);            /* remove t from any IPC wait */
void ipc_fail_reply(struct tcb *server, word_t err);
void handle_fault(struct tcb *t, word_t cause, word_t epc, word_t tval, word_t label);
void ep_dequeue(struct endpoint *ep, struct tcb *t);
void set_ipc_return(struct tcb *t, word_t err, word_t info, word_t badge);

/* notify.c */
void ntfn_signal(struct notification *n, word_t badge);
void ntfn_wait(struct tcb *t, struct notification *n, bool blocking);
bool ntfn_deliver_bound(struct tcb *t);

/* irq.c */
void irq_init(void);
void irq_handle(void);
int irq_set_ntfn(word_t irq, struct notification *n, word_t badge);
int irq_ack(word_t irq);

void ntfn_cancel(struct tcb *t);
void *kalloc_pages(word_t n);

/* syscall.c */
void decode_invocation(struct tcb *cur, struct cap *cap, word_t info);
struct tcb *tcb_create(void);
void tcb_restart(struct tcb *t, word_t pc, word_t sp, word_t a0, word_t a1);

/* trap.c / entry.S */
NORETURN void restore_user(struct tcb *t);
void trap_init(void);
#endif
