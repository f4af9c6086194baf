/* Formatted output. Lines are sent whole to the console server (one IPC per
 * line, so lines from different tasks never interleave mid-line). */
#include "ulib.h"

struct outbuf { char *buf; size_t n, len; };

static void ob_put(struct outbuf *o, char c)
{
    if (o->len + 1 < o->n) o->buf[o->len] = c;
    o->len++;
}

static void ob_num(struct outbuf *o, unsigned long v, unsigned base, int width, char pad, int neg)
{
    char tmp[24];
    int i = 0;
    do { tmp[i++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
    if (neg) tmp[i++] = '-';
    for (; i < width; width--) ob_put(o, pad);
    while (i) ob_put(o, tmp[--i]);
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct outbuf o = { buf, n, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') { ob_put(&o, *fmt); continue; }
        fmt++;
        char pad = ' ';
        int width = 0, left = 0, lng = 0;
        if (*fmt == '-') { left = 1; fmt++; }
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') { lng = 1; fmt++; }
        switch (*fmt) {
        case 'd': case 'i': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            ob_num(&o, v < 0 ? -(unsigned long)v : (unsigned long)v, 10, width, pad, v < 0);
            break;
        }
        case 'u': ob_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, pad, 0); break;
        case 'x': ob_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, pad, 0); break;
        case 'p': ob_put(&o, '0'); ob_put(&o, 'x'); ob_num(&o, va_arg(ap, unsigned long), 16, width, pad, 0); break;
        case 'c': ob_put(&o, (char)va_arg(ap, int)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int l = (int)strlen(s);
            if (!left) for (int i = l; i < width; i++) ob_put(&o, ' ');
            while (*s) ob_put(&o, *s++);
            if (left) for (int i = l; i < width; i++) ob_put(&o, ' ');
            break;
        }
        case '%': ob_put(&o, '%'); break;
        default: ob_put(&o, '%'); ob_put(&o, *fmt); break;
        }
    }
    if (n) buf[o.len < n ? o.len : n - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

void debug_puts(const char *s)
{
    struct mk_msg m = { 0 };
    m.info = strlen(s);
    mk_sys_debug_puts((mk_cptr_t)s, &m);
}

/* line buffer */
static char line[1024];
static size_t line_len;
static int console_state; /* 1 once the console answered; until then every line tries it */

static void send_line(const char *s, size_t n)
{
    {
        while (n) {
            size_t chunk = n > MSG_BYTES_MAX - 8 ? MSG_BYTES_MAX - 8 : n;
            struct mk_msg m;
            m.info = msg_info(MK_CONSOLE_WRITE, 1 + (chunk + 7) / 8);
            m.mr[0] = chunk;
            msg_put_bytes(&m, 1, s, chunk);
            mk_word_t e = mk_sys_call(MK_SLOT_CONSOLE, &m);
            if (e != MK_ERR_OK) break; /* no console (yet): kernel debug output */
            console_state = 1;
            s += chunk;
            n -= chunk;
        }
        if (!n) return;
    }
    struct mk_msg m = { 0 };
    m.info = n;
    mk_sys_debug_puts((mk_cptr_t)s, &m);
}

void out_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        line[line_len++] = s[i];
        if (s[i] == '\n' || line_len == sizeof(line)) {
            send_line(line, line_len);
            line_len = 0;
        }
    }
}

void out_flush(void)
{
    if (line_len) { send_line(line, line_len); line_len = 0; }
    if (console_state > 0) {
        struct mk_msg m = { 0 };
        m.info = msg_info(MK_CONSOLE_FLUSH, 0);
        mk_sys_call(MK_SLOT_CONSOLE, &m);
    }
}

int printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    out_write(buf, (size_t)r < sizeof(buf) ? (size_t)r : sizeof(buf) - 1);
    return r;
}
