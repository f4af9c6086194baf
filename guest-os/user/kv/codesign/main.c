/*
 * Key-value store server, codesign build: the same table and protocol as
 * ../main.c (PUT: mr0 klen, mr1 vlen, key at MR2..MR5, value from MR6;
 * GET/DEL: mr0 klen, key at MR1..MR4; GET replies mr0 vlen, value from MR1),
 * served through a call gate: the client's thread runs kv_handle() in this
 * address space and reads the key and value from - and writes GET's value
 * into - the client's own IPC buffer (Xline window 0), no copy by a kernel.
 * The task's thread serves callers without a gate with the same handler.
 *
 * Xcap: VIEW gives the caller a read-only capability to the value store
 * (CAP_GRANT: the kernel writes a capability-table entry owned by the
 * caller, naming this address space); GETV then answers a GET with the
 * value's length and offset in the store instead of copying it, and the
 * client reads it with capability loads - no page is mapped, the hardware
 * checks bounds and rights. (A read-only view of the whole store: fine for
 * this single-writer benchmark store; a multi-tenant store would grant
 * narrower objects.)
 */
#include "ulib.h"

#define NSLOTS 1024
#define KMAX 32
#define VMAX 256
/* state: 0 free, 1 used, 2 deleted; values 8-byte aligned for capability loads */
struct entry { u8 state; u8 klen; u16 vlen; char key[KMAX]; u8 val[VMAX] __attribute__((aligned(8))); };
static struct entry table[NSLOTS];
static u64 count;

static struct entry *lookup(const char *k, u64 klen, bool insert)
{
    u64 h = fnv1a(k, klen, FNV_INIT);
    struct entry *tomb = NULL;
    for (u64 i = 0; i < NSLOTS; i++) {
        struct entry *e = &table[(h + i) % NSLOTS];
        if (e->state == 0) return insert ? (tomb ? tomb : e) : NULL;
        if (e->state == 2) { if (!tomb) tomb = e; continue; }
        if (e->klen == klen && !memcmp(e->key, k, klen)) return e;
    }
    return insert ? tomb : NULL;
}

static mk_word_t kv_handle(struct mk_msg *m)
{
    mk_word_t label = MK_MSGINFO_LABEL(m->info), err = MK_ERR_OK, nout = 0;
    char key[KMAX];
    switch (label) {
    case MK_KV_PUT: {
        u64 klen = m->mr[0], vlen = m->mr[1];
        if (!klen || klen > KMAX || vlen > VMAX || 6 + (vlen + 7) / 8 > MK_MSGINFO_LEN(m->info)) { err = MK_ERR_INVALID_ARG; break; }
        msg_get_bytes(m, 2, key, klen);
        struct entry *e = lookup(key, klen, true);
        if (!e) { err = MK_ERR_NO_SPACE; break; }
        if (e->state != 1) { count++; e->state = 1; e->klen = (u8)klen; memcpy(e->key, key, klen); }
        e->vlen = (u16)vlen;
        msg_get_bytes(m, 6, e->val, vlen);
        break;
    }
    case MK_KV_VIEW: {
        struct mk_msg g = { 0 };
        g.mr[0] = (mk_word_t)table;
        g.mr[1] = sizeof(table);
        g.mr[2] = MK_CAP_R;
        if (mk_sys_cap_grant(0, &g)) { err = MK_ERR_ILLEGAL_OP; break; }
        m->mr[0] = g.mr[0];
        nout = 1;
        break;
    }
    case MK_KV_GETV:
    case MK_KV_GET:
    case MK_KV_DEL: {
        u64 klen = m->mr[0];
        if (!klen || klen > KMAX) { err = MK_ERR_INVALID_ARG; break; }
        msg_get_bytes(m, 1, key, klen);
        struct entry *e = lookup(key, klen, false);
        if (!e) { err = MK_ERR_NOT_FOUND; break; }
        if (label == MK_KV_DEL) { e->state = 2; count--; break; }
        if (label == MK_KV_GETV) {      /* where the value is; the client reads it */
            m->mr[0] = e->vlen;
            m->mr[1] = (mk_word_t)(e->val - (u8 *)table);
            nout = 2;
            break;
        }
        m->mr[0] = e->vlen;
        msg_put_bytes(m, 1, e->val, e->vlen);
        nout = 1 + (e->vlen + 7) / 8;
        break;
    }
    case MK_KV_COUNT:
        m->mr[0] = count;
        nout = 1;
        break;
    default:
        err = MK_ERR_ILLEGAL_OP;
    }
    m->info = MK_MSGINFO_MAKE(nout, 0, err);
    return MK_ERR_OK;
}

int main(struct mk_startup *su)
{
    (void)su;
    cs_gate_serve(MK_SLOT_ENDPOINT, kv_handle);
    ns_register("kv", MK_SLOT_ENDPOINT);
    task_ready();
    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        cs_lock();
        kv_handle(&m);
        cs_unlock();
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
