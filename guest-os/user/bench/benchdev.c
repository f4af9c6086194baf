/*
 * The paravirtual bench device ("mkjit,bench-v1"), the only code that
 * touches it. The root task maps the device page at BENCH_VA when the
 * device tree has it, and an ordinary RAM page otherwise, so every mark and
 * sample performs the same stores either way; only presence detection
 * (MAGIC) and the final printing differ.
 * Series names are written to a per-task page whose physical address the
 * root passed in the startup page (the device wants guest-physical).
 */
#include "bench.h"

#define REG_MAGIC 0
#define REG_VERSION 1
#define REG_SERIES 2
#define REG_NAME 3
#define REG_BEGIN 4
#define REG_END 5
#define REG_SAMPLE 6
#define REG_CYCLES 7
#define NAME_SLOT 64

static volatile u64 *const regs = (volatile u64 *)MK_BENCH_VA;
static char *const names = (char *)MK_BENCH_NAME_VA;
static bool present;

void bdev_init(void)
{
    present = startup->bench_present && regs[REG_MAGIC] == MK_BENCH_MAGIC && regs[REG_VERSION] == 1;
}

bool bdev_present(void) { return present; }

void bdev_name(unsigned id, const char *name)
{
    char *slot = names + (id % (MK_PAGE_SIZE / NAME_SLOT)) * NAME_SLOT;
    strncpy_z(slot, name, NAME_SLOT);
    regs[REG_SERIES] = id;
    regs[REG_NAME] = startup->bench_name_paddr + (u64)(slot - names);
}

void bdev_begin(unsigned id) { regs[REG_SERIES] = id; regs[REG_BEGIN] = 0; }
void bdev_end(unsigned id) { regs[REG_SERIES] = id; regs[REG_END] = 0; }
void bdev_sample(unsigned id, u64 v) { regs[REG_SERIES] = id; regs[REG_SAMPLE] = v; }
