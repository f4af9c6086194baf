/* Kernel debug console: polled NS16550A, used before/alongside the user driver. */
#include "kernel.h"
#include <stdarg.h>

#define UART ((volatile u8 *)MK_UART_PADDR)
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20
#define FINISHER ((volatile u32 *)0x100000)

void kputc(int c)
{
    while (!(UART[UART_LSR] & LSR_THRE))
        ;
    UART[UART_THR] = (u8)c;
}

void kputs(const char *s)
{
    while (*s) kputc(*s++);
}

static void kput_num(word_t v, unsigned base, int width, char pad, bool neg)
{
    char buf[24];
    int i = 0;
    do { buf[i++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
    if (neg) buf[i++] = '-';
    while (i < width) { kputc(pad); width--; }
    while (i) kputc(buf[--i]);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') { kputc(*fmt); continue; }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') fmt++;
        switch (*fmt) {
        case 'd': { sword_t v = va_arg(ap, sword_t); kput_num(v < 0 ? -(word_t)v : (word_t)v, 10, width, pad, v < 0); break; }
        case 'u': kput_num(va_arg(ap, word_t), 10, width, pad, false); break;
        case 'x': kput_num(va_arg(ap, word_t), 16, width, pad, false); break;
        case 'p': kputs("0x"); kput_num(va_arg(ap, word_t), 16, width, pad, false); break;
        case 's': { const char *s = va_arg(ap, const char *); kputs(s ? s : "(null)"); break; }
        case 'c': kputc(va_arg(ap, int)); break;
        default: kputc('%'); kputc(*fmt); break;
        }
    }
    va_end(ap);
}

NORETURN void poweroff(word_t code)
{
    *FINISHER = code == 0 ? 0x5555 : (u32)((code << 16) | 0x3333);
    for (;;) __asm__ volatile("wfi");
}

NORETURN void panic(const char *msg)
{
    kprintf("\n[kernel] PANIC: %s\n", msg);
    poweroff(3);
}
