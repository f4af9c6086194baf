/*
 * Minimal, dependency-free parsing of the boot image archive (GNU "ar"
 * format as written by `llvm-ar rcSD --format=gnu`) and of RV64 ELF
 * executables. Shared by the kernel (to start the root task) and the root
 * task (to start everything else). Members may be only 2-byte aligned, so
 * all multi-byte fields are read byte-wise.
 */
#ifndef ELFAR_H
#define ELFAR_H

static inline unsigned long ea_rd(const unsigned char *p, int n)
{
    unsigned long v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* Find member `name` in archive; returns pointer to data or 0, size in *size */
static inline const unsigned char *ar_find(const unsigned char *ar, unsigned long arsize,
                                           const char *name, unsigned long *size)
{
    static const char magic[8] = { '!', '<', 'a', 'r', 'c', 'h', '>', '\n' };
    unsigned long off = 8;
    for (int i = 0; i < 8; i++) if (arsize < 8 || ar[i] != magic[i]) return 0;
    while (off + 60 <= arsize) {
        const unsigned char *h = ar + off;
        unsigned long sz = 0;
        for (int i = 48; i < 58 && h[i] >= '0' && h[i] <= '9'; i++) sz = sz * 10 + (unsigned long)(h[i] - '0');
        int match = 1, i = 0;
        for (; name[i]; i++) if (i >= 16 || h[i] != (unsigned char)name[i]) { match = 0; break; }
        if (match && (i >= 16 || h[i] != '/')) match = 0;
        if (match) { *size = sz; return h + 60; }
        off += 60 + sz + (sz & 1);
    }
    return 0;
}

/* Iterate members: returns next offset (0 at end); fills name (<=16 chars) */
static inline unsigned long ar_next(const unsigned char *ar, unsigned long arsize, unsigned long off,
                                    char name[17], const unsigned char **data, unsigned long *size)
{
    if (off == 0) off = 8;
    if (off + 60 > arsize) return 0;
    const unsigned char *h = ar + off;
    unsigned long sz = 0;
    for (int i = 48; i < 58 && h[i] >= '0' && h[i] <= '9'; i++) sz = sz * 10 + (unsigned long)(h[i] - '0');
    int i = 0;
    for (; i < 16 && h[i] != '/' && h[i] != ' '; i++) name[i] = (char)h[i];
    name[i] = 0;
    *data = h + 60;
    *size = sz;
    return off + 60 + sz + (sz & 1);
}

#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4
struct ea_phdr {
    unsigned long type, flags, offset, vaddr, paddr, filesz, memsz;
};

/* Validate an RV64 executable; returns number of program headers or -1 */
static inline int elf_check(const unsigned char *e, unsigned long size, unsigned long *entry)
{
    if (size < 64 || e[0] != 0x7f || e[1] != 'E' || e[2] != 'L' || e[3] != 'F') return -1;
    if (e[4] != 2 /* 64-bit */ || e[5] != 1 /* LE */ || ea_rd(e + 18, 2) != 243 /* RISC-V */) return -1;
    if (ea_rd(e + 16, 2) != 2 /* ET_EXEC */) return -1;
    unsigned long phoff = ea_rd(e + 32, 8), phentsize = ea_rd(e + 54, 2), phnum = ea_rd(e + 56, 2);
    if (phentsize != 56 || phoff + phnum * 56 > size) return -1;
    *entry = ea_rd(e + 24, 8);
    return (int)phnum;
}

static inline int elf_phdr(const unsigned char *e, unsigned long size, int i, struct ea_phdr *ph)
{
    const unsigned char *p = e + ea_rd(e + 32, 8) + (unsigned long)i * 56;
    ph->type = ea_rd(p, 4);
    ph->flags = ea_rd(p + 4, 4);
    ph->offset = ea_rd(p + 8, 8);
    ph->vaddr = ea_rd(p + 16, 8);
    ph->paddr = ea_rd(p + 24, 8);
    ph->filesz = ea_rd(p + 32, 8);
    ph->memsz = ea_rd(p + 40, 8);
    if (ph->type == PT_LOAD && (ph->offset + ph->filesz > size || ph->filesz > ph->memsz)) return -1;
    return 0;
}
#endif
