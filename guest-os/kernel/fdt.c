/* Flattened device tree parsing: just what the kernel needs. */
#include "kernel.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static u64 be64(const u8 *p) { return (u64)be32(p) << 32 | be32(p + 4); }

static bool has_compat(const char *list, u32 len, const char *want)
{
    u32 wl = (u32)strlen(want);
    for (u32 i = 0; i < len;) {
        u32 l = (u32)strlen(list + i);
        if (l == wl && !strncmp(list + i, want, wl)) return true;
        i += l + 1;
    }
    return false;
}

word_t fdt_size;

void fdt_parse(word_t dtb)
{
    const u8 *h = (const u8 *)dtb;
    bootinfo.timebase_hz = 10000000;
    if (!dtb || be32(h) != FDT_MAGIC) {
        kputs("[kernel] no device tree, assuming 128 MiB\n");
        bootinfo.mem_base = 0x80000000;
        bootinfo.mem_size = 128UL << 20;
        return;
    }
    fdt_size = be32(h + 4);
    const u8 *p = h + be32(h + 8);
    const char *strings = (const char *)h + be32(h + 12);
    int depth = 0;
    const char *node[8] = { 0 };
    bool bench_compat = false;
    word_t bench_reg = 0;
    for (;;) {
        u32 tok = be32(p);
        p += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            p += ROUND_UP(strlen(name) + 1, 4);
            depth++;
            if (depth < 8) node[depth] = name;
            if (!strncmp(name, "bench@", 6)) { bench_compat = false; bench_reg = 0; }
        } else if (tok == FDT_END_NODE) {
            if (depth < 8 && node[depth] && !strncmp(node[depth], "bench@", 6) && bench_compat && bench_reg)
                bootinfo.bench_paddr = bench_reg;
            depth--;
            if (depth < 0) break;
        } else if (tok == FDT_PROP) {
            u32 len = be32(p), nameoff = be32(p + 4);
            const u8 *val = p + 8;
            const char *pname = strings + nameoff;
            p += 8 + ROUND_UP(len, 4);
            const char *n = depth < 8 ? node[depth] : "";
            if (depth == 2 && !strncmp(n, "chosen", 7) && !strncmp(pname, "bootargs", 9)) {
                u32 l = len < sizeof(bootinfo.bootargs) - 1 ? len : sizeof(bootinfo.bootargs) - 1;
                memcpy(bootinfo.bootargs, val, l);
                bootinfo.bootargs[l] = 0;
            } else if (depth == 2 && !strncmp(n, "memory", 6) && !strncmp(pname, "reg", 4) && len >= 16) {
                bootinfo.mem_base = be64(val);
                bootinfo.mem_size = be64(val + 8);
            } else if (depth == 2 && !strncmp(n, "cpus", 5) && !strncmp(pname, "timebase-frequency", 19) && len == 4) {
                bootinfo.timebase_hz = be32(val);
            } else if (!strncmp(n, "bench@", 6)) {
                if (!strncmp(pname, "compatible", 11) && has_compat((const char *)val, len, "mkjit,bench-v1"))
                    bench_compat = true;
                else if (!strncmp(pname, "reg", 4) && len >= 16)
                    bench_reg = be64(val);
            }
        } else if (tok == FDT_NOP) {
            continue;
        } else {
            break;
        }
    }
    if (!bootinfo.mem_size) { bootinfo.mem_base = 0x80000000; bootinfo.mem_size = 128UL << 20; }
}
