#include "ulib.h"

struct mk_startup *startup;

void msg_put_bytes(struct mk_msg *m, unsigned first, const void *p, size_t n)
{
    const u8 *b = p;
    if (!((unsigned long)b & 7)) {          /* aligned: whole words */
        const u64 *w = p;
        for (; n >= 8 && first < 4; n -= 8, b += 8) m->mr[first++] = *w++;
        volatile u64 *dst = MK_IPCBUF + first;
        size_t k = n / 8;
        for (size_t i = 0; i < k; i++) dst[i] = w[i];
        first += (unsigned)k;
        b += k * 8;
        n -= k * 8;
    }
    for (unsigned i = first; n; i++) {
        u64 w = 0;
        size_t k = n < 8 ? n : 8;
        for (size_t j = 0; j < k; j++) w |= (u64)b[j] << (8 * j);
        msg_set(m, i, w);
        b += k;
        n -= k;
    }
}

void msg_get_bytes(const struct mk_msg *m, unsigned first, void *p, size_t n)
{
    u8 *b = p;
    if (!((unsigned long)b & 7)) {          /* aligned: whole words */
        u64 *w = p;
        for (; n >= 8 && first < 4; n -= 8, b += 8) *w++ = m->mr[first++];
        const volatile u64 *src = MK_IPCBUF + first;
        size_t k = n / 8;
        for (size_t i = 0; i < k; i++) w[i] = src[i];
        first += (unsigned)k;
        b += k * 8;
        n -= k * 8;
    }
    for (unsigned i = first; n; i++) {
        u64 w = msg_get(m, i);
        size_t k = n < 8 ? n : 8;
        for (size_t j = 0; j < k; j++) b[j] = (u8)(w >> (8 * j));
        b += k;
        n -= k;
    }
}

/* slot allocator: bitmap over the task's cspace (64 or 4096 slots) */
static u64 slot_bits[64];
static mk_cptr_t slot_limit;

mk_cptr_t slot_alloc(void)
{
    for (mk_cptr_t c = MK_SLOT_FIRST_FREE; c < slot_limit; c++) {
        if (!(slot_bits[c / 64] & (1UL << (c % 64)))) {
            slot_bits[c / 64] |= 1UL << (c % 64);
#ifdef CODESIGN
            cs_gate_forget(c);
#endif
            return c;
        }
    }
    return 0;
}

/* n consecutive free slots (for ROOT ALLOC_SHM) */
mk_cptr_t slot_alloc_range(unsigned n)
{
    for (mk_cptr_t c = MK_SLOT_FIRST_FREE; c + n <= slot_limit; c++) {
        unsigned k = 0;
        while (k < n && !(slot_bits[(c + k) / 64] & (1UL << ((c + k) % 64)))) k++;
        if (k == n) {
            for (k = 0; k < n; k++) slot_bits[(c + k) / 64] |= 1UL << ((c + k) % 64);
#ifdef CODESIGN
            for (k = 0; k < n; k++) cs_gate_forget(c + k);
#endif
            return c;
        }
    }
    return 0;
}

void slot_free(mk_cptr_t c)
{
    mk_cspace_delete(MK_SLOT_CSPACE, c);
    slot_bits[c / 64] &= ~(1UL << (c % 64));
}

void name_pack(const char *s, mk_word_t w[4])
{
    char buf[32];
    memset(buf, 0, sizeof(buf));
    strncpy_z(buf, s, sizeof(buf));
    for (int i = 0; i < 4; i++) {
        w[i] = 0;
        for (int j = 0; j < 8; j++) w[i] |= (mk_word_t)(u8)buf[i * 8 + j] << (8 * j);
    }
}

void name_unpack(const mk_word_t w[4], char *s)
{
    for (int i = 0; i < 32; i++) s[i] = (char)(w[i / 8] >> (8 * (i % 8)));
    s[31] = 0;
}

mk_word_t ns_register(const char *name, mk_cptr_t cap)
{
    mk_word_t w[4];
    name_pack(name, w);
    struct mk_msg m;
    m.info = MK_MSGINFO_MAKE(4, 1, MK_NAMES_REGISTER);
    for (int i = 0; i < 4; i++) m.mr[i] = w[i];
    set_cap_send(cap);
    mk_word_t e = mk_sys_call(MK_SLOT_NAMES, &m);
    return e ? e : MK_MSGINFO_LABEL(m.info);
}

mk_word_t ns_lookup(const char *name, mk_cptr_t dest)
{
    mk_word_t w[4];
    name_pack(name, w);
    struct mk_msg m;
    m.info = MK_MSGINFO_MAKE(4, 0, MK_NAMES_LOOKUP);
    for (int i = 0; i < 4; i++) m.mr[i] = w[i];
    set_recv_slot(dest);
    mk_word_t e = mk_sys_call(MK_SLOT_NAMES, &m);
    if (e) return e;
    e = MK_MSGINFO_LABEL(m.info);
    if (!e && MK_MSGINFO_CAPS(m.info) != 1) e = MK_ERR_NOT_FOUND;
    return e;
}

/* tell the root task that this service is initialised (registered) */
void task_ready(void)
{
    mk_root_ready(MK_SLOT_ROOT);
}

/* word-wise checksum for bulk data (FNV-style mixing of 64-bit words) */
u64 checksum64(const void *p, size_t n, u64 h)
{
    const u64 *w = p;
    size_t k = n / 8;
    for (size_t i = 0; i < k; i++) { h ^= w[i]; h *= 0x100000001b3UL; }
    return fnv1a((const u8 *)p + k * 8, n - k * 8, h);
}

const char *err_name(mk_word_t e)
{
    if (e < MK_ERR_COUNT && mk_error_names[e]) return mk_error_names[e];
    return "?";
}

void sys_exit(unsigned long code)
{
    for (;;) {
        struct mk_msg m = { 0 };
        mk_sys_exit(code, &m);
    }
}

void __ulib_start(struct mk_startup *su);
void __ulib_start(struct mk_startup *su)
{
    startup = su;
    slot_limit = su->cspace_slots;
    if (slot_limit > 64 * 64) slot_limit = 64 * 64;
    int r = main(su);
    out_flush();
    sys_exit((unsigned long)r);
}
