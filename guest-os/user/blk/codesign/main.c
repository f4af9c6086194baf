/*
 * Block device driver for a RAM disk, codesign build (see ../main.c). The
 * file system calls it through a call gate and hands its block buffer (an
 * Xline window at SHM_VA) over with each call: the driver copies sectors
 * between the disk and the caller's buffer directly - no shared page to map,
 * no kernel on the path. CONNECT needs no capability any more (the buffer
 * comes with every request). If the driver faults inside a call, the kernel
 * aborts the call (the file system sees MK_ERR_GATE_ABORTED and replays it)
 * and reports the fault to the monitor as this task's, which restarts it.
 */
#include "ulib.h"

#define SECTOR 512
static u64 sectors, reads, writes, crash_countdown;
static bool connected;
void cs_blk_crash(void);         /* pin.S */

static mk_word_t blk_handle(struct mk_msg *m)
{
    u8 *disk = (u8 *)MK_RAMDISK_VA, *buf = (u8 *)MK_SHM_VA;
    mk_word_t label = MK_MSGINFO_LABEL(m->info), e = MK_ERR_OK, nout = 0;
    if ((label == MK_BLK_READ || label == MK_BLK_WRITE) && crash_countdown && --crash_countdown == 0)
        cs_blk_crash(); /* injected driver bug */
    switch (label) {
    case MK_BLK_CONNECT:
        connected = true;
        m->mr[0] = sectors;
        nout = 1;
        break;
    case MK_BLK_READ:
    case MK_BLK_WRITE: {
        mk_word_t sec = m->mr[0], cnt = m->mr[1], off = m->mr[2];
        if (!connected) e = MK_ERR_ILLEGAL_OP;
        else if (sec >= sectors || cnt > sectors - sec || off > MK_PAGE_SIZE || cnt * SECTOR > MK_PAGE_SIZE - off)
            e = MK_ERR_RANGE;
        else if (label == MK_BLK_READ) { memcpy(buf + off, disk + sec * SECTOR, cnt * SECTOR); reads++; }
        else { memcpy(disk + sec * SECTOR, buf + off, cnt * SECTOR); writes++; }
        break;
    }
    case MK_BLK_CRASH_AFTER:
        crash_countdown = m->mr[0];
        break;
    case MK_BLK_STATS:
        m->mr[0] = reads;
        m->mr[1] = writes;
        nout = 2;
        break;
    default:
        e = MK_ERR_ILLEGAL_OP;
    }
    m->info = MK_MSGINFO_MAKE(nout, 0, e);
    return MK_ERR_OK;
}

int main(struct mk_startup *su)
{
    sectors = su->arg0;
    cs_gate_serve(MK_SLOT_ENDPOINT, blk_handle);
    ns_register("blk", MK_SLOT_ENDPOINT);
    task_ready();
    struct mk_msg m = { 0 };
    mk_sys_recv(MK_SLOT_ENDPOINT, &m);
    for (;;) {
        cs_lock();
        blk_handle(&m);
        cs_unlock();
        mk_sys_reply_recv(MK_SLOT_ENDPOINT, &m);
    }
}
