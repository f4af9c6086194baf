/* Bare-metal side of a benchmark image: console output on the virt board's
 * NS16550A UART, the few libc routines the compiler may call, and
 * guest_main(), which runs the kernel and checks its checksum.  Called by
 * start_m.S in M-mode or by start_u.S in U-mode under Sv39; the return value
 * is the exit code that the start-up writes to the SiFive test finisher. */
#include "common.h"

#define UART_BASE 0x10000000ul
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

static void uart_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;
    while ((uart[UART_LSR] & UART_LSR_THRE) == 0)
        ;
    uart[UART_THR] = (uint8_t)c;
}

static void puts_raw(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static void put_hex64(uint64_t v)
{
    puts_raw("0x");
    for (int i = 60; i >= 0; i -= 4)
        uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

/* The compiler may turn loops and struct copies into calls to these. The
 * volatile pointers keep it from turning their own loops into calls to
 * themselves. */
void *memset(void *dst, int c, size_t n)
{
    volatile uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p < *q ? -1 : 1;
    return 0;
}

#ifdef BENCH_USER
#define MODE_NAME "u-mode sv39"
#else
#define MODE_NAME "m-mode"
#endif

int guest_main(void)
{
    uint64_t sum = bench_run();
    int ok = sum == bench_expected;
    puts_raw("bench ");
    puts_raw(bench_name);
    puts_raw(" (" MODE_NAME "): checksum ");
    put_hex64(sum);
    if (ok) {
        puts_raw(" ok\n");
        return 0;
    }
    puts_raw(" MISMATCH, expected ");
    put_hex64(bench_expected);
    puts_raw("\n");
    return 1;
}

/* Called by the start-ups' M-mode trap handler for any trap other than the
 * final ecall from U-mode. */
void guest_trap(uint64_t mcause, uint64_t mepc, uint64_t mtval)
{
    puts_raw("bench ");
    puts_raw(bench_name);
    puts_raw(": unexpected trap mcause=");
    put_hex64(mcause);
    puts_raw(" mepc=");
    put_hex64(mepc);
    puts_raw(" mtval=");
    put_hex64(mtval);
    puts_raw("\n");
}
