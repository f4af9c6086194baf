/*
 * Bulk workload, stock transport: the buffer is shared frames (the handle is
 * the slot of the first frame capability), granted to the sink once and
 * mapped here; per transfer the sink maps the pages it needs, checksums,
 * and unmaps them.
 */
BULK_INLINE mk_word_t bulk_buf_alloc(unsigned npages)
{
    return shm_alloc(npages);
}

BULK_INLINE bool bulk_buf_share(mk_word_t buf, mk_cptr_t sink, unsigned npages)
{
    bool ok = true;
    for (unsigned i = 0; ok && i < npages; i++) {
        struct mk_msg m;
        m.info = MK_MSGINFO_MAKE(1, 1, MK_BENCH_GRANT);
        m.mr[0] = i;
        set_cap_send(buf + i);
        ok = !mk_sys_call(sink, &m) && MK_MSGINFO_LABEL(m.info) == 0;
        ok = ok && !mk_vspace_map(MK_SLOT_VSPACE, buf + i, MK_SHM_VA + i * MK_PAGE_SIZE, MK_RIGHT_READ | MK_RIGHT_WRITE);
    }
    return ok;
}

BULK_INLINE mk_word_t bulk_sink_map(mk_cptr_t sink, mk_word_t buf, u64 size, u64 np, u64 *sum)
{
    return mk_bench_sink_map(sink, size, np, sum);
}

BULK_INLINE void bulk_buf_release(unsigned npages)
{
    for (unsigned i = 0; i < npages; i++) mk_vspace_unmap(MK_SLOT_VSPACE, MK_SHM_VA + i * MK_PAGE_SIZE);
}
