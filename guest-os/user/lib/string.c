#include "ulib.h"

void *memset(void *d, int c, size_t n)
{
    u8 *p = d;
    if ((((unsigned long)p | n) & 7) == 0) {
        u64 v = (u8)c;
        v |= v << 8; v |= v << 16; v |= v << 32;
        for (u64 *w = d; n; n -= 8) *w++ = v;
        return d;
    }
    while (n--) *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    if ((((unsigned long)d | (unsigned long)s | n) & 7) == 0) {
        u64 *dw = d;
        const u64 *sw = s;
        for (; n >= 32; n -= 32, dw += 4, sw += 4) {
            u64 a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a; dw[1] = b; dw[2] = c; dw[3] = e;
        }
        for (; n; n -= 8) *dw++ = *sw++;
        return d;
    }
    u8 *dp = d;
    const u8 *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (size_t i = 0; i < n; i++) if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) return (u8)a[i] - (u8)b[i];
        if (!a[i]) return 0;
    }
    return 0;
}

char *strncpy_z(char *d, const char *s, size_t n)
{
    size_t i = 0;
    if (!n) return d;
    for (; i + 1 < n && s[i]; i++) d[i] = s[i];
    d[i] = 0;
    return d;
}

unsigned long strtoul(const char *s, const char **end, int base)
{
    unsigned long v = 0;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { s += 2; base = 16; }
    if (base == 0) base = 10;
    for (;; s++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else break;
        if (d >= base) break;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    /* size suffixes: k, m */
    if (*s == 'k' || *s == 'K') { v <<= 10; s++; }
    else if (*s == 'm' || *s == 'M') { v <<= 20; s++; }
    if (end) *end = s;
    return v;
}

u64 fnv1a(const void *p, size_t n, u64 h)
{
    const u8 *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3UL; }
    return h;
}
