/*
 * Bulk workload, codesign transport: the buffer is an Xline window of the
 * runner (WINDOW, at MK_SHM_VA; the handle is its index), handed to the sink
 * with the gate call and back with its return: no frames to grant, nothing
 * to map or unmap, no kernel. (The copy series needs nothing here: the sink
 * is entered through a call gate and reads each chunk in place from the
 * runner's IPC buffer, Xline window 0.)
 */
BULK_INLINE mk_word_t bulk_buf_alloc(unsigned npages)
{
    static mk_word_t window;
    if (!window) window = cs_window(MK_SHM_VA, (mk_word_t)npages * MK_PAGE_SIZE, MK_WIN_R | MK_WIN_W | MK_WIN_G);
    return window;
}

BULK_INLINE bool bulk_buf_share(mk_word_t buf, mk_cptr_t sink, unsigned npages)
{
    return true;
}

BULK_INLINE mk_word_t bulk_sink_map(mk_cptr_t sink, mk_word_t buf, u64 size, u64 np, u64 *sum)
{
    struct mk_msg m;
    m.info = MK_MSGINFO_MAKE(2, 0, MK_BENCH_SINK_MAP);
    m.mr[0] = size;
    m.mr[1] = np;
    mk_word_t e = mk_gate_call_give(sink, &m, buf);
    if (!e) e = MK_MSGINFO_LABEL(m.info);
    *sum = m.mr[0];
    return e;
}

BULK_INLINE void bulk_buf_release(unsigned npages)
{
}
