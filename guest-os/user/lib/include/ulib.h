/* User-space support library. */
#ifndef ULIB_H
#define ULIB_H
#include <stdarg.h>
#include "mkjit_stubs.h"

typedef unsigned long size_t;
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern struct mk_startup *startup;
int main(struct mk_startup *su);

/* strings */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy_z(char *d, const char *s, size_t n); /* always NUL-terminates */
unsigned long strtoul(const char *s, const char **end, int base);

/* output: through the console server when present, else kernel debug */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void out_write(const char *s, size_t n);
void out_flush(void);            /* flush our buffer and wait for the console */
void debug_puts(const char *s);  /* kernel debug output, unbuffered */

/* syscalls */
#ifdef CODESIGN
/* notifications backed by hardware queues (Xamsg) where the task set one up */
static inline mk_word_t sys_signal(mk_cptr_t c) { return cs_signal(c); }
static inline mk_word_t sys_wait(mk_cptr_t c, mk_word_t *badge) { return cs_wait(c, badge, 1); }
static inline mk_word_t sys_poll(mk_cptr_t c, mk_word_t *badge) { return cs_wait(c, badge, 0); }
#else
static inline mk_word_t sys_signal(mk_cptr_t c) { struct mk_msg m = { 0 }; return mk_sys_signal(c, &m); }
static inline mk_word_t sys_wait(mk_cptr_t c, mk_word_t *badge)
{
    struct mk_msg m = { 0 };
    mk_word_t e = mk_sys_wait(c, &m);
    if (badge) *badge = m.badge;
    return e;
}
static inline mk_word_t sys_poll(mk_cptr_t c, mk_word_t *badge)
{
    struct mk_msg m = { 0 };
    mk_word_t e = mk_sys_poll(c, &m);
    if (badge) *badge = m.badge;
    return e;
}
#endif
static inline void sys_yield(void) { struct mk_msg m = { 0 }; mk_sys_yield(0, &m); }
void __attribute__((noreturn)) sys_exit(unsigned long code);

/* message helpers: MR i lives in m->mr[i] for i < 4, else in the IPC buffer */
static inline void msg_set(struct mk_msg *m, unsigned i, mk_word_t v)
{
    if (i < 4) m->mr[i] = v; else MK_IPCBUF[i] = v;
}
static inline mk_word_t msg_get(const struct mk_msg *m, unsigned i)
{
    return i < 4 ? m->mr[i] : MK_IPCBUF[i];
}
void msg_put_bytes(struct mk_msg *m, unsigned first, const void *p, size_t n);
void msg_get_bytes(const struct mk_msg *m, unsigned first, void *p, size_t n);
#define MSG_BYTES_MAX ((MK_MSG_MAX_WORDS - 4) * 8)
static inline mk_word_t msg_info(mk_word_t label, mk_word_t len) { return MK_MSGINFO_MAKE(len, 0, label); }
static inline void set_cap_send(mk_cptr_t c) { MK_IPCBUF[MK_IPCBUF_CAP_SEND] = c; }
static inline void set_recv_slot(mk_cptr_t c) { MK_IPCBUF[MK_IPCBUF_RECV_SLOT] = c; }

/* capability slots */
mk_cptr_t slot_alloc(void);
void slot_free(mk_cptr_t c);
mk_cptr_t slot_alloc_range(unsigned n);

/* names: up to 31 characters packed into 4 words */
void name_pack(const char *s, mk_word_t w[4]);
void name_unpack(const mk_word_t w[4], char *s);
mk_word_t ns_register(const char *name, mk_cptr_t cap);
mk_word_t ns_lookup(const char *name, mk_cptr_t dest_slot);
void task_ready(void);

/* counters */
static inline u64 rdcycle(void) { u64 v; __asm__ volatile("rdcycle %0" : "=r"(v)); return v; }
static inline u64 rdtime(void) { u64 v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
static inline u64 rdinstret(void) { u64 v; __asm__ volatile("rdinstret %0" : "=r"(v)); return v; }

/* misc */
static inline u64 xorshift64(u64 *s) { u64 x = *s; x ^= x << 13; x ^= x >> 7; x ^= x << 17; return *s = x; }
u64 fnv1a(const void *p, size_t n, u64 h);
u64 checksum64(const void *p, size_t n, u64 h); /* p 8-byte aligned */
#define FNV_INIT 0xcbf29ce484222325UL
const char *err_name(mk_word_t e);
#endif
