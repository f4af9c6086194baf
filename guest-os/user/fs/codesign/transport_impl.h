/*
 * fs, codesign transport:
 *  - the block buffer at MK_SHM_VA is an Xline window of this task (WINDOW),
 *    handed to the driver with each gate call to it, so the driver copies
 *    sectors straight into it: no shared page, no mapping, no kernel;
 *  - a driver fault inside a call comes back as MK_ERR_GATE_ABORTED (the
 *    kernel unwinds the call), after which the request is replayed as in
 *    stock (ERR_RESTARTED, ILLEGAL_OP: a call that went through the kernel);
 *  - clients call through a call gate: their thread runs fs_handle() here,
 *    write data is read from (read data written into) the client's IPC
 *    buffer, visible at MK_IPCBUF as Xline window 0 for the call's duration.
 *    Calls that come through the kernel (Recv/ReplyRecv) are answered under
 *    the same server lock.
 */
struct blk_buf { mk_word_t window; };    /* Xline window index of the buffer */

FS_INLINE mk_word_t blk_buf_init(struct blk_buf *b)
{
    b->window = cs_window(MK_SHM_VA, MK_PAGE_SIZE, MK_WIN_R | MK_WIN_W | MK_WIN_G);
    return b->window ? MK_ERR_OK : MK_ERR_NO_MEMORY;
}

FS_INLINE void blk_connect_msg(struct mk_msg *m, struct blk_buf *b)
{
    m->info = MK_MSGINFO_MAKE(0, 0, MK_BLK_CONNECT);
}

FS_INLINE mk_word_t blk_call(mk_cptr_t ep, struct mk_msg *m, struct blk_buf *b)
{
    return mk_gate_call_give(ep, m, b->window);
}

FS_INLINE bool blk_call_lost(mk_word_t e)
{
    return e == MK_ERR_RESTARTED || e == MK_ERR_ILLEGAL_OP || e == MK_ERR_GATE_ABORTED;
}

FS_INLINE void serve_init(fs_handler handle)
{
    cs_gate_serve(MK_SLOT_ENDPOINT, handle);
}

FS_INLINE void serve_received(fs_handler handle, struct mk_msg *m)
{
    cs_lock();
    handle(m);
    cs_unlock();
}
