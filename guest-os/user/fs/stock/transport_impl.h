/*
 * fs, stock transport: the block buffer is a frame from root, mapped at
 * MK_SHM_VA and granted to the driver with every CONNECT; calls are IPC
 * Calls. A call lost to a driver restart fails with ERR_RESTARTED
 * (ILLEGAL_OP: the restarted driver was not connected yet). Clients' calls
 * all arrive through the Recv/ReplyRecv loop.
 */
struct blk_buf { mk_cptr_t frame; };     /* slot of the frame capability */

FS_INLINE mk_word_t blk_buf_init(struct blk_buf *b)
{
    b->frame = slot_alloc_range(1);
    mk_word_t e = mk_root_alloc_shm(MK_SLOT_ROOT, 1, b->frame);
    if (!e) e = mk_vspace_map(MK_SLOT_VSPACE, b->frame, MK_SHM_VA, MK_RIGHT_READ | MK_RIGHT_WRITE);
    return e;
}

FS_INLINE void blk_connect_msg(struct mk_msg *m, struct blk_buf *b)
{
    m->info = MK_MSGINFO_MAKE(0, 1, MK_BLK_CONNECT);
    set_cap_send(b->frame);
}

FS_INLINE mk_word_t blk_call(mk_cptr_t ep, struct mk_msg *m, struct blk_buf *b)
{
    return mk_sys_call(ep, m);
}

FS_INLINE bool blk_call_lost(mk_word_t e)
{
    return e == MK_ERR_RESTARTED || e == MK_ERR_ILLEGAL_OP;
}

FS_INLINE void serve_init(fs_handler handle)
{
}

FS_INLINE void serve_received(fs_handler handle, struct mk_msg *m)
{
    handle(m);
}
