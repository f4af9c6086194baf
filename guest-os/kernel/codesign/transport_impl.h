/*
 * Codesign transport for the kernel (syscall) IPC paths: the message goes
 * into the receiver's Xctx image in its TCB (words 0..31 are the stock
 * register layout), which restore_user() loads with ctx.load. Calls through
 * Xgate call gates never get here: they do not enter the kernel.
 */
static inline void transport_regs(struct tcb *dst, word_t info, word_t badge,
                                  word_t mr0, word_t mr1, word_t mr2, word_t mr3)
{
    dst->regs[REG_A0] = MK_ERR_OK;
    dst->regs[REG_A1] = info;
    dst->regs[REG_A2] = mr0;
    dst->regs[REG_A3] = mr1;
    dst->regs[REG_A4] = mr2;
    dst->regs[REG_A5] = mr3;
    dst->regs[REG_A6] = badge;
}
