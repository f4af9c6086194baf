/* Freestanding helpers (the compiler may emit calls to these). */
#include "kernel.h"

void *memset(void *d, int c, size_t n)
{
    u8 *p = d;
    if ((((word_t)p | n) & 7) == 0) {
        word_t v = (u8)c;
        v |= v << 8; v |= v << 16; v |= v << 32;
        for (word_t *w = d; n; n -= 8) *w++ = v;
        return d;
    }
    while (n--) *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    if ((((word_t)d | (word_t)s | n) & 7) == 0) {
        word_t *dw = d;
        const word_t *sw = s;
        for (; n; n -= 8) *dw++ = *sw++;
        return d;
    }
    u8 *dp = d;
    const u8 *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) return (u8)a[i] - (u8)b[i];
        if (!a[i]) return 0;
    }
    return 0;
}
